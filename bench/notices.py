"""Notices: a broadcast to 8,290 leaders at Telegram's pace, and one resumed after SIGKILL.

**Broadcast.** A district admin sends a notice to every leader and assistant of the
district (8,290, the figure of Yunhe) through the real service, and the real bot
delivers it against a stand-in that enforces 30 messages a second. The stand-in's
flood limiter, the bot's rate limiter and the progress sweep run on scaled time
(``--scale`` virtual seconds per real second). Figures: the achieved rate over the
limit, recipients who got nothing, copies delivered twice, 429 answers, how far the
admin's progress message ever fell behind the true count (virtual seconds), a member's
``/help`` answered while the broadcast runs (p95, real milliseconds: the limiter's
waits are scaled, the bot's own work is not), and the coverage page of the notice
(real milliseconds).

**Resumed after SIGKILL.** ``python -m bot run`` (a real process, real HTTP to the
stand-in, real time) is broadcasting to a few hundred recipients when it is killed at
a random moment; it is started again and finishes. Figures: lost and duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from telegram import Update

from bench.report import Figure, print_report, run
from bench.seed import add_members
from bot.clock import SystemClock
from bot.config import load_config
from bot.main import production_rate_limiter
from bot.offline.harness import OfflineBot
from bot.offline.standin import FakeTelegram, Limits, UserClient
from bot.offline.standin.http import StandInServer
from bot.services import notices as service
from bot.services.grid import Role
from handlers import notice as notice_handlers
from storage.db import Database
from storage.migrate import migrate
from storage.times import to_db

LIMIT_PER_SECOND = 30
TITLE = "姚庄子市场拆迁通知"
LEADER_ROLES = tuple(
    r.value
    for r in (
        Role.BUILDING_LEADER,
        Role.BUILDING_ASSISTANT,
        Role.GROUP_LEADER,
        Role.GROUP_ASSISTANT,
    )
)
FIRST_USER = 600_000
SHOWN = re.compile(r"· ([\d,]+) / ([\d,]+)")
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7000000001:BENCH-notices-token-0000000000000"


async def _seed_recipients(db: Database, recipients: int, now: str) -> list[int]:
    """``recipients`` leaders and assistants over the district's buildings and groups."""
    buildings = [r[0] for r in await db.fetchall("SELECT id FROM areas WHERE kind = 'building'")]
    groups = [r[0] for r in await db.fetchall("SELECT id FROM areas WHERE kind = 'group'")]
    user_ids: list[int] = []
    share = recipients // 4
    plan = (
        (Role.BUILDING_LEADER, buildings, share),
        (Role.BUILDING_ASSISTANT, buildings, share),
        (Role.GROUP_LEADER, groups, share),
        (Role.GROUP_ASSISTANT, groups, recipients - 3 * share),
    )
    for role, areas, count in plan:
        user_ids += await add_members(
            db, count, role=role, area_ids=areas, first_user_id=FIRST_USER + len(user_ids), now=now
        )
    return user_ids


async def broadcast(recipients: int = 8_290, scale: float = 5.0) -> list[Figure]:
    """Send one notice to ``recipients`` and deliver it; return the figures."""
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        config = load_config(None, environ={}).replace(
            **{
                "database.path": str(Path(folder) / "bench.sqlite3"),
                # The progress sweep on scaled time too: every 3 virtual seconds.
                "notices.progress_seconds": max(0.5, 3.0 / scale),
            }
        )
        start = time.monotonic()

        def scaled() -> float:
            return (time.monotonic() - start) * scale

        api = FakeTelegram(limits=Limits(global_per_second=LIMIT_PER_SECOND), clock=scaled)
        limiter = production_rate_limiter(time_scale=scale)
        bot = OfflineBot(config, api=api, clock=SystemClock(), rate_limiter=limiter)
        await bot.start()
        try:
            return await _broadcast(bot, api, recipients, scale)
        finally:
            await bot.stop()


