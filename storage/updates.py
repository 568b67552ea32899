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
