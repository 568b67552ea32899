"""Flood: how long a member waits for ``/help`` while someone else floods the bot.

The real Application runs with its real update queue (updates handled concurrently
across chats, each chat in order) and the production rate limiter, on the offline
stand-in. A member sends ``/help`` right after a flood of 200 messages was queued:

- by nobody: the baseline;
- by a stranger (not a member): answered once a minute, the rest not processed;
- by another member: all 200 handled, in their own line, while /help overtakes them.

The time is from queueing the ``/help`` to the stand-in receiving its answer.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from telegram import Update

from bench.report import Figure, print_report, run
from bot.config import load_config
from bot.main import production_rate_limiter
from bot.offline.harness import OfflineBot
from bot.offline.standin import FakeTelegram, Limits, UserClient
from bot.offline.standin.records import JSON
from bot.services.grid import Role

MEMBER, FLOODER = 40_001, 40_002


async def wait_for_help(flood: str, messages: int) -> float:
    """Seconds the member waits for /help behind a flood from ``flood``: none/stranger/member."""
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        config = load_config(None, environ={}).replace(
            **{"database.path": str(Path(folder) / "bench.sqlite3")}
        )
        api = FakeTelegram(limits=Limits(global_per_second=None, group_per_minute=None))
        bot = OfflineBot(config, api=api, rate_limiter=production_rate_limiter())
        await bot.start()
        try:
            await bot.import_areas()
            await bot.member("成员", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=MEMBER)
            if flood == "member":
                await bot.member("刷屏者", Role.BUILDING_LEADER, "欣园小区1号楼", user_id=FLOODER)
            else:
                bot.user("刷屏者", user_id=FLOODER)
            answered = asyncio.Event()
            handle = api.handle

            async def watch(method: str, params: JSON) -> tuple[int, JSON]:
                result = await handle(method, params)
                if method == "sendMessage" and params.get("chat_id") == MEMBER:
                    answered.set()
                return result

            api.handle = watch  # type: ignore[method-assign]

            async def put(update: JSON) -> None:
                await bot.app.update_queue.put(Update.de_json(update, bot.app.bot))

            member = UserClient(api, api.users[MEMBER], put)
            flooder = UserClient(api, api.users[FLOODER], put)
            # Warm up (first imports, caches, the rate limiter's first slot), then measure.
            await member.send("/help")
            await answered.wait()
            answered.clear()
            if flood != "none":
                for n in range(messages):
                    await flooder.send(f"刷屏 {n}")
            began = time.perf_counter()
            await member.send("/help")
            await answered.wait()
            waited = time.perf_counter() - began
            drained = getattr(bot.app.update_queue, "drained", None)
            if drained is not None:
                await drained()
        finally:
            await bot.stop()
    return waited


async def measure(messages: int = 200) -> list[Figure]:
    """The member's wait for /help: alone, behind a stranger's flood, behind a member's."""
    alone = await wait_for_help("none", messages)
    stranger = await wait_for_help("stranger", messages)
    member = await wait_for_help("member", messages)
    return [
        Figure("flood: a member's /help, no flood", alone * 1000, "ms", "< 1000 ms", alone < 1),
        Figure(
            f"flood: a member's /help behind a stranger's {messages} messages",
            stranger * 1000,
            "ms",
            "< 1000 ms",
            stranger < 1,
        ),
        Figure(
            f"flood: a member's /help behind another member's {messages} messages",
            member * 1000,
            "ms",
            "",
            None,
            "the flooder's answers share Telegram's 30 a second with everyone",
        ),
    ]


def main() -> None:
    """Run the flood benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="50 messages")
    args = parser.parse_args()
    print_report("flood", run(measure(50 if args.quick else args.messages)))


if __name__ == "__main__":
    main()
