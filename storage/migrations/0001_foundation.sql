-- The grid (areas), its people (members), invites, counters, and the state
-- python-telegram-bot keeps for conversations (persistence).
-- Times are UTC, ISO 8601, to the second: 2026-06-13T08:30:00Z (sortable as text).

CREATE TABLE areas (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES areas(id),
    kind        TEXT NOT NULL CHECK (kind IN
                  ('district', 'street', 'town', 'community', 'village',
                   'building', 'group', 'unit')),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64 AND instr(name, '/') = 0),
    -- '运河区/光明街道/光明街社区': what operators type and read
    path        TEXT NOT NULL UNIQUE,
    -- '/1/3/7/': the ids from the root, so "this area and below" is one indexed prefix match
    id_path     TEXT NOT NULL UNIQUE,
    depth       INTEGER NOT NULL CHECK (depth BETWEEN 0 AND 4),
    created_at  TEXT NOT NULL,
    UNIQUE (parent_id, name)
);
CREATE INDEX areas_name ON areas (name);
CREATE INDEX areas_parent ON areas (parent_id);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    tg_user_id  INTEGER NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    phone       TEXT,
    role        TEXT NOT NULL CHECK (role IN
                  ('building_leader', 'building_assistant', 'group_leader', 'group_assistant',
                   'community_admin', 'street_admin', 'district_admin')),
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    work_id     TEXT NOT NULL UNIQUE,            -- 工作证号
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    language    TEXT NOT NULL DEFAULT 'zh-CN',
    invited_by  INTEGER REFERENCES members(id),
    joined_at   TEXT NOT NULL
);
CREATE INDEX members_area ON members (area_id);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,            -- sha256 of the code; the code itself is never stored
    role        TEXT NOT NULL,
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    created_by  INTEGER REFERENCES members(id),  -- NULL: an operator on the command line
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     INTEGER REFERENCES members(id),
    used_at     TEXT
);
CREATE INDEX invites_area ON invites (area_id);

-- Named sequences: work ID numbers per year, case numbers per day.
CREATE TABLE counters (
    name        TEXT PRIMARY KEY,
    value       INTEGER NOT NULL
);

-- Updates already handled, so that one delivered twice (a restart before Telegram
-- learnt we had it) is not handled twice. Pruned after a few days.
CREATE TABLE processed_updates (
    update_id     INTEGER PRIMARY KEY,
    processed_at  TEXT NOT NULL
);

-- python-telegram-bot persistence (storage/persistence.py). JSON in every column.
CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,
    state  TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE TABLE ptb_user_data (
    user_id  INTEGER PRIMARY KEY,
    data     TEXT NOT NULL
);
CREATE TABLE ptb_chat_data (
    chat_id  INTEGER PRIMARY KEY,
    data     TEXT NOT NULL
);
CREATE TABLE ptb_bot_data (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    data  TEXT NOT NULL
);
