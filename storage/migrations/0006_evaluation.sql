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

-- 督办数 and 重办率 count the cases with an event of a kind (escalated, reopened): few
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
