"""Scale: the bot on five years of a district's data.

A database is generated with 1,000,000 cases over five years (with their audit
events and photos), 10,000 members over a district of 5 streets, 50 communities
and 1,000 buildings, and the persisted user data of every member. It is generated
once with bulk SQL in one transaction and cached (``$GRIDBOT_BENCH_CACHE``, else the
temp folder), keyed by the migrations and the generator, so reruns start at once.

Figures: the time to start the bot on that file and be ready for updates (build the
Application, open and migrate the database, load persistence, start), the time of
an admin's page of open cases (the first, and the last of the district's), of opening
one case, and of the whole daily digest sweep; the longest any one statement held the
connection (the writer) during the run; the resident memory of ``python -m bot run``
on the file; its size, and its bytes per case with the outbox a case leaves.

``open_cases_page`` and ``open_one_case`` call the case-handling service as
``/cases`` does; ``add_meetings`` generates the meetings.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import dispatch
from bench.report import Figure, print_report, run
from bench.trace import Recorder
from bot.clock import FakeClock, SystemClock
from bot.config import load_config
from bot.main import build_application, start_offline, stop_offline
from bot.offline.standin import FakeTelegram, Limits, StandInRequest
from bot.offline.standin.http import StandInServer
from bot.runtime import Runtime
from bot.services import cases as case_service
from bot.services import digest
from bot.services.cases import Card
from handlers.cases_list import PER_PAGE
from storage import cases as case_repo
from storage import members as member_repo
from storage.cases import Case, CaseFilter
from storage.db import Database
from storage.members import Member
from storage.migrate import available_migrations, migrate

GENERATOR_VERSION = 2  # bump when the generated data changes
FIVE_YEARS = 5 * 365 * 86_400
START_EPOCH = 1_640_995_200  # 2022-01-01T00:00:00Z


@dataclass(frozen=True)
class Size:
    """How much data to generate."""

    cases: int = 1_000_000
    members: int = 10_000
    meetings: int = 1_000
    streets: int = 5
    communities_per_street: int = 10
    buildings_per_community: int = 20

    def key(self) -> str:
        """A name for the cached file: the sizes, the generator and every migration."""
        digest = hashlib.sha256(f"{self}{GENERATOR_VERSION}".encode())
        for migration in available_migrations():
            digest.update(migration.sql.encode())
        return f"scale-{self.cases}-{digest.hexdigest()[:12]}.sqlite3"


FULL = Size()
QUICK = Size(cases=100_000, members=2_000, meetings=100)


def cache_dir() -> Path:
    """Where generated databases are kept between runs."""
    folder = Path(os.environ.get("GRIDBOT_BENCH_CACHE") or Path(tempfile.gettempdir()))
    return folder / "gridbot-bench"


# ---------------------------------------------------------------- generation


def _areas(conn: sqlite3.Connection, size: Size) -> None:
    """The district tree, ids assigned here so id paths are known without a read-back."""
    now = "2021-12-01T00:00:00Z"
    rows: list[tuple[object, ...]] = [(1, None, "district", "运河区", "运河区", "/1/", 0, now)]
    next_id = 2
    for s in range(size.streets):
        street = next_id
        next_id += 1
        street_path = f"运河区/第{s + 1}街道"
        rows.append((street, 1, "street", f"第{s + 1}街道", street_path, f"/1/{street}/", 1, now))
        for c in range(size.communities_per_street):
            community = next_id
            next_id += 1
            c_name = f"第{s + 1}-{c + 1}社区"
            c_path = f"{street_path}/{c_name}"
            c_ids = f"/1/{street}/{community}/"
            rows.append((community, street, "community", c_name, c_path, c_ids, 2, now))
            for b in range(size.buildings_per_community):
                building = next_id
                next_id += 1
                b_name = f"{b + 1}号楼"
                rows.append(
                    (
                        building, community, "building", b_name, f"{c_path}/{b_name}",
                        f"{c_ids}{building}/", 3, now,
                    )
                )  # fmt: skip
    conn.executemany(
        "INSERT INTO areas (id, parent_id, kind, name, path, id_path, depth, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _members(conn: sqlite3.Connection, size: Size) -> None:
    """One admin per community, street and the district; leaders spread over buildings."""
    conn.execute(
        "INSERT INTO members (tg_user_id, name, phone, role, area_id, work_id, language,"
        " joined_at)"
        " SELECT 900000000 + id, '管理员' || id, '+8613900' || printf('%06d', id),"
        " CASE kind WHEN 'district' THEN 'district_admin' WHEN 'street' THEN 'street_admin'"
        "   ELSE 'community_admin' END,"
        " id, 'ADM-' || id, 'zh-CN', '2021-12-01T00:00:00Z'"
        " FROM areas WHERE kind IN ('district', 'street', 'community') ORDER BY id"
    )
    admins = conn.execute("SELECT count(*) FROM members").fetchone()[0]
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?),"
        " b AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k,"
        "       count(*) OVER () AS total FROM areas WHERE kind = 'building')"
        " INSERT INTO members (tg_user_id, name, phone, role, area_id, work_id, language,"
        " joined_at)"
        " SELECT 800000000 + i, '楼长' || i, '+8613800' || printf('%06d', i),"
        " CASE WHEN i % 3 = 2 THEN 'building_assistant' ELSE 'building_leader' END,"
        " b.id, 'BN-' || i, CASE WHEN i % 20 = 0 THEN 'en' ELSE 'zh-CN' END,"
        " strftime('%Y-%m-%dT%H:%M:%SZ', ? + i * 600, 'unixepoch')"
        " FROM n JOIN b ON b.k = n.i % b.total",
        (size.members - admins, START_EPOCH - 86_400 * 30),
    )
    # What PTB persistence holds for each member: their user data (language, drafts).
    conn.execute(
        "INSERT INTO ptb_user_data (user_id, data)"
        " SELECT tg_user_id, json_object('lang', language) FROM members"
    )


def _cases(conn: sqlite3.Connection, size: Size) -> None:
    """Cases spread evenly over five years; the newest ones still open.

    Each case belongs to its reporter's community; about one in fifty open cases was
    escalated to the street. Closed and rejected cases have two events, open ones one;
    three cases in five have a photo.
    """
    conn.execute(
        "CREATE TEMP TABLE reporters AS"
        " SELECT row_number() OVER (ORDER BY m.id) - 1 AS k, m.id AS member_id,"
        " b.parent_id AS community_id, c.parent_id AS street_id, b.id AS building_id"
        " FROM members m JOIN areas b ON b.id = m.area_id JOIN areas c ON c.id = b.parent_id"
        " WHERE b.kind = 'building'"
    )
    conn.execute("CREATE UNIQUE INDEX temp.reporters_k ON reporters (k)")
    leaders = conn.execute("SELECT count(*) FROM reporters").fetchone()[0]
    open_from = size.cases - size.cases // 200  # the newest 0.5% are not closed
    step = FIVE_YEARS / size.cases
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :cases),"
        " c AS (SELECT i, r.*, CAST(:start + i * :step AS INTEGER) AS at,"
        "   CASE WHEN i >= :open_from THEN"
        "     CASE i % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'accepted' WHEN 2 THEN 'in_progress'"
        "     ELSE 'resolved' END"
        "   WHEN i % 33 = 0 THEN 'rejected' ELSE 'closed' END AS status"
        "   FROM n JOIN reporters r ON r.k = (i * 7919) % :leaders)"
        " INSERT INTO cases (id, number, category, subcategory, description, place_area_id,"
        " urgent, reporter_id, community_id, responsible_area_id, status, reject_reason,"
        " resolution, accept_due, resolve_due, created_at, updated_at, closed_at, rating)"
        " SELECT i, 'YH-' || strftime('%Y%m%d', at, 'unixepoch') || '-' || printf('%07d', i),"
        " CASE i % 5 WHEN 0 THEN 'dispute' WHEN 1 THEN 'sanitation' WHEN 2 THEN 'safety'"
        "   WHEN 3 THEN 'health' ELSE 'opinion' END,"
        " 'other', '楼道堆放杂物，影响通行，请尽快处理。案件' || i, building_id,"
        " i % 17 = 0, member_id, community_id,"
        " CASE WHEN status IN ('new', 'accepted', 'in_progress') AND i % 50 = 0"
        "   THEN street_id ELSE community_id END,"
        " status, CASE status WHEN 'rejected' THEN '重复上报' END,"
        " CASE WHEN status IN ('closed', 'resolved') THEN '已清理完毕' END,"
        " strftime('%Y-%m-%dT%H:%M:%SZ', at + 7200, 'unixepoch'),"
        " strftime('%Y-%m-%dT%H:%M:%SZ', at + 259200, 'unixepoch'),"
        " strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch'),"
        " strftime('%Y-%m-%dT%H:%M:%SZ', at + 86400, 'unixepoch'),"
        " CASE WHEN status IN ('closed', 'rejected')"
        "   THEN strftime('%Y-%m-%dT%H:%M:%SZ', at + 172800, 'unixepoch') END,"
        " CASE WHEN status = 'closed' THEN"
        "   CASE i % 10 WHEN 0 THEN 'dissatisfied' WHEN 1 THEN 'fair' ELSE 'satisfied' END END"
        " FROM c",
        {
            "cases": size.cases,
            "start": START_EPOCH,
            "step": step,
            "open_from": open_from,
            "leaders": leaders,
        },
    )
    conn.execute(
        "INSERT INTO case_events (case_id, at, actor_id, kind, to_status)"
        " SELECT id, created_at, reporter_id, 'created', 'new' FROM cases ORDER BY id"
    )
    conn.execute(
        "INSERT INTO case_events (case_id, at, actor_id, kind, from_status, to_status)"
        " SELECT id, closed_at, NULL, status, 'resolved', status FROM cases"
        " WHERE closed_at IS NOT NULL ORDER BY id"
    )
    conn.execute(
        "INSERT INTO case_photos (case_id, file_id, file_unique_id, stage, position,"
        " added_by, added_at)"
        " SELECT id, 'AgACAgUAAxkBAAIBbench' || id || 'photoXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',"
        " 'AQADbench' || id, 'report', 0, reporter_id, created_at FROM cases WHERE id % 5 < 3"
    )


def add_meetings(conn: sqlite3.Connection, size: Size) -> int:
    """``size.meetings`` meetings: a weekly series per community, their occurrences, answers.

    Each community holds a weekly meeting (例会); the occurrences are the most recent
    weeks, spread over the series, and half the leaders of each community answered each
    one (attend or excused). Returns how many occurrences were added.
    """
    conn.execute(
        "INSERT INTO meeting_series (area_id, title, rule, weekday, local_time, place,"
        " roles, created_at)"
        " SELECT id, name || '周例会', 'weekly', 1, '19:30', name || '党群服务中心',"
        " '[\"building_leader\", \"building_assistant\"]', '2021-12-01T00:00:00Z'"
        " FROM areas WHERE kind = 'community' ORDER BY id"
    )
    series = conn.execute("SELECT count(*) FROM meeting_series").fetchone()[0]
    per_series = -(-size.meetings // series)  # ceiling
    last = START_EPOCH + FIVE_YEARS
    conn.execute(
        "WITH RECURSIVE w(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM w WHERE k + 1 < ?)"
        " INSERT INTO meeting_occurrences (series_id, slot, starts_at)"
        " SELECT s.id, strftime('%Y-%m-%d', ? - w.k * 604800, 'unixepoch'),"
        " strftime('%Y-%m-%dT11:30:00Z', ? - w.k * 604800, 'unixepoch')"
        " FROM meeting_series s, w ORDER BY s.id, w.k LIMIT ?",
        (per_series, last, last, size.meetings),
    )
    conn.execute(
        "INSERT INTO meeting_attendance (occurrence_id, member_id, answer, answered_at)"
        " SELECT o.id, m.id, CASE WHEN (o.id + m.id) % 7 = 0 THEN 'excused' ELSE 'attend' END,"
        " o.starts_at FROM meeting_occurrences o"
        " JOIN meeting_series s ON s.id = o.series_id"
        " JOIN areas b ON b.parent_id = s.area_id AND b.kind = 'building'"
        " JOIN members m ON m.area_id = b.id WHERE (o.id + m.id) % 2 = 0"
    )
    return int(conn.execute("SELECT count(*) FROM meeting_occurrences").fetchone()[0])


def _generate_rows(path: Path, size: Size) -> int:
    """Fill the migrated, empty database at ``path``; return the meetings added."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Bulk load: nobody else has the file yet, and a crash only loses the cache.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -200000")
        conn.execute("BEGIN")
        _areas(conn, size)
        _members(conn, size)
        _cases(conn, size)
        meetings = add_meetings(conn, size)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")
        return meetings
    finally:
        conn.close()


