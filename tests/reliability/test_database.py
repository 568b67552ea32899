"""The database under stress: locked by someone else, corrupt, or from a newer gridbot.

- Another process holding SQLite's write lock (an operator's script, a second bot)
  delays a member's action; when the lock is released the action completes and nothing
  is lost. Held past the busy timeout, the member is told something went wrong, nothing
  half-done is stored, and repeating the step works.
- A corrupt file, or one whose schema is newer than this gridbot knows, stops
  ``python -m bot run`` at start: one line saying what is wrong, a non-zero exit,
  no traceback, and the file untouched.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_config
from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from storage.db import Database
from storage.migrate import migrate
from tests.cli.test_run import DEADLINE, BotProcess, free_port, write_config
from tests.conftest import ErrorLog
from tests.handlers.test_join import make_invite

HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print(conn.execute("SELECT count(*) FROM members").fetchone()[0], flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


class LockHolder:
    """Another process holding SQLite's write lock on the file until released."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.proc: asyncio.subprocess.Process | None = None
        self.members_seen = -1

    async def __aenter__(self) -> LockHolder:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_LOCK, self.path,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        async with asyncio.timeout(DEADLINE):
            self.members_seen = int(await self.proc.stdout.readline())  # it has the lock
        return self

    async def release(self) -> None:
        """Commit and end: the lock is free."""
        assert self.proc is not None and self.proc.stdin is not None
        if self.proc.returncode is None:
            self.proc.stdin.write(b"go\n")
            await self.proc.stdin.drain()
            async with asyncio.timeout(DEADLINE):
                assert await self.proc.wait() == 0

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def test_a_locked_database_delays_a_join_but_loses_nothing(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send("甲某")
    async with LockHolder(gridbot.config.database.path) as other:
        assert other.members_seen == 0
        sharing = asyncio.create_task(user.share_contact())
        # The join cannot finish while the lock is held (waiting here only bounds how
        # long we give it the chance to finish wrongly).
        done, _ = await asyncio.wait({sharing}, timeout=0.5)
        assert not done
        await other.release()
        async with asyncio.timeout(DEADLINE):
            await sharing
    assert "加入成功" in user.last_text
    row = await gridbot.db.fetchone(
        "SELECT name, role FROM members WHERE tg_user_id = ?", (user.user.id,)
    )
    assert row is not None and tuple(row) == ("甲某", "building_leader")
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0


async def test_a_lock_held_past_the_busy_timeout_is_told_and_the_step_can_be_repeated(
    tmp_path: Path, errors: ErrorLog
) -> None:
    config = load_config(None, environ={}).replace(
        **{"database.path": str(tmp_path / "bot.sqlite3"), "database.busy_timeout_ms": 200}
    )
    async with OfflineBot(config, clock=FakeClock()) as bot:
        await bot.import_areas()
        code = await make_invite(bot, Role.BUILDING_LEADER, "欣园小区1号楼")
        user = bot.user("甲")
        await user.send(f"/start {code}")
        await user.send("甲某")
        async with LockHolder(config.database.path) as other:
            await user.share_contact()  # waits 200 ms for the lock, then gives up
            await other.release()
        # The user is told, nothing half-done is stored, and the step is still open.
        assert "现在有点忙" in user.last_text  # "busy, send it again in a while"
        assert await bot.db.fetchval("SELECT count(*) FROM members") == 0
        assert [m.split(":")[0] for m in errors.take()] == ["error while handling an update"]
        await user.share_contact()
        assert "加入成功" in user.last_text
        assert await bot.db.fetchval("SELECT count(*) FROM members") == 1
        bot.api.assert_clean()


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
    assert status == 2, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("gridbot: database: "), output
    assert says in lines[0], output
    assert database.read_bytes() == before  # refused, not "repaired"
