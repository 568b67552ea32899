"""The benchmarks' recorder records each statement the bot runs once, triggers or not.

SQLite's trace callback fires again at the start of every trigger program a write
runs, and Python reports the outer statement each time; recorded as it came, a
replay ran ``INSERT INTO cases`` three times and failed on its idempotency key.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bench import dispatch
from bench.trace import Recorder, Step


async def test_a_write_with_triggers_is_recorded_once_and_a_repeat_in_a_new_hop_twice(
    tmp_path: Path,
) -> None:
    conn = await aiosqlite.connect(tmp_path / "t.sqlite3", isolation_level=None)
    try:
        await conn.executescript(
            "CREATE TABLE t (x UNIQUE, n INTEGER DEFAULT 0); CREATE TABLE u (y);"
            " CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO u VALUES (NEW.x); END;"
            " CREATE TRIGGER b AFTER UPDATE ON t BEGIN DELETE FROM u WHERE y < 0; END;"
        )
        recorder = Recorder()
        await recorder.attach(conn)
        recorder.step = step = Step("other", None)
        await conn.execute("INSERT INTO t (x) VALUES (1), (2)")
        # Run twice by the bot (two awaits): both are recorded.
        await conn.execute("UPDATE t SET n = n + 1")
        await conn.execute("UPDATE t SET n = n + 1")
        await conn.execute_fetchall("SELECT count(*) FROM u")
        await recorder.detach()
        assert step.statements == [
            "INSERT INTO t (x) VALUES (1), (2)",
            "UPDATE t SET n = n + 1",
            "UPDATE t SET n = n + 1",
            "SELECT count(*) FROM u",
        ]
    finally:
        await conn.close()


async def test_the_floors_replay_every_case_insert_without_a_failure() -> None:
    run = await dispatch.one_run(2, 1)
    inserts = [
        sql
        for step in run.steps
        for sql in step.statements
        if sql.lstrip().upper().startswith("INSERT INTO CASES")
    ]
    assert inserts and len(inserts) == len(set(inserts))
    failed = {variant: failed for variant, (failed, _api) in run.floor_errors.items()}
    assert failed == dict.fromkeys(dispatch.VARIANTS, 0)
    # The floors' failed Bot API calls are gridbot's own (an edit that changes nothing).
    own = sum(step.api_errors for step in run.steps)
    assert all(api == own for _failed, api in run.floor_errors.values())
