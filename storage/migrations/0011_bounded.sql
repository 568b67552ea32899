-- Nothing that grows with history on the hot path (issue 14).

-- The daily digest's closed (办结) and rejected (不予受理) cases of a period, per community:
-- without it each admin's digest read every case of their communities.
CREATE INDEX cases_community_ended ON cases (community_id, status, closed_at);

-- The SLA sweep and the digest's overdue section read only what is due: per stage, the
-- cases whose limit has passed, not every open case. Only cases not yet ended are in
-- them (closed_at is set exactly when a case is closed or rejected, for good), so they
-- stay as small as the open cases; the queries name the same condition to use them.
CREATE INDEX cases_status_accept_due ON cases (status, accept_due) WHERE closed_at IS NULL;
CREATE INDEX cases_status_resolve_due ON cases (status, resolve_due) WHERE closed_at IS NULL;
