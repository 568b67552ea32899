"""Durability: the confirm step of a report against one aiosqlite insert and commit.

The confirm step is :func:`bot.services.report_flow.submit`, what ``✅ 提交`` runs:
:func:`~bot.services.reporting.open_case` (one write transaction that stores the case,
its photos and its 'created' event and queues an alert per admin), then the draft is
no longer tracked. The baseline is the least a durable write can cost on the same kind of file
(WAL, synchronous=NORMAL, the bot's pragmas): one aiosqlite ``INSERT`` and ``COMMIT``.
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
                await report_flow.begin(db, clock, leader, f"f{n}")
                began = time.perf_counter()
                await report_flow.submit(db, clock, config, leader, draft(f"f{n}"))
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
            # How many statements one confirm runs: each is a hop to aiosqlite's thread.
            statements: list[str] = []
            await report_flow.begin(db, clock, leader, "counted")
            await db.conn.set_trace_callback(statements.append)
            await report_flow.submit(db, clock, config, leader, draft("counted"))
            await db.conn.set_trace_callback(None)
            cases = await db.fetchval("SELECT count(*) FROM cases") - 1
            assert cases == reports + 20, cases
        finally:
            await bare.close()
            await db.close()
    confirm_us = statistics.median(confirm) * 1e6
    insert_us = statistics.median(insert) * 1e6
    ratio = confirm_us / insert_us
    hops = len(statements)
    return [
        Figure("durability: one aiosqlite insert + commit", insert_us, "µs", "", None),
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
            hops,
            "",
            "",
            None,
            "BEGIN and COMMIT included; the baseline runs 3",
        ),
        Figure(
            "durability: confirm / insert",
            ratio,
            "×",
            "≤ 2",
            ratio <= 2,
            "" if ratio <= 2 else "held back by one thread hop per statement",
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
