-- A member who blocked the bot is unreachable, not inactive: their messages wait for
-- them and go out when they unblock it or write again (issue 10). "inactive" is now
-- only an operator's decision (python -m bot members).
ALTER TABLE members ADD COLUMN unreachable_since TEXT;

-- Until now a 403 made a member inactive, and nothing else did: those members are
-- unreachable instead, and what failed against the 403 is held for them again.
UPDATE members SET unreachable_since = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), active = 1
 WHERE active = 0;
UPDATE outbox SET status = 'pending', attempts = 0,
       next_try_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
 WHERE status = 'failed' AND last_error LIKE '403:%'
   AND member_id IN (SELECT id FROM members WHERE unreachable_since IS NOT NULL);

-- An update that failed to be handled is remembered like a handled one (it is not
-- tried again), with what went wrong.
ALTER TABLE processed_updates ADD COLUMN error TEXT;
