"""Durability: the confirm step of a report against one aiosqlite insert and commit.

The confirm step is :func:`bot.services.report_flow.submit`, what ``✅ 提交`` runs:
:func:`~bot.services.reporting.open_case` (one write transaction that stores the case,
its photos and its 'created' event and queues an alert per admin), then the draft is
no longer tracked. The baseline is the least a durable write can cost on the same kind of file
(WAL, synchronous=NORMAL, the bot's pragmas): three statements, ``BEGIN IMMEDIATE``,
one ``INSERT`` and ``COMMIT``, each an await on aiosqlite. Also counted: the
statements, database hops and commits of one confirm, and the WAL pages it writes
(the WAL checkpointed and emptied before, its frames counted after).
Both are measured in the same run, interleaved, so machine noise hits both alike;
the figures are medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import aiosqlite

from bench.report import Figure, print_report, run
from bench.trace import Recorder, Step, commits_of
from bot.clock import SystemClock
from bot.config import load_config
from bot.offline.harness import DEMO_AREAS
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services import report_flow
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.invites import create_invite
from bot.services.report_draft import Draft
from storage.db import Database
from storage.members import Member
from storage.migrate import migrate

WAL_SAMPLES = 15  # confirms whose WAL pages are counted, after the timed ones
DESCRIPTION = "3号楼东侧垃圾堆放三天未清运，气味很大"


def draft(flow: str) -> Draft:
    """What a typical report carries: a description, two photos, a place typed in."""
    return Draft(
        flow=flow,
        category=Category.SANITATION.value,
        kind="garbage",
        description=DESCRIPTION,
        photos=[["AgACAgUAAxkBAAIB-photo-1", "AQADuniq1"], ["AgACAgUAAxkBAAIB-photo-2", "u2"]],
        place_text="滨河龙韵西区3号楼东侧",
        urgent=False,
    )


async def _begin(db: Database, clock: SystemClock, leader: Member, flow: str) -> Draft:
    """A draft begun as /report begins one: its row stored as the update's save stores it."""
    drafted = draft(flow)
    tracked = report_flow.begin(clock, leader, drafted)
    await db.write_batch(lambda: [tracked])
    return drafted


async def _member(db: Database, role: Role, area: str, user_id: int) -> Member:
    clock = SystemClock()
    config = load_config(None, environ={})
    place = await area_service.resolve(db, area)
    invite = await create_invite(db, clock, role=role, area=place, by=None, ttl_days=1)
    return await member_service.register(
        db,
        clock,
        code=invite.code,
        tg_user_id=user_id,
        name=f"成员{user_id}",
        phone=f"+86138{user_id:08d}",
        language="zh-CN",
        grid_code=config.grid.code,
        tz=config.tz,
    )


async def _wal_frames(conn: aiosqlite.Connection) -> int:
    """Frames (pages) in the WAL now; a passive checkpoint reports them (and copies them)."""
    rows = list(await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)"))
    return int(rows[0][1])


async def _baseline_connection(path: Path) -> aiosqlite.Connection:
    """A bare aiosqlite connection with the bot's pragmas, and a table to insert into."""
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL, at TEXT)"
    )
    return conn


async def measure(reports: int = 300) -> list[Figure]:
    """Time ``reports`` confirms and as many single inserts; return the figures."""
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        config = load_config(None, environ={}).replace(
            **{"database.path": str(Path(folder) / "bot.sqlite3")}
        )
        clock = SystemClock()
        db = await Database(config.database.path).open()
        bare = await _baseline_connection(Path(folder) / "bare.sqlite3")
        try:
            await migrate(db)
            text = DEMO_AREAS.read_text(encoding="utf-8")
            await area_service.import_areas(db, area_service.parse_area_file(text), clock)
            leader = await _member(db, Role.BUILDING_LEADER, "滨河龙韵西区1号楼", 30_001)
            # Two admins answer for the community: two alerts queued per report.
            await _member(db, Role.COMMUNITY_ADMIN, "滨河社区", 30_002)
            await _member(db, Role.COMMUNITY_ADMIN, "滨河社区", 30_003)
            confirm: list[float] = []
            insert: list[float] = []
            for n in range(-20, reports):  # the first 20 warm up, untimed
                drafted = await _begin(db, clock, leader, f"f{n}")
                began = time.perf_counter()
                await report_flow.submit(db, clock, config, leader, drafted)
                took = time.perf_counter() - began
                if n >= 0:
                    confirm.append(took)
                began = time.perf_counter()
                await bare.execute("BEGIN IMMEDIATE")
                await bare.execute("INSERT INTO t (body, at) VALUES (?, ?)", (DESCRIPTION, "now"))
                await bare.execute("COMMIT")
                took = time.perf_counter() - began
                if n >= 0:
                    insert.append(took)
            # What one confirm runs: statements, hops to the database thread, commits.
            recorder = Recorder()
            drafted = await _begin(db, clock, leader, "counted")
            await recorder.attach(db.conn)
            recorder.step = step = Step("tap", leader.tg_user_id)
            await report_flow.submit(db, clock, config, leader, drafted)
            await recorder.detach()
            # WAL pages (frames) each commit writes: the WAL emptied before, counted after.
            confirm_pages, insert_pages = [], []
            for n in range(WAL_SAMPLES):
                drafted = await _begin(db, clock, leader, f"w{n}")
                await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
                await report_flow.submit(db, clock, config, leader, drafted)
                confirm_pages.append(await _wal_frames(db.conn))
                await bare.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                await bare.execute("BEGIN IMMEDIATE")
                await bare.execute("INSERT INTO t (body, at) VALUES (?, ?)", (DESCRIPTION, "now"))
                await bare.execute("COMMIT")
                insert_pages.append(await _wal_frames(bare))
            cases = await db.fetchval("SELECT count(*) FROM cases") - 1
            assert cases == reports + 20 + WAL_SAMPLES, cases
        finally:
            await bare.close()
            await db.close()
    confirm_us = statistics.median(confirm) * 1e6
    insert_us = statistics.median(insert) * 1e6
    ratio = confirm_us / insert_us
    statements = len(step.statements)
    commits = commits_of(step.statements)[0]
    pages = statistics.median(confirm_pages)
    baseline_pages = statistics.median(insert_pages)
    return [
        Figure(
            "durability: three-statement insert + commit",
            insert_us,
            "µs",
            "",
            None,
            "BEGIN IMMEDIATE, INSERT, COMMIT on aiosqlite; median",
        ),
        Figure(
            "durability: confirm step (report_flow.submit)",
            confirm_us,
            "µs",
            "",
            None,
            "case, 2 photos, event, 2 admin alerts; median",
        ),
        Figure(
            "durability: SQL statements per confirm",
            statements,
            "",
            "",
            None,
            "BEGIN and COMMIT included; the baseline runs 3",
        ),
        Figure(
            "durability: database hops per confirm",
            step.hops,
            "",
            "",
            None,
            f"awaits that went to the database thread; {commits} commits",
        ),
        Figure(
            "durability: WAL pages written per confirm",
            pages,
            "pages",
            "",
            None,
            f"median of {WAL_SAMPLES}; the baseline insert writes {baseline_pages:g}",
        ),
        Figure(
            "durability: confirm / insert",
            ratio,
            "×",
            "≤ 3",
            ratio <= 3,
            "" if ratio <= 3 else "held back by the hops and commits per confirm above",
        ),
    ]


def main() -> None:
    """Run the durability benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="fewer reports (60)")
    args = parser.parse_args()
    print_report("durability", run(measure(60 if args.quick else args.reports)))


if __name__ == "__main__":
    main()