async def generate(size: Size, *, fresh: bool = False) -> tuple[Path, float | None]:
    """The cached database for ``size`` (generated now if need be) and how long that took."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / size.key()
    if path.exists() and not fresh:
        return path, None
    began = time.perf_counter()
    partial = path.with_suffix(".partial")
    for leftover in folder.glob(partial.name + "*"):
        leftover.unlink()
    db = await Database(partial).open()
    try:
        await migrate(db)
    finally:
        await db.close()
    await asyncio.to_thread(_generate_rows, partial, size)
    partial.replace(path)
    return path, time.perf_counter() - began


# ---------------------------------------------------------------- what is measured


async def open_cases_page(
    db: Database, admin: Member, after: int | None = None, *, closed: bool = False
) -> tuple[list[Case], int]:
    """An admin's ``/cases`` page (the one after case ``after``, keyset paging; the
    finished cases if ``closed``) and its count: the case-handling service, as
    handlers/cases_list.py calls it."""
    page = await case_service.open_cases(
        db, admin, status=None, category=None, per_page=PER_PAGE, after=after, closed=closed
    )
    return page.cases, page.total


async def open_total(db: Database, admin: Member) -> int:
    """How many open cases the admin's list holds, counted to the end (untimed: the list
    itself counts no further than its cap)."""
    every = CaseFilter(admin.area_id_path, tuple(sorted(case_service.OPEN)))
    return await case_repo.count_open_cases(db, every, cap=10**12)


async def _last_page_key(db: Database, admin: Member, pages: int) -> int | None:
    """The case the last page starts after: the last of the page before it (untimed)."""
    if pages < 2:
        return None
    page = None
    for _ in range(pages - 1):  # walk the pages as the 下一页 button does
        found, _total = await open_cases_page(db, admin, page)
        page = found[-1].id
    return page


async def open_one_case(db: Database, case_id: int) -> Card | None:
    """Opening one case: its card (reporter, place, photos, responsible area, notes)."""
    return await case_service.card(db, case_id)


async def _startup_seconds(path: Path) -> float:
    """Build and start the bot on ``path``; seconds until it is ready for updates."""
    config = load_config(None, environ={}).replace(**{"database.path": str(path)})
    began = time.perf_counter()
    runtime = Runtime(config=config, db=Database(path), clock=SystemClock())
    api = FakeTelegram(limits=Limits(global_per_second=None, group_per_minute=None))
    app = build_application(runtime, request=StandInRequest(api))
    await start_offline(app)
    ready = time.perf_counter() - began
    await stop_offline(app)
    return ready


BENCH_TOKEN = "7000000001:SCALE-bench-token-0000000000000000"
ROOT = Path(__file__).resolve().parent.parent


def _rss_megabytes(pid: int) -> tuple[float, float]:
    """Resident memory of process ``pid`` now and at its peak, in MB (Linux /proc)."""
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024  # kB
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


async def _process_startup_seconds(path: Path) -> tuple[float, tuple[float, float]]:
    """``python -m bot run`` on ``path`` over HTTP: seconds from spawn to the first long poll.

    Also its resident memory (now, peak) once it polls and has done its first sweeps.

    This is what an operator waits for: the interpreter and imports, opening and
    migrating the file, loading persistence, registering commands, then polling.
    """
    api = FakeTelegram(limits=Limits(global_per_second=None, group_per_minute=None))
    async with StandInServer(api, token=BENCH_TOKEN) as server:
        with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
            config = Path(folder) / "config.toml"
            config.write_text(
                f'[telegram]\ntoken = "{BENCH_TOKEN}"\nbase_url = "{server.base_url}"\n'
                f'base_file_url = "{server.base_file_url}"\n'
                f'[database]\npath = "{path}"\n[logging]\nlevel = "WARNING"\n',
                encoding="utf-8",
            )
            began = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                async with asyncio.timeout(60):
                    while not api.stats.requests.get("getUpdates"):
                        if proc.returncode is not None:
                            raise RuntimeError(f"the bot exited with {proc.returncode}")
                        await asyncio.sleep(0.002)
                ready = time.perf_counter() - began
                # Let the sweeps that run at start (outbox, time limits) run once.
                await asyncio.sleep(0.3)
                memory = _rss_megabytes(proc.pid)
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
    return ready, memory


_OUTBOX: dict[bool, tuple[float, float]] = {}


async def _outbox_bytes_per_case(*, full: bool) -> tuple[float, float]:
    """Outbox bytes a case leaves, and its alert copies' bytes, from a real workload
    (longer for a full run); kept."""
    if full not in _OUTBOX:
        leaders, rounds = (20, 2) if full else (4, 1)
        _OUTBOX[full] = await dispatch.outbox_bytes_per_case(leaders, rounds)
    return _OUTBOX[full]


DIGEST_DAY = "2027-01-01"  # the day after the newest generated case


def _short(sql: str, length: int = 90) -> str:
    """A statement on one line, cut short, for a note."""
    one_line = " ".join(sql.split()).replace("|", "/")
    return one_line if len(one_line) <= length else one_line[: length - 1] + "…"


async def _forget_digest_day(db: Database) -> None:
    """Remove what a digest sweep on :data:`DIGEST_DAY` wrote, so the cached file stays as made."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM digests WHERE local_date = ?", (DIGEST_DAY,))
        await tx.execute(
            "DELETE FROM outbox WHERE dedupe_key LIKE ?", (f"{digest.DIGEST}:%:{DIGEST_DAY}",)
        )


