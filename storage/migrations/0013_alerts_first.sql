-- Alerts before broadcasts (outbox.due): a notice to thousands is handed to the outbox up
-- to 20 seconds ahead of what can be sent, and a case's alert queued meanwhile waited
-- behind all of it. Due rows other than a notice's are read first, through this index.
CREATE INDEX outbox_due_first ON outbox (next_try_at, id)
    WHERE status = 'pending' AND kind <> 'notice';
