-- Supervision (督办, #9): a case stays with the community handling it; overdue, it gets
-- supervisors one level at a time. ``escalations`` now counts the supervising levels
-- above the handling area (responsible_area_id), which moves only on 接管 / 退回.

-- When the sweep adds the next supervising level if the case is still overdue then
-- (NULL: when the stage's own due time passes). Never a fresh stage limit.
ALTER TABLE cases ADD COLUMN supervise_at TEXT;
-- 1 once the district supervises: nothing is added or announced any more.
ALTER TABLE cases ADD COLUMN supervision_stopped INTEGER NOT NULL DEFAULT 0
    CHECK (supervision_stopped IN (0, 1));
-- The assignee was reminded that the limit is near (/todo's reminder).
ALTER TABLE cases ADD COLUMN assignee_reminded INTEGER NOT NULL DEFAULT 0
    CHECK (assignee_reminded IN (0, 1));

-- Cases escalated the old way moved their responsible area up: give them back to their
-- community, supervised by the levels they had gone up to.
UPDATE cases SET responsible_area_id = community_id WHERE escalations > 0;
