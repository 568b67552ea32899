"""A broadcast with ``python -m bot run`` killed by SIGKILL at random moments, and restarted.

The notice is sent (its delivery rows written) before the bot starts; the bot then hands
the rows to the outbox and delivers them at Telegram's pace through the stand-in served
over HTTP, while the test kills it after a seeded random number of further Bot API calls
and starts it again. Afterwards every recipient has the notice, every delivery row is
marked sent, and duplicates are counted: at least once allows one per kill at most (a
kill between Telegram accepting a message and the outbox marking it), the target is 0.
"""

from __future__ import annotations

import random
import signal
from collections import Counter
from pathlib import Path

from bot.clock import SystemClock
from bot.offline.standin import FakeTelegram
from bot.offline.standin.http import StandInServer
from bot.services import areas as area_service
from bot.services import notices as service
from bot.services.grid import Role
from storage.db import Database
from tests.helpers.process import TOKEN, BotProcess, district_file, enrol, until, write_config

SEED = 12
KILLS = 3
RECIPIENTS = 150
ADMIN_ID = 20_005
FIRST_RECIPIENT = 40_000
TITLE = "姚庄子市场拆迁通知"
DEADLINE = 90.0


async def prepare(path: Path, api: FakeTelegram) -> None:
    """The district, the town's admin, RECIPIENTS group leaders, and the notice sent."""
    clock = SystemClock()
    async with district_file(path) as db:
        people = []
        groups = ("第一村民小组", "第二村民小组", "第三村民小组")
        for n in range(RECIPIENTS + 1):
            user_id = ADMIN_ID if n == 0 else FIRST_RECIPIENT + n
            role = Role.STREET_ADMIN if n == 0 else Role.GROUP_LEADER
            area = "南陈屯镇" if n == 0 else f"刘舒庄村/{groups[n % 3]}"
            user = api.add_user(user_id, f"组长{n}")
            people.append(
                await enrol(db, user_id, user.full_name, role, area, f"+86138{user_id:08d}")
            )
        village = await area_service.resolve(db, "刘舒庄村")
        draft = service.Draft(
            key="crash1",
            title=TITLE,
            body="姚庄子市场将于7月1日起拆除。",
            targets=(village.id,),
            roles=(Role.GROUP_LEADER.value,),
        )
        await service.send(db, clock, people[0], draft, rate=30)


async def test_sigkill_mid_broadcast_loses_no_row(tmp_path: Path) -> None:
    api = FakeTelegram()
    await prepare(tmp_path / "gridbot.sqlite3", api)
    rng = random.Random(SEED)
    recipients = range(FIRST_RECIPIENT + 1, FIRST_RECIPIENT + RECIPIENTS + 1)

    def copies() -> Counter[int]:
        found: Counter[int] = Counter()
        for user_id in recipients:
            found[user_id] = sum(TITLE in m.text for m in api.bot_messages(user_id))
        return found

    async with StandInServer(api, token=TOKEN) as server:
        bot = BotProcess(write_config(tmp_path, server), tmp_path)
        try:
            await bot.start()
            kills = 0
            for _ in range(KILLS):
                # Kill in the middle of the broadcast, after a random number of messages.
                target = sum(1 for c in copies().values() if c) + rng.randint(10, 40)
                await until(
                    lambda target=target: sum(1 for c in copies().values() if c) >= target,
                    DEADLINE,
                )
                if all(copies().values()):
                    break
                assert bot.proc is not None
                bot.proc.kill()
                await bot.proc.wait()
                kills += 1
                await bot.start()
            await until(lambda: all(copies().values()), DEADLINE)
            await until(lambda: any("100%" in m.text for m in api.bot_messages(ADMIN_ID)), DEADLINE)
            assert await bot.stop(signal.SIGTERM) == 0
        finally:
            await bot.kill()
    assert kills >= 2, f"only {kills} kills: the broadcast ended too soon"
    db = await Database(tmp_path / "gridbot.sqlite3").open()
    try:
        states = await db.fetchall(
            "SELECT o.status, count(*) FROM notice_deliveries d JOIN outbox o"
            " ON o.id = d.outbox_id GROUP BY 1"
        )
        assert {r[0]: r[1] for r in states} == {"sent": RECIPIENTS}
        status = await db.fetchval("SELECT status FROM notices")
        assert status == "done"
    finally:
        await db.close()
    got = copies()
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    print(f"\nnotice crash: {kills} kills; lost 0; duplicates {duplicates} (target 0)")
    assert duplicates <= kills
