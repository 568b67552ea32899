-- Reporting (issue #3): drafts of /report being filled in, and the two duties that are
-- logged rather than reported as cases: policy outreach (政策宣讲) and patrols (巡逻打卡).

-- One row per member with a report draft in progress. The draft's content lives in the
-- member's conversation data; this row says it is alive and when it was last touched, so
-- a sweep can end abandoned drafts, and the ending survives a restart.
CREATE TABLE report_drafts (
    member_id   INTEGER PRIMARY KEY REFERENCES members(id),
    tg_user_id  INTEGER NOT NULL,
    flow        TEXT NOT NULL,              -- the draft's id, as in its buttons
    category    TEXT,                       -- what it was about, for the ending message
    started_at  TEXT NOT NULL,
    touched_at  TEXT NOT NULL
);
CREATE INDEX report_drafts_touched ON report_drafts (touched_at);

-- 政策宣讲: a leader explained a topic to residents.
CREATE TABLE outreach_logs (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    topic       TEXT NOT NULL,
    households  INTEGER NOT NULL CHECK (households BETWEEN 1 AND 10000),
    at          TEXT NOT NULL,
    -- the id carried by the buttons: pressing twice logs once
    idempotency_key  TEXT UNIQUE
);
CREATE INDEX outreach_logs_area ON outreach_logs (area_id, at);
CREATE INDEX outreach_logs_member ON outreach_logs (member_id, at);

-- 巡逻打卡: a leader walked their patrol, with a location if they shared one.
CREATE TABLE patrol_logs (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    at          TEXT NOT NULL,
    latitude    REAL,
    longitude   REAL
);
CREATE INDEX patrol_logs_area ON patrol_logs (area_id, at);
CREATE INDEX patrol_logs_member ON patrol_logs (member_id, at);
