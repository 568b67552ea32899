-- gridbot keeps its own record of each member's running conversation (flow) in their
-- user data: "flows": {conversation name: chat id} (handlers/flows.py). The guard and
-- the conversations read that record, not python-telegram-bot's state; so a
-- conversation already running when this version is installed is recorded here, from
-- its persisted state (key [chat id, user id]; -1 is an ended one), and goes on.
INSERT INTO ptb_user_data (user_id, data)
SELECT DISTINCT json_extract(key, '$[1]'), '{}'
FROM ptb_conversations
WHERE json_valid(key) AND json_array_length(key) = 2 AND state <> '-1'
ON CONFLICT (user_id) DO NOTHING;

UPDATE ptb_user_data
SET data = json_set(
    data,
    '$.flows',
    json((
        SELECT json_group_object(c.name, json_extract(c.key, '$[0]'))
        FROM ptb_conversations AS c
        WHERE json_valid(c.key) AND json_array_length(c.key) = 2 AND c.state <> '-1'
          AND json_extract(c.key, '$[1]') = ptb_user_data.user_id
    ))
)
WHERE user_id IN (
    SELECT json_extract(key, '$[1]')
    FROM ptb_conversations
    WHERE json_valid(key) AND json_array_length(key) = 2 AND state <> '-1'
);
