"""The database under stress: locked by someone else, corrupt, or from a newer gridbot.

- Another connection holding SQLite's write lock (an operator's backup script, a
  second process) delays a member's action; when the lock is released the action
  completes and nothing is lost.
- A corrupt file, or one whose schema is newer than this gridbot knows, stops
  ``python -m bot run`` at start: one line saying what is wrong, a non-zero exit,
  no traceback, and the file untouched.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.offline import OfflineBot
from bot.services.grid import Role
from storage.db import Database
from storage.migrate import migrate
from tests.test_join import make_invite
from tests.test_run import DEADLINE, BotProcess, free_port, write_config


async def test_a_locked_database_delays_a_join_but_loses_nothing(
    gridbot: OfflineBot, tmp_path: Path
) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send("甲某")
    # Someone else takes the write lock and keeps it.
    other = sqlite3.connect(gridbot.config.database.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        sharing = asyncio.create_task(user.share_contact())
        # The join cannot finish while the lock is held (waiting here only bounds how
        # long we give it the chance to finish wrongly).
        done, _ = await asyncio.wait({sharing}, timeout=0.5)
        assert not done
        assert other.execute("SELECT count(*) FROM members").fetchone()[0] == 0
        other.execute("COMMIT")
        async with asyncio.timeout(DEADLINE):
            await sharing
    finally:
        other.close()
    assert "加入成功" in user.last_text
    row = await gridbot.db.fetchone(
        "SELECT name, role FROM members WHERE tg_user_id = ?", (user.user.id,)
    )
    assert row is not None and tuple(row) == ("甲某", "building_leader")
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


async def newer_schema(path: Path) -> None:
    db = await Database(path).open()
    try:
        await migrate(db)
        await db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)"
            " VALUES (9999, 'from_the_future', '2030-01-01T00:00:00Z')"
        )
    finally:
        await db.close()


async def garbage(path: Path) -> None:
    await asyncio.to_thread(path.write_bytes, b"not a database, a shopping list\n" * 2000)


async def broken_pages(path: Path) -> None:
    """A real database whose schema page was overwritten (a torn write, a bad disk)."""
    db = await Database(path).open()
    try:
        await migrate(db)
        await db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    data = bytearray(await asyncio.to_thread(path.read_bytes))
    data[100:4096] = b"\xff" * (4096 - 100)
    await asyncio.to_thread(path.write_bytes, bytes(data))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (newer_schema, "is newer than this gridbot understands"),
        (garbage, "not a usable SQLite database"),
        (broken_pages, "not a usable SQLite database"),
    ],
    ids=["newer schema", "not a database", "broken pages"],
)
async def test_an_unusable_database_stops_the_bot_with_one_line(
    tmp_path: Path, make: object, says: str
) -> None:
    database = tmp_path / "gridbot.sqlite3"
    assert callable(make)
    await make(database)
    before = database.read_bytes()
    # Nobody listens on the port: the database is looked at before Telegram is.
    config = write_config(tmp_path, free_port())
    bot = BotProcess(config, tmp_path)
    await bot.start()
    assert bot.proc is not None
    try:
        async with asyncio.timeout(DEADLINE):
            status = await bot.proc.wait()
    finally:
        await bot.kill()
    output = bot.output
    assert status == 1, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("gridbot: database: "), output
    assert says in lines[0], output
    assert database.read_bytes() == before  # refused, not "repaired"
