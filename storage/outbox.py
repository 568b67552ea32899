"""The outbox repository: every message that must reach someone, until it has.

A row is written in the same transaction as the change it announces, so an alert
exists if and only if its case does. The delivery worker sends due rows and marks
each sent, retried later, or failed. Only sent rows are ever deleted, after
``delivery.keep_sent_days`` (storage/upkeep.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Queryable, Row, Statement

# The kind sent in bulk (a notice to its recipients): due after every other kind. The
# literal is also in migration 0013's partial index and in due().
BROADCAST = "notice"

_COLUMNS = (
    "id, channel, recipient, member_id, kind, payload, dedupe_key, status, attempts,"
    " next_try_at, last_error, created_at, sent_at, result"
)


@dataclass(frozen=True)
class OutboxRow:
    """One message waiting to be sent, or its record once sent or failed."""

    id: int
    channel: str
    recipient: str
    member_id: int | None
    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None
    status: str
    attempts: int
    next_try_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None
    result: dict[str, Any] | None


def _row(row: Row) -> OutboxRow:
    values = dict(row)
    values["payload"] = json.loads(values["payload"])
    values["result"] = None if values["result"] is None else json.loads(values["result"])
    return OutboxRow(**values)


async def enqueue(
    q: Queryable,
    *,
    channel: str,
    recipient: str,
    member_id: int | None,
    kind: str,
    payload: dict[str, Any],
    now: str,
    dedupe_key: str | None = None,
    not_before: str | None = None,
) -> int | None:
    """Queue a message; return its id, or None if ``dedupe_key`` was queued already."""
    row_id = await q.fetchval(
        "INSERT INTO outbox (channel, recipient, member_id, kind, payload, dedupe_key,"
        " next_try_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        (
            channel,
            recipient,
            member_id,
            kind,
            json.dumps(payload, ensure_ascii=False, sort_keys=True),
            dedupe_key,
            not_before or now,
            now,
        ),
    )
    return None if row_id is None else int(row_id)


async def get(q: Queryable, row_id: int) -> OutboxRow | None:
    """The outbox row with this id, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,))
    return None if row is None else _row(row)


async def due(q: Queryable, now: str, limit: int) -> list[OutboxRow]:
    """Pending rows whose time has come: every other kind first, then a broadcast's
    (:data:`BROADCAST`), each oldest first.

    A broadcast is handed over ahead of what can be sent (bot/services/notices.py), so an
    alert queued meanwhile would otherwise wait behind thousands of its rows. Rows for a
    member who blocked the bot are held: not due until they are reachable.
    """
    columns = ", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(","))
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM ("
        f"SELECT * FROM (SELECT {columns}, 0 AS behind FROM outbox o"
        " INDEXED BY outbox_due_first LEFT JOIN members m ON m.id = o.member_id"
        " WHERE o.status = 'pending' AND o.kind <> 'notice' AND o.next_try_at <= ?"
        " AND m.unreachable_since IS NULL ORDER BY o.next_try_at, o.id LIMIT ?)"
        f" UNION ALL SELECT * FROM (SELECT {columns}, 1 AS behind FROM outbox o"
        " LEFT JOIN members m ON m.id = o.member_id"
        " WHERE o.status = 'pending' AND o.kind = 'notice' AND o.next_try_at <= ?"
        " AND m.unreachable_since IS NULL ORDER BY o.next_try_at, o.id LIMIT ?)"
        ") ORDER BY behind, next_try_at, id LIMIT ?",
        (now, limit, now, limit, limit),
    )
    return [_row(r) for r in rows]


async def save_progress(q: Queryable, row_id: int, result: dict[str, Any]) -> None:
    """Record the parts of a row sent so far (a retry does not send them again)."""
    await q.execute("UPDATE outbox SET result = ? WHERE id = ?", (json.dumps(result), row_id))


async def finish(
    q: Queryable, row_id: int, status: str, now: str, result: dict[str, Any] | None
) -> None:
    """Close a row as ``status`` (sent, cancelled) at ``now``, counting the attempt."""
    await q.execute(
        "UPDATE outbox SET status = ?, sent_at = ?, result = ?, attempts = attempts + 1"
        " WHERE id = ?",
        (status, now, None if result is None else json.dumps(result), row_id),
    )


