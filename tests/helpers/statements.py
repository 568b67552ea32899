"""The SQL statements the bot runs while a test watches: SQLite's own trace callback on the
bot's connection (aiosqlite's ``set_trace_callback``), so a test can count reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.offline.harness import OfflineBot

# The read of a member by Telegram user id (storage.members.by_tg_user).
MEMBER_BY_TG_USER = "FROM members m JOIN areas a ON a.id = m.area_id WHERE m.tg_user_id = ?"


class Statements:
    """The statements run so far, in order, each as SQLite reports it (parameters bound)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _trace(self, sql: str) -> None:  # on the database thread: list.append is atomic
        # A statement of a script (Database.write_batch) is traced with its ";".
        self.seen.append(sql.strip().removesuffix(";"))

    def count(self, fragment: str) -> int:
        """How many statements contain ``fragment`` (``?`` in it matches any bound value)."""
        head, _, tail = fragment.partition("?")
        return sum(1 for sql in self.seen if head in sql and tail in sql.partition(head)[2])

    def clear(self) -> None:
        """Forget what was seen so far."""
        self.seen.clear()


@asynccontextmanager
async def statements(gridbot: OfflineBot) -> AsyncIterator[Statements]:
    """Record the statements the bot's connection runs inside the ``async with``."""
    seen = Statements()
    conn = gridbot.db.conn
    await conn.set_trace_callback(seen._trace)
    try:
        yield seen
    finally:
        await conn.set_trace_callback(None)
