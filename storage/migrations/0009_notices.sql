-- Notices sent down the grid (政策法规宣讲): the notice as the admin wrote it, and one
-- delivery row per recipient, written in one transaction when the admin presses 发送.
-- The delivery rows are handed to the outbox a few hundred at a time (outbox_id), so
-- other alerts are not held up behind a long broadcast, and pausing or recalling one
-- stops what is not yet in the outbox.

CREATE TABLE notices (
    id                   INTEGER PRIMARY KEY,
    -- the compose flow's id: 发送 pressed twice (or replayed after a restart) makes one notice
    draft_key            TEXT NOT NULL UNIQUE,
    author_id            INTEGER NOT NULL REFERENCES members(id),
    area_id              INTEGER NOT NULL REFERENCES areas(id),   -- the author's area
    title                TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    body                 TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 3000),
    photos               TEXT NOT NULL DEFAULT '[]',              -- JSON: Telegram file ids
    document_id          TEXT,                                    -- a PDF/Word file, by file id
    document_name        TEXT,
    voice_id             TEXT,
    targets              TEXT NOT NULL,                           -- JSON: the chosen area ids
    roles                TEXT NOT NULL,                           -- JSON: the chosen roles
    confirm              INTEGER NOT NULL CHECK (confirm IN (0, 1)),  -- 已传达 asked
    deadline_at          TEXT,
    status               TEXT NOT NULL DEFAULT 'sending' CHECK (status IN
                           ('sending', 'paused', 'recalled', 'done')),
    recipients           INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    finished_at          TEXT,
    -- the admin's progress message, edited in place
    progress_chat_id     INTEGER,
    progress_message_id  INTEGER,
    progress_text        TEXT,
    progress_final       INTEGER NOT NULL DEFAULT 0,
    reminded_at          TEXT
);
CREATE INDEX notices_author ON notices (author_id, id);
-- the sweep's work: notices not finished, and reminders not sent yet
CREATE INDEX notices_unfinished ON notices (progress_final);
CREATE INDEX notices_to_remind ON notices (deadline_at) WHERE reminded_at IS NULL AND confirm = 1;

CREATE TABLE notice_deliveries (
    notice_id     INTEGER NOT NULL REFERENCES notices(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    seq           INTEGER NOT NULL,                      -- sending order
    area_id       INTEGER NOT NULL REFERENCES areas(id), -- the member's area at sending
    -- the member's street/town, community/village and building/group, for the breakdown
    level1_id     INTEGER,
    level2_id     INTEGER,
    level3_id     INTEGER,
    outbox_id     INTEGER REFERENCES outbox(id),         -- NULL: not handed to the outbox yet
    read_at       TEXT,
    relayed_at    TEXT,
    households    INTEGER,
    outreach_id   INTEGER REFERENCES outreach_logs(id),  -- the 政策宣讲 logged by the relay
    reminded      INTEGER NOT NULL DEFAULT 0,
    recall_done   INTEGER NOT NULL DEFAULT 0,            -- recall: its messages were deleted
    PRIMARY KEY (notice_id, member_id)
);
CREATE UNIQUE INDEX notice_deliveries_seq ON notice_deliveries (notice_id, seq);
CREATE INDEX notice_deliveries_outbox ON notice_deliveries (outbox_id);
