"""The read-only connection for long reads: it refuses writes and never waits for the writer."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from storage.db import Database


async def test_the_reader_refuses_writes(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        await db.reader.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
    with pytest.raises(sqlite3.OperationalError):
        await db.reader.execute("DELETE FROM counters")
    assert await db.reader.fetchval("PRAGMA query_only") == 1
    assert await db.fetchval("SELECT count(*) FROM counters") == 0


async def test_the_reader_reads_while_a_write_transaction_is_open(db: Database) -> None:
    await db.execute("INSERT INTO counters (name, value) VALUES ('before', 1)")
    inside = asyncio.Event()
    done = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO counters (name, value) VALUES ('during', 2)")
            inside.set()
            await done.wait()  # the write lock is held until the reader has read

    task = asyncio.create_task(writer())
    await inside.wait()
    # Not blocked by the writer, and sees only what was committed.
    names = await asyncio.wait_for(db.reader.fetchall("SELECT name FROM counters"), 5)
    assert [r["name"] for r in names] == ["before"]
    done.set()
    await task
    assert await db.reader.fetchval("SELECT count(*) FROM counters") == 2
