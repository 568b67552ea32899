"""The updates repository: the Telegram ids the bot remembers, of updates and messages."""

from __future__ import annotations

from storage.db import Queryable


async def last_handled(q: Queryable) -> int:
    """The highest update id remembered as handled (0 when none is)."""
    return int(await q.fetchval("SELECT coalesce(max(update_id), 0) FROM processed_updates"))


async def newest_message_ids(q: Queryable) -> dict[int, int]:
    """Per chat, the highest message id the bot keeps to edit later (alerts, cards)."""
    rows = await q.fetchall("SELECT chat_id, max(message_id) FROM message_refs GROUP BY chat_id")
    return {int(r[0]): int(r[1]) for r in rows}


async def was_handled(q: Queryable, update_id: int) -> bool:
    """Whether the update ``update_id`` is remembered as handled."""
    row = await q.fetchone("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,))
    return row is not None


def handled_statement(
    update_id: int, now: str, error: str | None = None
) -> tuple[str, tuple[object, ...]]:
    """The statement that remembers an update as handled at ``now`` (with the error it
    failed with, if any), for a batch (``Database.write_batch``). A second mark of the
    same update changes nothing: the first is kept."""
    return (
        "INSERT OR IGNORE INTO processed_updates (update_id, processed_at, error) VALUES (?, ?, ?)",
        (update_id, now, None if error is None else error[:500]),
    )


async def forget_before(q: Queryable, cutoff: str) -> int:
    """Forget the updates handled before ``cutoff``; return how many."""
    await q.execute("DELETE FROM processed_updates WHERE processed_at < ?", (cutoff,))
    return int(await q.fetchval("SELECT changes()"))
