"""Database.run_transaction: a whole transaction in one trip to the database's thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from storage.db import Database, Transaction


async def _table(db: Database) -> None:
    await db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)")


async def test_the_body_runs_on_the_database_thread_and_commits(db: Database) -> None:
    await _table(db)
    threads: set[str] = set()

    async def body(tx: Transaction) -> int:
        threads.add(threading.current_thread().name)
        await tx.execute("INSERT INTO t VALUES (1, 10)")
        await tx.execute("UPDATE t SET v = v + 1 WHERE k = 1")
        return int(await tx.fetchval("SELECT v FROM t WHERE k = 1"))

    assert await db.run_transaction(body) == 11
    assert await db.fetchval("SELECT v FROM t") == 11
    assert len(threads) == 1 and next(iter(threads)).startswith("gridbot-tx")


async def test_a_failing_body_is_rolled_back(db: Database) -> None:
    await _table(db)

    async def body(tx: Transaction) -> None:
        await tx.execute("INSERT INTO t VALUES (1, 10)")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await db.run_transaction(body)
    assert await db.fetchval("SELECT count(*) FROM t") == 0
    assert not db.conn.in_transaction


async def test_hooks_run_after_the_commit_only(db: Database) -> None:
    await _table(db)
    told: list[int] = []
    db.on_commit("t", lambda: told.append(1))

    async def body(tx: Transaction) -> None:
        await tx.execute("INSERT INTO t VALUES (1, 10)")
        tx.mark("t")
        assert told == []

    await db.run_transaction(body)
    assert told == [1]

    async def failing(tx: Transaction) -> None:
        tx.mark("t")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await db.run_transaction(failing)
    assert told == [1]


async def test_a_body_that_waits_on_something_else_is_refused(db: Database) -> None:
    await _table(db)

    async def body(tx: Transaction) -> None:
        await tx.execute("INSERT INTO t VALUES (1, 10)")
        await asyncio.sleep(0)  # not a query: it would need the event loop

    with pytest.raises(RuntimeError, match="must only query"):
        await db.run_transaction(body)
    assert await db.fetchval("SELECT count(*) FROM t") == 0


async def test_it_takes_turns_with_every_other_use_of_the_connection(db: Database) -> None:
    await _table(db)
    await db.execute("INSERT INTO t VALUES (1, 0)")

    async def one_trip(tx: Transaction) -> None:
        value = int(await tx.fetchval("SELECT v FROM t WHERE k = 1"))
        await tx.execute("UPDATE t SET v = ? WHERE k = 1", (value + 1,))

    async def statement_by_statement() -> None:
        async with db.transaction() as tx:
            value = int(await tx.fetchval("SELECT v FROM t WHERE k = 1"))
            await tx.execute("UPDATE t SET v = ? WHERE k = 1", (value + 1,))

    await asyncio.gather(
        *(db.run_transaction(one_trip) for _ in range(40)),
        *(statement_by_statement() for _ in range(40)),
    )
    assert await db.fetchval("SELECT v FROM t") == 80


async def test_a_group_of_reads_runs_in_one_trip_and_writes_nothing(db: Database) -> None:
    await _table(db)
    await db.execute("INSERT INTO t VALUES (1, 10)")
    seen: list[str] = []
    await db.conn.set_trace_callback(seen.append)

    async def reads(tx: Transaction) -> tuple[int, int]:
        first = int(await tx.fetchval("SELECT v FROM t WHERE k = 1"))
        count = int(await tx.fetchval("SELECT count(*) FROM t"))
        return first, count

    assert await db.run_reads(reads) == (10, 1)
    await db.conn.set_trace_callback(None)
    assert [s.split()[0] for s in seen] == ["BEGIN", "SELECT", "SELECT", "COMMIT"]
    assert "IMMEDIATE" not in seen[0], "a read transaction does not take the write lock"