async def _broadcast(
    bot: OfflineBot, api: FakeTelegram, recipients: int, scale: float
) -> list[Figure]:
    await bot.import_areas()
    now = to_db(bot.clock.now())
    user_ids = await _seed_recipients(bot.db, recipients, now)
    for uid in user_ids:
        api.add_user(uid, f"成员{uid}")
    admin = await bot.member("区管理员", Role.DISTRICT_ADMIN, "运河区")
    assert admin.member is not None
    prober = UserClient(api, user_ids[0], _direct(bot))
    district = await bot.db.fetchval("SELECT id FROM areas WHERE kind = 'district'")
    draft = service.Draft(
        key="bench",
        title=TITLE,
        # One sentence: the stand-in checks each text's HTML in this same process, about
        # 5 µs a character, which on a long text costs more than the bot's own work.
        body="姚庄子市场将于7月1日起拆除，请逐户说明补偿政策。",
        targets=(district,),
        roles=LEADER_ROLES,
    )
    began_send = time.monotonic()
    sent = await service.send(bot.db, bot.clock, admin.member, draft, rate=LIMIT_PER_SECOND)
    write_ms = (time.monotonic() - began_send) * 1000
    notice_id = sent.notice.id
    total = sent.notice.recipients
    runtime = bot.app.runtime
    await notice_handlers.refresh_progress(bot.app.bot, runtime, notice_id)
    assert bot.app.delivery is not None
    began = time.monotonic()
    requests_before = _chat_requests(api)
    bot.app.delivery.kick()

    times: list[float] = [began]
    counts: list[int] = [0]
    lag_max = 0.0
    help_ms: list[float] = []
    probes: list[asyncio.Task[None]] = []
    seen = 0
    delivered = 0
    last_delivery = began
    next_probe = began + 0.5
    admin_id = admin.client.user.id
    deadline = began + 3 * total / (LIMIT_PER_SECOND * scale) + 60
    while time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        now_real = time.monotonic()
        log = api.sent_log
        for message in log[seen:]:
            if TITLE in message.text and message.chat_id != admin_id:
                delivered += 1
                last_delivery = now_real
        seen = len(log)
        times.append(now_real)
        counts.append(delivered)
        shown = _shown(api, admin_id)
        # How long ago was the true count no more than what the message shows?
        # (counts only grow: the last sample at or below what is shown)
        at = bisect.bisect_right(counts, shown) - 1
        caught = times[at] if at >= 0 else began
        lag_max = max(lag_max, (now_real - caught) * scale)
        if now_real >= next_probe and delivered < total:
            next_probe = now_real + 0.5
            probes.append(asyncio.create_task(_probe(prober, help_ms)))
        if delivered >= total and shown >= total:
            break
    await asyncio.gather(*probes)
    elapsed = last_delivery - began
    # Everything the bot sent to chats counts against Telegram's 30 a second: the copies,
    # and the /help answers and progress edits sent while the broadcast ran.
    used = _chat_requests(api) - requests_before
    copies = Counter(m.chat_id for m in api.sent_log if TITLE in m.text and m.chat_id != admin_id)
    lost = total - len(copies)
    duplicates = sum(n - 1 for n in copies.values() if n > 1)
    flood = api.stats.flood_429
    rate = delivered / (elapsed * scale) if elapsed > 0 else 0.0
    used_rate = used / (elapsed * scale) if elapsed > 0 else 0.0
    coverage_ms = await _coverage_ms(bot, admin.member, notice_id)
    p95 = statistics.quantiles(help_ms, n=20)[-1] if len(help_ms) >= 2 else max(help_ms, default=0)
    return [
        Figure(
            "notices: achieved rate / limit",
            used_rate / LIMIT_PER_SECOND,
            "",
            "≥ 0.97",
            used_rate / LIMIT_PER_SECOND >= 0.97,
            f"{total:,} recipients, time ×{scale:g}; all messages sent meanwhile",
        ),
        Figure(
            "notices: copies of the notice a second / limit",
            rate / LIMIT_PER_SECOND,
            "",
            "",
            None,
            "the rest of the limit served /help and the progress message",
        ),
        Figure("notices: lost", lost, "", "0", lost == 0),
        Figure("notices: duplicates", duplicates, "", "0", duplicates == 0),
        Figure("notices: 429 answers received", flood, "", "0", flood == 0),
        Figure("notices: progress message behind, at most", lag_max, "s", "≤ 5 s", lag_max <= 5),
        Figure(
            "notices: /help during the broadcast, p95",
            p95,
            "ms",
            "< 1,000 ms",
            p95 < 1000,
            f"{len(help_ms)} probes, real time",
        ),
        Figure(
            "notices: coverage page of the notice",
            coverage_ms,
            "ms",
            "< 50 ms",
            coverage_ms < 50,
            "district level, median of 10",
        ),
        Figure("notices: writing the delivery rows (one transaction)", write_ms, "ms", "", None),
        Figure("notices: real time of the broadcast", elapsed, "s", "", None),
    ]


def _chat_requests(api: FakeTelegram) -> int:
    """Requests that put or change a message in a chat (what the flood limit counts)."""
    return sum(
        n
        for method, n in api.stats.requests.items()
        if method.lower().startswith(("send", "edit", "copy", "forward"))
        and method.lower() != "sendchataction"
    )


def _direct(bot: OfflineBot) -> Any:
    """Deliver an update without waiting for the outbox (which is busy with the broadcast)."""

    async def deliver(update: dict[str, Any]) -> None:
        await bot.app.process_update(Update.de_json(update, bot.app.bot))

    return deliver


async def _probe(prober: UserClient, samples: list[float]) -> None:
    began = time.monotonic()
    await prober.send("/help")
    samples.append((time.monotonic() - began) * 1000)


