"""The updates repository: which Telegram update ids the bot has handled."""

from __future__ import annotations

from storage.db import Queryable


async def last_handled(q: Queryable) -> int:
    """The highest update id remembered as handled (0 when none is)."""
    return int(await q.fetchval("SELECT coalesce(max(update_id), 0) FROM processed_updates"))
