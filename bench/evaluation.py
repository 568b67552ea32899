"""Evaluation: /stats, the export and the roster import on the 1,000,000-case database.

The scale benchmark's database (bench/scale.py) is copied once and given what
evaluation reads that the scale data lacks: an 'accepted' event for every case taken
up (so the trigger fills ``accepted_at``), 'escalated' and 'reopened' events for a few
percent, a year of policy outreach and patrol logs, and a daily shift per community.
That copy is cached beside the scale database.

Figures (printed, never asserted):

- ``/stats`` SQL for a community, a street and the district, for last month and for
  the year: ``bot.services.stats.figures``, as the handler calls it (median of runs;
  and the first run of each year, which adds up the past months once);
- the chart of each (``bot.documents.charts.stats_chart``, as the handler runs it in a thread);
- one street's year exported to XLSX by ``python -m bot export`` in a process of its
  own: the wall time, and the peak memory (maximum resident set) of that process;
- an 8,290-row roster imported with ``python -m bot import-roster`` (check every row,
  make the invites, write the PDF of cards): the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook

from bench import scale
from bench.report import Figure, print_report, run
from bot.clock import FakeClock
from bot.config import load_config
from bot.documents import charts
from bot.services import stats
from storage import areas as area_repo
from storage.db import Database

ENRICH_VERSION = 1  # bump when what is added to the copy changes
# The scale data runs from 2022-01-01 to 2026-12-31; its last year is measured.
NOW = datetime(2026, 12, 31, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai on the last day
ROOT = Path(__file__).resolve().parent.parent
ROSTER_ROWS = 8_290


def _enrich(path: Path) -> None:
    """Add what the statistics read and the scale data lacks (bulk SQL, one transaction)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -400000")
        conn.execute("BEGIN")
        # accepted 40 minutes after the report (the trigger sets cases.accepted_at)
        conn.execute(
            "INSERT INTO case_events (case_id, at, actor_id, kind, from_status, to_status)"
            " SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+40 minutes'), NULL,"
            " 'accepted', 'new', 'accepted' FROM cases"
            " WHERE status NOT IN ('new', 'rejected') ORDER BY id"
        )
        conn.execute(
            "INSERT INTO case_events (case_id, at, actor_id, kind, data)"
            " SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+3 hours'), NULL,"
            " 'escalated', '{\"level\": 1}' FROM cases WHERE id % 50 = 7"
        )
        conn.execute(
            "INSERT INTO case_events (case_id, at, actor_id, kind, from_status, to_status)"
            " SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+1 day'), reporter_id,"
            " 'reopened', 'resolved', 'in_progress' FROM cases"
            " WHERE id % 40 = 3 AND status = 'closed'"
        )
        # a year of duty logs: each leader about twice a month outreach, weekly patrols
        conn.execute(
            "WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k < 51)"
            " INSERT INTO outreach_logs (member_id, area_id, topic, households, at)"
            " SELECT m.id, m.area_id, 'anti_fraud', 10 + m.id % 30,"
            " strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (d.k * 7 + m.id % 7) || ' days',"
            "   '+2 hours') FROM members m, d"
            " WHERE m.role LIKE 'building%' AND (m.id + d.k) % 3 = 0"
        )
        conn.execute(
            "WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k < 51)"
            " INSERT INTO patrol_logs (member_id, area_id, at)"
            " SELECT m.id, m.area_id,"
            " strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (d.k * 7 + m.id % 7) || ' days',"
            "   '+11 hours') FROM members m, d WHERE m.role LIKE 'building%'"
        )
        # a gate checkpoint per community, a shift a day, most days staffed
        conn.execute(
            "INSERT INTO duty_posts (area_id, name, created_at)"
            " SELECT id, '小门卡口', '2025-12-01T00:00:00Z' FROM areas WHERE kind = 'community'"
        )
        conn.execute(
            "WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k < 364)"
            " INSERT INTO shifts (post_id, starts_at, ends_at, needed, created_at)"
            " SELECT p.id, strftime('%Y-%m-%dT00:00:00Z', '2026-01-01', '+' || d.k || ' days'),"
            " strftime('%Y-%m-%dT04:00:00Z', '2026-01-01', '+' || d.k || ' days'), 2,"
            " '2025-12-01T00:00:00Z' FROM duty_posts p, d"
        )
        conn.execute(
            "WITH lm AS (SELECT m.id, b.parent_id AS community,"
            "   row_number() OVER (PARTITION BY b.parent_id ORDER BY m.id) - 1 AS k,"
            "   count(*) OVER (PARTITION BY b.parent_id) AS n"
            "   FROM members m JOIN areas b ON b.id = m.area_id WHERE b.kind = 'building')"
            " INSERT INTO shift_assignments (shift_id, member_id, at)"
            " SELECT s.id, lm.id, s.created_at FROM shifts s JOIN duty_posts p ON p.id = s.post_id"
            " JOIN lm ON lm.community = p.area_id AND lm.k = s.id % lm.n WHERE s.id % 5 <> 0"
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


async def database(size: scale.Size) -> tuple[Path, float | None]:
    """The enriched copy of the scale database (made now if need be) and how long that took."""
    source, _ = await scale.generate(size)
    target = source.with_name(f"{source.stem}-evaluation-{ENRICH_VERSION}.sqlite3")
    if target.exists():
        return target, None
    began = time.perf_counter()
    partial = target.with_suffix(".partial")
    db = await Database(source).open()  # a consistent copy, whatever WAL holds
    try:
        await db.backup_to(partial)
    finally:
        await db.close()
    await asyncio.to_thread(_enrich, partial)
    partial.replace(target)
    return target, time.perf_counter() - began


async def _median_ms(repeat: int, work: object) -> float:
    assert callable(work)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e3


def _chart_ms(result: stats.Stats, repeat: int) -> float:
    charts.stats_chart(result, "zh-CN")  # the first draw loads the font
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        charts.stats_chart(result, "zh-CN")
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e3


def _config_file(folder: Path, db_path: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[telegram]\nusername = "yunhe_grid_bot"\n[database]\npath = "{db_path}"\n'
        '[logging]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    return path


# A wrapper whose only child is the command: its children's peak RSS is the command's.
_PEAK = (
    "import resource, subprocess, sys, time\n"
    "began = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n"
    "took = time.perf_counter() - began\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stdout.write(done.stdout.decode())\n"
    "print(f'@@ {done.returncode} {took} {peak}')\n"
)


def _timed_command(args: list[str]) -> tuple[float, float, str]:
    """Run ``python -m bot ARGS`` in its own process: seconds, peak MB, its output."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    *lines, last = done.stdout.strip().splitlines()
    _, code, took, peak = last.split()
    if code != "0":
        raise RuntimeError(f"python -m bot {' '.join(args)} failed:\n" + "\n".join(lines))
    return float(took), int(peak) / 1024, "\n".join(lines)


def _roster_file(path: Path, buildings: list[str], rows: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(["姓名", "手机号", "角色", "区域", "工作证号"])
    for i in range(rows):
        role = "楼门长" if i % 2 == 0 else "楼门长助理"
        sheet.append([f"居民{i:05d}", 15000000000 + i, role, buildings[i % len(buildings)], None])
    book.save(path)


def _roster_db(source: Path, target: Path) -> None:
    """An empty gridbot database with the scale district's areas (where the roster goes)."""
    conn = sqlite3.connect(target)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
        conn.execute("INSERT INTO areas SELECT * FROM src.areas")
        conn.commit()
    finally:
        conn.close()


async def measure(
    *,
    quick: bool = False,
    size: scale.Size | None = None,
    roster_rows: int = ROSTER_ROWS,
    repeat: int | None = None,
) -> list[Figure]:
    """Build (or reuse) the database and measure; return the figures."""
    size = size or (scale.QUICK if quick else scale.FULL)
    path, built = await database(size)
    config = load_config(None, environ={}).replace(**{"database.path": str(path)})
    clock = FakeClock(NOW)
    day = stats.today(clock, config.tz)
    figures: list[Figure] = []
    db = await Database(path).open()
    try:
        levels = {
            "community": await area_repo.get(db, 3),
            "street": await area_repo.get(db, 2),
            "district": await area_repo.get(db, 1),
        }
        repeat = repeat or (3 if quick else 7)
        for level, area in levels.items():
            assert area is not None and area.kind == level, (level, area)
            for name in ("last_month", "year"):
                period = stats.preset(name, day)

                async def work(area: object = area, period: stats.Period = period) -> stats.Stats:
                    return await stats.figures(
                        db,
                        clock,
                        config.tz,
                        config.stats,
                        area,
                        period,  # type: ignore[arg-type]
                    )

                began = time.perf_counter()
                result = await work()
                cold_ms = (time.perf_counter() - began) * 1e3
                sql_ms = await _median_ms(repeat, work)
                chart_ms = await asyncio.to_thread(_chart_ms, result, repeat)
                what = "month" if name == "last_month" else "year"
                figures.append(
                    Figure(
                        f"evaluation: /stats SQL, {level}, {what}",
                        sql_ms,
                        "ms",
                        "< 200 ms",
                        sql_ms < 200,
                        f"{result.cases.reported:,} cases; bot.services.stats.figures",
                    )
                )
                if name == "year":
                    figures.append(
                        Figure(
                            f"evaluation: /stats SQL, {level}, year, the first time",
                            cold_ms,
                            "ms",
                            "",
                            None,
                            "adds up the past months' finished cases once (roll-ups)",
                        )
                    )
                figures.append(
                    Figure(
                        f"evaluation: /stats chart, {level}, {what}",
                        chart_ms,
                        "ms",
                        "< 300 ms",
                        chart_ms < 300,
                        "bot.documents.charts.stats_chart (PNG, matplotlib Agg)",
                    )
                )
        street = levels["street"]
        assert street is not None
        year_cases = await db.fetchval(
            "SELECT count(*) FROM cases c JOIN areas a ON a.id = c.community_id"
            " WHERE a.id_path LIKE ? AND c.created_at >= '2026-01-01' AND c.created_at < '2027'",
            (street.id_path + "%",),
        )
    finally:
        await db.close()
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-eval-") as tmp:
        folder = Path(tmp)
        config_file = _config_file(folder, path)
        took, peak, out = await asyncio.to_thread(
            _timed_command,
            ["export", "--config", str(config_file), "--area", street.path, "--from",
             "2026-01-01", "--to", "2026-12-31", "--out", str(folder / "export")],
        )  # fmt: skip
        size_mb = sum(p.stat().st_size for p in (folder / "export").iterdir()) / 1e6
        # what was exported: the year up to today (the CLI counts no day after it)
        exported = re.search(r"([\d,]+) cases, ([\d,]+) timeline", out)
        what = f"{exported[1]} cases, {exported[2]} events" if exported else "?"
        figures.append(
            Figure(
                "evaluation: export one street's year to XLSX",
                took,
                "s",
                "< 30 s",
                took < 30,
                f"{what} of {year_cases:,} in the year; {size_mb:.1f} MB; python -m bot export",
            )
        )
        figures.append(
            Figure(
                "evaluation: export, peak memory of the process",
                peak,
                "MB",
                "< 150 MB",
                peak < 150,
                "maximum resident set size, interpreter and libraries included",
            )
        )
        roster_db = folder / "roster.sqlite3"
        fresh = await Database(roster_db).open()
        try:
            from storage.migrate import migrate

            await migrate(fresh)
        finally:
            await fresh.close()
        await asyncio.to_thread(_roster_db, path, roster_db)
        conn = sqlite3.connect(roster_db)
        buildings = [r[0] for r in conn.execute("SELECT path FROM areas WHERE kind = 'building'")]
        conn.close()
        roster_file = folder / "roster.xlsx"
        await asyncio.to_thread(_roster_file, roster_file, buildings, roster_rows)
        roster_config = _config_file(folder, roster_db)
        took, _peak, _out = await asyncio.to_thread(
            _timed_command,
            ["import-roster", str(roster_file), "--config", str(roster_config)],
        )
        pdf = folder / "roster-invite-cards.pdf"
        figures.append(
            Figure(
                f"evaluation: import a {roster_rows:,}-row roster with its PDF",
                took,
                "s",
                "< 60 s",
                took < 60,
                f"check, invites, {pdf.stat().st_size / 1e6:.1f} MB PDF of"
                f" {-(-roster_rows // 8):,} pages; python -m bot import-roster",
            )
        )
    if built is not None:
        figures.append(Figure("evaluation: preparing its database copy", built, "s", "", None))
    return figures


def main() -> None:
    """Run the evaluation benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="on the 100,000-case database")
    args = parser.parse_args()
    print_report("evaluation", run(measure(quick=args.quick)))


if __name__ == "__main__":
    main()