def settle_copy_statement(
    dedupe_key: str, edit_key: str, chat_id: int, message_id: int, now: str
) -> Statement:
    """The statement that closes the row queued under ``dedupe_key`` as sent, if it is still
    pending and the message kept under ``edit_key`` is (``chat_id``, ``message_id``): that
    copy was redrawn in place by the handler of a press on it (for ``Database.write_batch``)."""
    result = {"chat_id": chat_id, "message_id": message_id, "edited": True, "in_place": True}
    return (
        "UPDATE outbox SET status = 'sent', sent_at = ?, result = ?, attempts = attempts + 1"
        " WHERE dedupe_key = ? AND status = 'pending' AND EXISTS (SELECT 1 FROM message_refs"
        " WHERE edit_key = ? AND chat_id = ? AND message_id = ?)",
        (now, json.dumps(result), dedupe_key, edit_key, chat_id, message_id),
    )


def settle_event_statement(
    key_parts: tuple[str, str], case_id: int, event_kind: str, now: str, result: dict[str, Any]
) -> Statement:
    """The statement that closes as sent, if still pending, the row queued for the latest
    event of ``event_kind`` of a case: its dedupe key is ``key_parts`` around that event's
    id (for ``Database.write_batch``)."""
    return (
        "UPDATE outbox SET status = 'sent', sent_at = ?, result = ?"
        " WHERE status = 'pending' AND dedupe_key = ? || (SELECT max(id) FROM case_events"
        " WHERE case_id = ? AND kind = ?) || ?",
        (now, json.dumps(result), key_parts[0], case_id, event_kind, key_parts[1]),
    )


async def retry_later(
    q: Queryable,
    row_id: int,
    attempts: int,
    next_try: str,
    error: str,
    result: dict[str, Any] | None,
) -> None:
    """Keep a row pending until ``next_try``, with its attempts, error and progress."""
    await q.execute(
        "UPDATE outbox SET attempts = ?, next_try_at = ?, last_error = ?, result = ? WHERE id = ?",
        (attempts, next_try, error[:500], None if result is None else json.dumps(result), row_id),
    )


async def fail(q: Queryable, row_id: int, error: str, result: dict[str, Any] | None) -> None:
    """Give a row up as failed (listed by ``python -m bot outbox``), its progress kept."""
    await q.execute(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?,"
        " result = coalesce(?, result) WHERE id = ?",
        (error[:500], None if result is None else json.dumps(result), row_id),
    )


async def hold(q: Queryable, row_id: int, error: str, result: dict[str, Any] | None) -> None:
    """Keep a row pending for a member who blocked the bot, its progress saved."""
    await q.execute(
        "UPDATE outbox SET last_error = ?, result = coalesce(?, result) WHERE id = ?",
        (error[:500], None if not result else json.dumps(result), row_id),
    )


async def release_held(q: Queryable, member_id: int, now: str) -> int:
    """Make a member's pending rows due now (they can be reached again); return how many."""
    await q.execute(
        "UPDATE outbox SET next_try_at = ? WHERE member_id = ? AND status = 'pending'"
        " AND next_try_at > ?",
        (now, member_id, now),
    )
    return int(await q.fetchval("SELECT changes()"))


async def held_count(q: Queryable) -> int:
    """How many pending rows wait for members who blocked the bot."""
    return int(
        await q.fetchval(
            "SELECT count(*) FROM outbox o JOIN members m ON m.id = o.member_id"
            " WHERE o.status = 'pending' AND m.unreachable_since IS NOT NULL"
        )
    )


async def of_kind(q: Queryable, kind: str, status: str | None = None) -> list[OutboxRow]:
    """Every row of one kind (and status), oldest first."""
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE kind = ?"
    params: list[object] = [kind]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    return [_row(r) for r in await q.fetchall(sql + " ORDER BY id", params)]


async def counts(q: Queryable) -> dict[str, int]:
    """How many rows are in each status."""
    rows = await q.fetchall("SELECT status, count(*) FROM outbox GROUP BY status")
    return {r[0]: int(r[1]) for r in rows}


async def failed(q: Queryable, limit: int = 100) -> list[OutboxRow]:
    """Rows that were given up on, newest first."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [_row(r) for r in rows]


async def requeue_failed(q: Queryable, now: str, row_id: int | None = None) -> int:
    """Put failed rows (one, or all) back in the queue with fresh attempts; return how many."""
    sql = (
        "UPDATE outbox SET status = 'pending', attempts = 0, next_try_at = ?"
        " WHERE status = 'failed'"
    )
    params: list[object] = [now]
    if row_id is not None:
        sql += " AND id = ?"
        params.append(row_id)
    await q.execute(sql, params)
    return int(await q.fetchval("SELECT changes()"))