async def digest_sweep_seconds(db: Database, size: Size) -> tuple[float, tuple[int, int]]:
    """Seconds of the whole daily digest sweep (every admin) on the scale database.

    Run as ``sweep:digest`` runs it, at the digest time of the day after the newest
    case; what it writes is removed again afterwards.
    """
    config = load_config(None, environ={})
    hour, minute = (int(part) for part in config.digest.time.split(":"))
    local = datetime.fromisoformat(DIGEST_DAY).replace(
        hour=hour, minute=minute + 1, tzinfo=config.tz
    )
    clock = FakeClock(local.astimezone(UTC))
    await _forget_digest_day(db)
    try:
        began = time.perf_counter()
        result = await digest.send_due(
            db, clock, config.tz, config.digest.time, config.digest.grace_minutes
        )
        return time.perf_counter() - began, result
    finally:
        await _forget_digest_day(db)


async def _timed(repeat: int, work: object) -> float:
    """Median milliseconds of ``repeat`` awaits of ``work()``."""
    assert callable(work)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e3


async def measure(
    *, quick: bool = False, fresh: bool = False, size: Size | None = None
) -> list[Figure]:
    """Generate (or reuse) the database and measure; return the figures."""
    size = size or (QUICK if quick else FULL)
    path, generated = await generate(size, fresh=fresh)
    # The first start after generation reads a cold file; time the second and third.
    await _startup_seconds(path)
    startup = min([await _startup_seconds(path) for _ in range(2)])
    started = [await _process_startup_seconds(path) for _ in range(2)]
    process = min(seconds for seconds, _memory in started)
    rss, peak = max(memory for _seconds, memory in started)
    db = await Database(path).open()
    # Every statement of the run timed on the database thread: which held it longest.
    recorder = Recorder()
    recorder.timeline = []
    await recorder.attach(db.conn)
    try:
        community_admin = await member_repo.by_tg_user(db, 900_000_000 + 3)  # first community
        street_admin = await member_repo.by_tg_user(db, 900_000_000 + 2)
        district_admin = await member_repo.by_tg_user(db, 900_000_000 + 1)
        assert community_admin is not None and street_admin is not None
        assert district_admin is not None
        assert community_admin.role == "community_admin", community_admin
        page, _ = await open_cases_page(db, community_admin)
        street_page, _ = await open_cases_page(db, street_admin)
        assert page and street_page, "no open cases generated"
        total = await open_total(db, community_admin)
        street_total = await open_total(db, street_admin)
        community_ms = await _timed(30, lambda: open_cases_page(db, community_admin))
        street_ms = await _timed(30, lambda: open_cases_page(db, street_admin))
        district_total = await open_total(db, district_admin)
        district_ms = await _timed(30, lambda: open_cases_page(db, district_admin))
        last_page = max(0, (district_total - 1) // PER_PAGE)
        key = await _last_page_key(db, district_admin, last_page + 1)
        last, _ = await open_cases_page(db, district_admin, key)
        assert 0 < len(last) <= PER_PAGE and district_total - len(last) == last_page * PER_PAGE
        last_page_ms = await _timed(10, lambda: open_cases_page(db, district_admin, key))
        finished, finished_total = await open_cases_page(db, district_admin, closed=True)
        assert finished, "no finished cases generated"
        finished_ms = await _timed(10, lambda: open_cases_page(db, district_admin, closed=True))
        old_case = size.cases // 3  # a closed case, two years back
        assert await open_one_case(db, old_case) is not None
        case_ms = await _timed(30, lambda: open_one_case(db, old_case))
        sweep_s, (sent, empty) = await digest_sweep_seconds(db, size)
        await recorder.detach()
        longest_s, longest_sql = recorder.longest_statement()
        counts = {
            table: int(await db.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("cases", "members", "areas", "case_events", "meeting_occurrences")
        }
    finally:
        await db.close()
    file_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    megabytes = file_bytes / 1e6
    # The generator writes no outbox: what a case leaves there is measured on a real run.
    outbox_per_case, copies_per_case = await _outbox_bytes_per_case(full=size.cases >= FULL.cases)
    # Sent rows are pruned after delivery.keep_sent_days: what stays is the rows of the
    # last days' cases, spread over the whole history's cases.
    keep_days = load_config(None, environ={}).delivery.keep_sent_days
    history_days = FIVE_YEARS / 86_400
    kept_per_case = (
        outbox_per_case * min(1.0, keep_days / history_days) if keep_days else outbox_per_case
    )
    # The generator writes no alert copies either; they are pruned as long after their
    # case ended (bot/services/upkeep.py): what stays is the last days' cases' (and the
    # open ones', 0.5% here).
    share = min(1.0, keep_days / history_days) if keep_days else 1.0
    copies_kept = copies_per_case * share
    per_case = file_bytes / max(counts["cases"], 1) + kept_per_case + copies_kept
    what = (
        f"{counts['cases']:,} cases, {counts['case_events']:,} events, {counts['members']:,}"
        f" members, {counts['areas']:,} areas, {counts['meeting_occurrences']:,} meetings"
    )
    figures = [
        Figure(
            "scale: python -m bot run until polling",
            process,
            "s",
            "< 2 s",
            process < 2,
            f"a process over HTTP; {what}",
        ),
        Figure(
            "scale: start until ready, in process",
            startup,
            "s",
            "",
            None,
            "build_application, initialize, startup: the part the data size moves",
        ),
        Figure(
            "scale: /cases page, community admin",
            community_ms,
            "ms",
            "< 20 ms",
            community_ms < 20,
            f"{total:,} open; bot.services.cases.open_cases",
        ),
        Figure(
            "scale: /cases page, street admin",
            street_ms,
            "ms",
            "< 20 ms",
            street_ms < 20,
            f"{street_total:,} open in 10 communities",
        ),
        Figure(
            "scale: /cases page, district admin",
            district_ms,
            "ms",
            "< 20 ms",
            district_ms < 20,
            f"{district_total:,} open in the district",
        ),
        Figure(
            "scale: last /cases page, district admin",
            last_page_ms,
            "ms",
            "< 5 ms",
            last_page_ms < 5,
            f"page {last_page + 1} of {district_total:,} open",
        ),
        Figure(
            "scale: finished /cases page, district admin",
            finished_ms,
            "ms",
            "< 20 ms",
            finished_ms < 20,
            f"latest first; its count stops at {case_service.COUNT_CAP:,}"
            if finished_total > case_service.COUNT_CAP
            else f"{finished_total:,} finished",
        ),
        Figure("scale: open one case", case_ms, "ms", "< 20 ms", case_ms < 20, "its card"),
        Figure(
            "scale: the whole digest sweep",
            sweep_s * 1e3,
            "ms",
            "< 200 ms",
            sweep_s < 0.2,
            f"digest.send_due for every admin: {sent} queued, {empty} empty",
        ),
        Figure(
            "scale: longest one statement held the writer",
            longest_s * 1e3,
            "ms",
            "",
            None,
            f"over the run's pages, card and digest: {_short(longest_sql)}",
        ),
        Figure(
            "scale: RSS of python -m bot run",
            rss,
            "MB",
            "",
            None,
            f"once polling on the scale database; peak {peak:.0f} MB",
        ),
        Figure(
            "scale: database bytes per case, outbox included",
            per_case,
            "B",
            "",
            None,
            f"the file over its cases, plus the outbox kept: a case leaves {outbox_per_case:,.0f} B"
            f" (a short real workload), pruned after {keep_days} days: {kept_per_case:,.0f} B"
            f" over five years; its alert copies {copies_per_case:,.0f} B, pruned after as"
            f" long once the case ended: {copies_kept:,.0f} B",
        ),
        Figure("scale: database size", megabytes, "MB", "", None),
    ]
    if generated is not None:
        figures.append(Figure("scale: generating the database", generated, "s", "", None))
    return figures


def main() -> None:
    """Run the scale benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 cases, 2,000 members")
    parser.add_argument("--fresh", action="store_true", help="generate the database again")
    args = parser.parse_args()
    print_report("scale", run(measure(quick=args.quick, fresh=args.fresh)))


if __name__ == "__main__":
    main()
