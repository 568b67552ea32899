"""The database: pragmas, migrations, transactions, and databases that cannot be used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.db import Database, DatabaseError
from storage.migrate import available_migrations, migrate, schema_version


async def test_pragmas(db: Database) -> None:
    assert (await db.fetchval("PRAGMA journal_mode")).lower() == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA busy_timeout") == 5000


async def test_migrations_apply_once_and_record_the_version(tmp_path: Path) -> None:
    db = await Database(tmp_path / "x.sqlite3").open()
    newest = available_migrations()[-1].version
    assert await migrate(db) == list(range(1, newest + 1))
    assert await migrate(db) == []
    assert await schema_version(db) == newest
    rows = await db.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, newest + 1))
    await db.close()


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT count(*) FROM counters") == 0


async def test_reading_through_the_database_inside_a_transaction_fails_fast(db: Database) -> None:
    async with db.transaction():
        with pytest.raises(RuntimeError, match="use the Transaction"):
            await db.fetchone("SELECT 1")


async def test_a_commit_tells_the_hooks_of_what_it_marked(db: Database) -> None:
    told: list[str] = []
    db.on_commit("outbox.queued", lambda: told.append("outbox"))
    db.on_commit("other", lambda: told.append("other"))
    async with db.transaction() as tx:
        tx.mark("outbox.queued")
        tx.mark("outbox.queued")  # one commit, told once
        assert told == []  # not before the commit: nothing is there yet for others
    assert told == ["outbox"]
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            tx.mark("outbox.queued")
            raise RuntimeError("rolled back")
    assert told == ["outbox"]  # nothing committed, nobody told
    async with db.transaction():
        pass
    assert told == ["outbox"]  # a commit that marked nothing tells nobody
    db.mark("other")  # a statement run on its own is committed already
    assert told == ["outbox", "other"]


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO members (tg_user_id, name, role, area_id, work_id, joined_at)"
            " VALUES (1, 'x', 'building_leader', 999, 'w', 'now')"
        )


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = await Database(path).open()
    await migrate(db)
    await db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')"
    )
    with pytest.raises(DatabaseError, match="newer than this gridbot"):
        await migrate(db)
    await db.close()


async def test_corrupt_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        await Database(path).open()


async def test_backup_is_a_working_copy(db: Database, tmp_path: Path) -> None:
    await db.execute("INSERT INTO counters (name, value) VALUES ('kept', 7)")
    target = tmp_path / "backup.sqlite3"
    await db.backup_to(target)
    copy = await Database(target).open()
    assert await copy.fetchval("SELECT value FROM counters WHERE name = 'kept'") == 7
    await copy.close()
