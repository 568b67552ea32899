-- 我的待办 (the menu's 📌 button, /todo, the reminders): the cases assigned to a member were
-- found through the status index, reading every case at that status in the district. Only
-- assigned cases are in this index, so it costs nothing on the writes of the others.
CREATE INDEX cases_assignee ON cases (assignee_id, status) WHERE assignee_id IS NOT NULL;
