"""Database.write_batch: a write-only transaction in one trip, its parameters as literals."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.db import Database, LiteralError, bind, sql_literal

VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text().filter(lambda t: "\x00" not in t),
    st.binary(),
)


@given(VALUES)
def test_a_literal_reads_back_as_the_value(value: object) -> None:
    with sqlite3.connect(":memory:") as conn:
        (back,) = conn.execute(f"SELECT {sql_literal(value)}").fetchone()
    assert back == value


@pytest.mark.parametrize("value", ["a\x00b", 0.5, float("nan"), object()])
def test_what_has_no_literal_is_refused(value: object) -> None:
    with pytest.raises(LiteralError):
        sql_literal(value)


def test_bind_fills_each_placeholder_in_order() -> None:
    sql = bind("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", (1, "it's", None))
    assert sql == "INSERT INTO t (a, b, c) VALUES (1, 'it''s', NULL)"
    with pytest.raises(ValueError, match="placeholders"):
        bind("SELECT ?", (1, 2))


async def _table(db: Database) -> None:
    await db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")


async def test_a_batch_is_one_transaction(db: Database) -> None:
    await _table(db)
    seen: list[str] = []
    await db.conn.set_trace_callback(seen.append)
    await db.write_batch(
        lambda: [
            ("INSERT INTO t VALUES (?, ?)", (1, "一")),
            ("INSERT INTO t VALUES (?, ?)", (2, "'二'")),
        ]
    )
    await db.conn.set_trace_callback(None)
    seen = [sql.strip().removesuffix(";") for sql in seen]  # traced as written in the script
    assert seen[0] == "BEGIN IMMEDIATE" and seen[-1] == "COMMIT" and len(seen) == 4
    rows = await db.fetchall("SELECT k, v FROM t ORDER BY k")
    assert [tuple(r) for r in rows] == [(1, "一"), (2, "'二'")]


async def test_a_failing_batch_writes_nothing_and_leaves_no_transaction_open(db: Database) -> None:
    await _table(db)
    with pytest.raises(sqlite3.IntegrityError):
        await db.write_batch(
            lambda: [
                ("INSERT INTO t VALUES (?, ?)", (1, "a")),
                ("INSERT INTO t VALUES (?, ?)", (1, "b")),
            ]
        )
    assert not db.conn.in_transaction
    assert await db.fetchval("SELECT count(*) FROM t") == 0
    await db.write_batch(lambda: [("INSERT INTO t VALUES (?, ?)", (1, "c"))])
    assert await db.fetchval("SELECT v FROM t") == "c"


async def test_a_value_with_no_literal_is_written_the_usual_way(db: Database) -> None:
    await _table(db)
    await db.write_batch(
        lambda: [
            ("INSERT INTO t VALUES (?, ?)", (1, "a\x00b")),
            ("INSERT INTO t VALUES (?, ?)", (2, "c")),
        ]
    )
    rows = await db.fetchall("SELECT k, v FROM t ORDER BY k")
    assert [tuple(r) for r in rows] == [(1, "a\x00b"), (2, "c")]


async def test_one_statement_goes_on_its_own(db: Database) -> None:
    await _table(db)
    seen: list[str] = []
    await db.conn.set_trace_callback(seen.append)
    await db.write_batch(lambda: [("INSERT INTO t VALUES (?, ?)", (1, "a"))])
    await db.conn.set_trace_callback(None)
    assert len(seen) == 1 and seen[0].startswith("INSERT")
    assert await db.fetchval("SELECT count(*) FROM t") == 1
