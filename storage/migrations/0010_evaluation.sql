-- Evaluation (综合评价, issue 13): what the statistics need to read from one pass over
-- the cases, and the roster's invites tied to a name and a phone.

-- When a case was first accepted (受理), for the average time to accept. Kept by a
-- trigger on the audit trail, so the case lifecycle needs no change; filled in once for
-- the cases accepted before this migration.
ALTER TABLE cases ADD COLUMN accepted_at TEXT;
UPDATE cases SET accepted_at = (
    SELECT min(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.kind = 'accepted'
) WHERE status NOT IN ('new', 'rejected');
CREATE TRIGGER cases_accepted_at AFTER INSERT ON case_events
WHEN NEW.kind = 'accepted'
BEGIN
    UPDATE cases SET accepted_at = NEW.at WHERE id = NEW.case_id AND accepted_at IS NULL;
END;

-- 督办数 and 重办率 count the cases with an event of a kind (supervised, reopened): few
-- events of those kinds, found by kind rather than by reading every case's trail.
CREATE INDEX case_events_kind ON case_events (kind, case_id);

-- The figures of an area and a period read the cases of its communities by creation
-- time, and everything they add up is in this index, so the table is not visited.
CREATE INDEX cases_evaluation ON cases (
    community_id, created_at, category, subcategory, status, rating, resolve_due,
    resolved_at, closed_at, accepted_at
);

-- The duties of an area and a period add up households without visiting the table.
CREATE INDEX outreach_logs_households ON outreach_logs (area_id, at, households);

-- Check-ins (签到) at an area's meetings, counted without visiting the table.
CREATE INDEX meeting_attendance_checked_in
    ON meeting_attendance (occurrence_id, checked_in_at, member_id);

-- A row of an imported roster (花名册): its invite may only be used by that person,
-- whose phone shared on joining must match; the work ID number, if the roster gave one,
-- becomes theirs.
CREATE TABLE roster_invites (
    invite_id  INTEGER PRIMARY KEY REFERENCES invites(id),
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL,             -- digits only, the national number: 13812345678
    work_id    TEXT,
    source     TEXT NOT NULL,             -- the file and row it came from, for the operator
    created_at TEXT NOT NULL
);
CREATE INDEX roster_invites_phone ON roster_invites (phone);

-- /stats for a year adds up every case of it; a past month's finished cases (closed or
-- rejected) are added up once per community and kept here, until one of them changes:
-- then the triggers below drop that month's row, and the next /stats counts it again.
CREATE TABLE stats_rollups (
    community_id  INTEGER NOT NULL REFERENCES areas(id),
    since         TEXT NOT NULL,     -- the local month, as UTC bounds [since, until)
    until         TEXT NOT NULL,
    groups        TEXT NOT NULL,     -- JSON: the groups of storage/stats.py's case_groups
    days          TEXT NOT NULL,     -- JSON: [local day, reported, closed]
    reopened      INTEGER NOT NULL,
    supervised    INTEGER NOT NULL,
    built_at      TEXT NOT NULL,
    PRIMARY KEY (community_id, since, until)
);
CREATE TRIGGER stats_rollups_case_added AFTER INSERT ON cases
BEGIN
    DELETE FROM stats_rollups WHERE community_id = NEW.community_id
        AND since <= NEW.created_at AND until > NEW.created_at;
END;
CREATE TRIGGER stats_rollups_case_changed AFTER UPDATE ON cases
BEGIN
    DELETE FROM stats_rollups WHERE community_id = OLD.community_id
        AND since <= OLD.created_at AND until > OLD.created_at;
    DELETE FROM stats_rollups WHERE community_id = NEW.community_id
        AND since <= NEW.created_at AND until > NEW.created_at;
END;
CREATE TRIGGER stats_rollups_case_removed AFTER DELETE ON cases
BEGIN
    DELETE FROM stats_rollups WHERE community_id = OLD.community_id
        AND since <= OLD.created_at AND until > OLD.created_at;
END;
CREATE TRIGGER stats_rollups_case_event AFTER INSERT ON case_events
WHEN NEW.kind IN ('supervised', 'escalated', 'reopened')
BEGIN
    DELETE FROM stats_rollups WHERE (community_id, since) IN (
        SELECT r.community_id, r.since FROM stats_rollups r JOIN cases c ON c.id = NEW.case_id
        WHERE r.community_id = c.community_id AND r.since <= c.created_at
          AND r.until > c.created_at);
END;
