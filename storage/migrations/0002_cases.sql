-- Cases (案件) reported by leaders, their photos and audit trail, and the outbox
-- through which every alert, reminder and notice leaves.

CREATE TABLE cases (
    id                   INTEGER PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,          -- YH-20260613-0012
    category             TEXT NOT NULL CHECK (category IN
                           ('dispute', 'sanitation', 'safety', 'health', 'opinion')),
    subcategory          TEXT NOT NULL,                 -- 'neighbours', 'garbage', ...
    details              TEXT NOT NULL DEFAULT '{}',    -- JSON: parties, topic, ...
    description          TEXT,                          -- typed text
    voice_file_id        TEXT,                          -- or a voice message, kept by file id
    voice_duration       INTEGER,
    place_area_id        INTEGER REFERENCES areas(id),  -- a building or unit chosen by button
    place_text           TEXT,                          -- or a typed address
    latitude             REAL,                          -- or a shared location
    longitude            REAL,
    urgent               INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    -- opinions only: the reporter's name is shown to their own community's admins only
    anonymous            INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    reporter_id          INTEGER NOT NULL REFERENCES members(id),
    community_id         INTEGER NOT NULL REFERENCES areas(id),   -- where it was reported
    responsible_area_id  INTEGER NOT NULL REFERENCES areas(id),   -- moves up when escalated
    assignee_id          INTEGER REFERENCES members(id),
    status               TEXT NOT NULL CHECK (status IN
                           ('new', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected')),
    reject_reason        TEXT,
    resolution           TEXT,
    accept_due           TEXT,
    resolve_due          TEXT,
    verify_due           TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT,
    rating               TEXT CHECK (rating IN ('satisfied', 'fair', 'dissatisfied')),
    -- the draft's id: confirming the same draft twice makes one case
    idempotency_key      TEXT UNIQUE
);
CREATE INDEX cases_responsible ON cases (responsible_area_id, status, created_at);
CREATE INDEX cases_community ON cases (community_id, created_at);
CREATE INDEX cases_reporter ON cases (reporter_id, id);
CREATE INDEX cases_status_created ON cases (status, created_at);

CREATE TABLE case_photos (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases(id),
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT,
    stage           TEXT NOT NULL DEFAULT 'report' CHECK (stage IN ('report', 'resolution')),
    position        INTEGER NOT NULL,
    added_by        INTEGER REFERENCES members(id),
    added_at        TEXT NOT NULL
);
CREATE INDEX case_photos_case ON case_photos (case_id, stage, position);

-- Every change to a case: who (NULL for the bot itself), when, from which state to which.
CREATE TABLE case_events (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    at           TEXT NOT NULL,
    actor_id     INTEGER REFERENCES members(id),
    kind         TEXT NOT NULL,      -- created, accepted, rejected, assigned, resolved, ...
    from_status  TEXT,
    to_status    TEXT,
    data         TEXT NOT NULL DEFAULT '{}',   -- JSON: reason, note, level, ...
    -- internal notes are for admins only; the reporter never sees them
    internal     INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1))
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- What must reach someone. The channel names how (telegram today; wecom later); the
-- recipient is an address on that channel; the payload is what the renderer of ``kind``
-- needs, so the text is made in the recipient's language when it is sent.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL DEFAULT 'telegram',
    recipient    TEXT NOT NULL,
    member_id    INTEGER REFERENCES members(id),
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    -- the same reminder or alert is never queued twice
    dedupe_key   TEXT UNIQUE,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                   ('pending', 'sent', 'failed', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  TEXT NOT NULL,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    result       TEXT     -- JSON: what the channel answered (message ids, for editing later)
);
CREATE INDEX outbox_due ON outbox (status, next_try_at);
CREATE INDEX outbox_member ON outbox (member_id, kind);