def _shown(api: FakeTelegram, admin_id: int) -> int:
    for message in reversed(api.bot_messages(admin_id)):
        found = SHOWN.search(message.text)
        if found:
            return int(found.group(1).replace(",", ""))
    return 0


async def _coverage_ms(bot: OfflineBot, admin: Any, notice_id: int) -> float:
    runtime = bot.app.runtime
    times = []
    for _ in range(10):
        began = time.monotonic()
        covered = await service.coverage(runtime.db, admin, notice_id)
        notice_handlers.coverage_view(runtime, "zh-CN", covered)
        times.append((time.monotonic() - began) * 1000)
    return statistics.median(times)


# ---------------------------------------------------------------------- after SIGKILL


async def resumed(recipients: int = 300, seed: int = 1) -> list[Figure]:
    """Kill ``python -m bot run`` at a random moment of a broadcast; restart; count."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        path = Path(folder)
        api = FakeTelegram()
        user_ids = await _prepare_killed(path / "bench.sqlite3", api, recipients)
        async with StandInServer(api, token=TOKEN) as server:
            config = path / "config.toml"
            config.write_text(
                f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
                f'base_file_url = "{server.base_file_url}"\n'
                f'[database]\npath = "{path / "bench.sqlite3"}"\n',
                encoding="utf-8",
            )

            def got() -> int:
                return sum(1 for uid in user_ids if _copies(api, uid))

            proc = await _start(config, path)
            try:
                # A random moment while it sends: after it has begun, before it is done.
                await _until(lambda: got() > 0, 60)
                await asyncio.sleep(rng.uniform(0.2, 0.8) * recipients / LIMIT_PER_SECOND)
                before = got()
                proc.kill()
                await proc.wait()
                proc = await _start(config, path)
                await _until(lambda: got() == len(user_ids), 120)
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    lost = sum(1 for uid in user_ids if _copies(api, uid) == 0)
    duplicates = sum(max(_copies(api, uid) - 1, 0) for uid in user_ids)
    note = f"{recipients} recipients, killed after {before}"
    return [
        Figure("notices: lost after a SIGKILL mid-broadcast", lost, "", "0", lost == 0, note),
        Figure("notices: duplicates after a SIGKILL mid-broadcast", duplicates, "", "0",
               duplicates == 0),
    ]  # fmt: skip


def _copies(api: FakeTelegram, user_id: int) -> int:
    return sum(TITLE in m.text for m in api.bot_messages(user_id))


async def _prepare_killed(path: Path, api: FakeTelegram, recipients: int) -> list[int]:
    clock = SystemClock()
    db = await Database(path).open()
    try:
        await migrate(db)
        bot_areas = await asyncio.to_thread(
            (ROOT / "bot" / "offline" / "demo" / "district.csv").read_text, encoding="utf-8"
        )
        from bot.services import areas as area_service

        await area_service.import_areas(db, area_service.parse_area_file(bot_areas), clock)
        now = to_db(clock.now())
        user_ids = await _seed_recipients(db, recipients, now)
        for uid in user_ids:
            api.add_user(uid, f"成员{uid}")
        admin_uid = FIRST_USER - 1
        district = await db.fetchval("SELECT id FROM areas WHERE kind = 'district'")
        await db.execute(
            "INSERT INTO members (tg_user_id, name, role, area_id, work_id, joined_at)"
            " VALUES (?, '区管理员', 'district_admin', ?, 'BN-admin', ?)",
            (admin_uid, district, now),
        )
        api.add_user(admin_uid, "区管理员")
        from bot.services import members as member_service

        admin = await member_service.current(db, admin_uid)
        assert admin is not None
        draft = service.Draft(
            key="killed", title=TITLE, body="正文", targets=(district,), roles=LEADER_ROLES
        )
        await service.send(db, clock, admin, draft, rate=LIMIT_PER_SECOND)
        return user_ids
    finally:
        await db.close()


async def _start(config: Path, folder: Path) -> asyncio.subprocess.Process:
    log = (folder / "run.log").open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    finally:
        log.close()


async def _until(condition: Any, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition is the stand-in's state
            await asyncio.sleep(0.05)


async def measure(
    recipients: int = 8_290, scale: float = 5.0, killed_recipients: int = 300
) -> list[Figure]:
    """Both parts; their figures."""
    figures = await broadcast(recipients, scale)
    figures += await resumed(killed_recipients)
    return figures


def main() -> None:
    """Run the notices benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=8_290)
    parser.add_argument("--scale", type=float, default=5.0)
    parser.add_argument("--killed-recipients", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="600 recipients, 100 killed")
    args = parser.parse_args()
    if args.quick:
        args.recipients, args.killed_recipients = 600, 100
    figures = run(measure(args.recipients, args.scale, args.killed_recipients))
    print_report("notices", figures)


if __name__ == "__main__":
    main()
