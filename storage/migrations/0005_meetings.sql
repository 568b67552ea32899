-- Meetings (例会): series with their rule, occurrences, answers and check-ins, and a
-- record of every reminder, so none is ever sent twice. Duty posts and shifts
-- (自行排班) with their sign-ups, and the daily digests already sent.

CREATE TABLE meeting_series (
    id                INTEGER PRIMARY KEY,
    area_id           INTEGER NOT NULL REFERENCES areas(id),
    title             TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    rule              TEXT NOT NULL CHECK (rule IN ('weekly', 'monthly_nth', 'monthly_day', 'once')),
    weekday           INTEGER CHECK (weekday BETWEEN 0 AND 6),     -- 0 = Monday
    nth               INTEGER CHECK (nth BETWEEN 1 AND 5),
    day               INTEGER CHECK (day BETWEEN 1 AND 31),
    on_date           TEXT,                                        -- 'YYYY-MM-DD', local
    local_time        TEXT NOT NULL,                               -- 'HH:MM', local
    duration_minutes  INTEGER NOT NULL DEFAULT 90,
    place             TEXT NOT NULL DEFAULT '',
    roles             TEXT NOT NULL DEFAULT '[]',     -- JSON: the roles expected, in the area and below
    offsets           TEXT NOT NULL DEFAULT '[1440, 60]',  -- JSON: reminders, minutes before
    created_by        INTEGER REFERENCES members(id),
    created_at        TEXT NOT NULL,
    cancelled_at      TEXT
);
CREATE INDEX meeting_series_area ON meeting_series (area_id);

-- One meeting of a series. ``slot`` is the rule's local date ('YYYY-MM-DD') and names the
-- occurrence, so changing the series' time of day keeps it; ``starts_at`` is when it
-- really starts (moved when an admin changes the series or this one occurrence).
CREATE TABLE meeting_occurrences (
    id            INTEGER PRIMARY KEY,
    series_id     INTEGER NOT NULL REFERENCES meeting_series(id),
    slot          TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    place         TEXT,                     -- NULL: the series' place
    status        TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    changed       INTEGER NOT NULL DEFAULT 0 CHECK (changed IN (0, 1)),
    minutes       TEXT,                     -- 纪要
    minutes_by    INTEGER REFERENCES members(id),
    minutes_at    TEXT,
    UNIQUE (series_id, slot)
);
CREATE INDEX meeting_occurrences_start ON meeting_occurrences (status, starts_at);

-- Answers (参加/请假) and check-ins (签到).
CREATE TABLE meeting_attendance (
    occurrence_id  INTEGER NOT NULL REFERENCES meeting_occurrences(id),
    member_id      INTEGER NOT NULL REFERENCES members(id),
    answer         TEXT CHECK (answer IN ('attend', 'excused')),
    reason         TEXT,
    answered_at    TEXT,
    checked_in_at  TEXT,
    PRIMARY KEY (occurrence_id, member_id)
);

-- Every reminder due, sent or (too late after downtime) skipped: written in the same
-- transaction as its outbox row, so a restart can never send it again.
CREATE TABLE meeting_reminders (
    occurrence_id   INTEGER NOT NULL REFERENCES meeting_occurrences(id),
    member_id       INTEGER NOT NULL REFERENCES members(id),
    offset_minutes  INTEGER NOT NULL,   -- 0: the admin's summary of answers
    outcome         TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
    due_at          TEXT NOT NULL,
    at              TEXT NOT NULL,
    UNIQUE (occurrence_id, member_id, offset_minutes)
);

-- Duty posts (a gate checkpoint, a patrol route) and their shifts.
CREATE TABLE duty_posts (
    id          INTEGER PRIMARY KEY,
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    created_by  INTEGER REFERENCES members(id),
    created_at  TEXT NOT NULL,
    UNIQUE (area_id, name)
);

CREATE TABLE shifts (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES duty_posts(id),
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    needed      INTEGER NOT NULL DEFAULT 1 CHECK (needed BETWEEN 1 AND 20),
    created_by  INTEGER REFERENCES members(id),
    created_at  TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX shifts_start ON shifts (starts_at);

CREATE TABLE shift_assignments (
    shift_id     INTEGER NOT NULL REFERENCES shifts(id),
    member_id    INTEGER NOT NULL REFERENCES members(id),
    assigned_by  INTEGER REFERENCES members(id),   -- NULL or the member: signed up themselves
    at           TEXT NOT NULL,
    PRIMARY KEY (shift_id, member_id)
);

-- Shift reminders and unstaffed alerts already queued: one per shift, person and kind.
CREATE TABLE shift_notices (
    shift_id   INTEGER NOT NULL REFERENCES shifts(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    kind       TEXT NOT NULL CHECK (kind IN ('reminder', 'unstaffed')),
    outcome    TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
    at         TEXT NOT NULL,
    UNIQUE (shift_id, member_id, kind)
);

-- Daily digests, one per admin and local date (sent, or empty and not sent).
CREATE TABLE digests (
    member_id   INTEGER NOT NULL REFERENCES members(id),
    local_date  TEXT NOT NULL,
    since       TEXT NOT NULL,
    until       TEXT NOT NULL,
    sent        INTEGER NOT NULL CHECK (sent IN (0, 1)),
    PRIMARY KEY (member_id, local_date)
);
