-- Fewer calls per tap (issue 14): what a kept card copy shows, as the handler that redrew it
-- drew it (a digest of its text and buttons). The outbox's next edit of that copy compares
-- and makes no call when it would show the same; it is cleared by that edit either way.
ALTER TABLE message_refs ADD COLUMN shown TEXT;
