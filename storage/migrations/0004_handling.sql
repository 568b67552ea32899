-- Case handling (#4): optimistic concurrency, escalation, auto-closing, bound group chats,
-- mediation records, and the messages that are edited in place as a case moves.

-- Each transition bumps the version; buttons carry it, so a stale or replayed one is refused.
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- How many levels the case went up (督办): 0 at its community, 1 street, 2 district.
ALTER TABLE cases ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN resolved_at TEXT;
ALTER TABLE cases ADD COLUMN resolved_by INTEGER REFERENCES members(id);
-- The verify stage's reminder to the reporter was queued.
ALTER TABLE cases ADD COLUMN verify_reminded INTEGER NOT NULL DEFAULT 0;

-- /cases lists open cases by community, oldest first; the SLA sweep looks for open ones.
CREATE INDEX cases_open ON cases (status, community_id, created_at);

-- Everyone (a member, or a bound group chat) who holds an alert of a case; each copy is
-- edited in place when the case moves, so every chat shows the current state.
CREATE TABLE case_watchers (
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    recipient  TEXT NOT NULL,                     -- the address (chat id) on the channel
    member_id  INTEGER REFERENCES members(id),    -- NULL for a group chat
    area_id    INTEGER NOT NULL REFERENCES areas(id),  -- the level it was alerted as
    added_at   TEXT NOT NULL,
    PRIMARY KEY (case_id, recipient)
);

-- The message sent for an outbox row that is kept in step with something (Outgoing.edit_key).
CREATE TABLE message_refs (
    edit_key    TEXT PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A group chat of an area's admins that receives the area's alerts too (/bindgroup).
CREATE TABLE area_groups (
    area_id   INTEGER NOT NULL REFERENCES areas(id),
    chat_id   INTEGER NOT NULL UNIQUE,
    bound_by  INTEGER NOT NULL REFERENCES members(id),
    bound_at  TEXT NOT NULL,
    PRIMARY KEY (area_id, chat_id)
);

-- The mediation record of a settled dispute (人民调解法 arts. 28-29).
CREATE TABLE mediations (
    case_id      INTEGER PRIMARY KEY REFERENCES cases(id),
    mediator_id  INTEGER NOT NULL REFERENCES members(id),
    parties      TEXT NOT NULL,
    facts        TEXT NOT NULL,     -- the facts and what was disputed
    agreement    TEXT NOT NULL,
    fulfilment   TEXT NOT NULL,     -- how and by when it is carried out
    recorded_at  TEXT NOT NULL,
    revisit_at   TEXT NOT NULL,     -- 回访: the mediator is reminded then
    revisit_sent INTEGER NOT NULL DEFAULT 0 CHECK (revisit_sent IN (0, 1))
);
CREATE INDEX mediations_revisit ON mediations (revisit_sent, revisit_at);
