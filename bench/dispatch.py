"""Dispatch: microseconds per update for gridbot against a bare echo bot, same stand-in.

Both run the real python-telegram-bot Application with ``process_update`` on updates
made by the stand-in's UserClient. The echo bot has one handler that replies with the
text it got and nothing else: no database, no persistence. gridbot runs its mixed
workload on a real SQLite file: leaders and admins going through their flows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bench.report import Figure, print_report, run
from bench.workload import Workload, build_workload
from bot.config import load_config
from bot.offline.harness import OfflineBot
from bot.offline.standin import FakeTelegram, Limits, StandInRequest, UserClient
from bot.offline.standin.records import JSON

UNLIMITED = Limits(global_per_second=None, group_per_minute=None)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def echo_microseconds(updates: int) -> float:
    """Microseconds per text update for an application that only echoes."""
    api = FakeTelegram(limits=UNLIMITED)
    app = Application.builder().token("1:ECHO").request(StandInRequest(api)).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()

    async def deliver(update: JSON) -> None:
        await app.process_update(Update.de_json(update, app.bot))

    users = [UserClient(api, api.add_user(100 + i, f"u{i}"), deliver) for i in range(50)]
    for user in users:  # warm up
        await user.send("hi")
    began = time.perf_counter()
    for n in range(updates):
        await users[n % len(users)].send(f"消息 {n}")
    elapsed = time.perf_counter() - began
    await app.stop()
    await app.shutdown()
    return elapsed / updates * 1e6


async def gridbot_microseconds(leaders: int, rounds: int) -> tuple[float, int, Workload]:
    """Microseconds per update for gridbot's mixed workload; and how many updates."""
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        config = load_config(None, environ={}).replace(
            **{"database.path": str(Path(folder) / "bench.sqlite3")}
        )
        api = FakeTelegram(limits=UNLIMITED)
        bot = OfflineBot(config, api=api)
        await bot.start()
        try:
            await bot.import_areas()
            workload = await build_workload(bot, leaders)
            await workload.warm_up()
            counted = 0

            async def deliver(update: JSON) -> None:
                nonlocal counted
                counted += 1
                await bot.deliver(update)

            for client in workload.clients():
                client.deliver = deliver
            # Each statement is a hop to aiosqlite's thread: the main cost per update.
            statements: list[str] = []
            await bot.db.conn.set_trace_callback(statements.append)
            requests_before = sum(api.stats.requests.values())
            began = time.perf_counter()
            for _ in range(rounds):
                await workload.round()
            elapsed = time.perf_counter() - began
            workload.requests = sum(api.stats.requests.values()) - requests_before
            await bot.db.conn.set_trace_callback(None)
        finally:
            await bot.stop()
    workload.statements = len(statements)
    return elapsed / counted * 1e6, counted, workload


async def measure(leaders: int = 40, rounds: int = 3, repeat: int = 3) -> list[Figure]:
    """Both figures and their ratio."""
    # Alternated and repeated, the best of each: a busy machine slows one run or the
    # other, never makes one faster than it is.
    grid_runs, echo_runs = [], []
    for _ in range(repeat):
        grid, count, workload = await gridbot_microseconds(leaders, rounds)
        grid_runs.append(grid)
        echo_runs.append(await echo_microseconds(max(count, 500)))
    grid_us, echo_us = min(grid_runs), min(echo_runs)
    ratio = grid_us / echo_us
    return [
        Figure("dispatch: bare PTB echo", echo_us, "µs/update", "", None),
        Figure(
            "dispatch: gridbot mixed workload",
            grid_us,
            "µs/update",
            "",
            None,
            f"{count:,} updates, best of {repeat}: {workload.describe()}",
        ),
        Figure(
            "dispatch: Bot API requests per update",
            workload.requests / count,
            "",
            "",
            None,
            "the echo makes 1: gridbot answers buttons, edits and replies",
        ),
        Figure(
            "dispatch: SQL statements per update",
            workload.statements / count,
            "",
            "",
            None,
            "each one a hop to aiosqlite's thread",
        ),
        Figure(
            "dispatch: gridbot / echo",
            ratio,
            "×",
            "≤ 1.5",
            ratio <= 1.5,
            "" if ratio <= 1.5 else "see the requests and statements per update",
        ),
    ]


def main() -> None:
    """Run the dispatch benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaders", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10 leaders, one round")
    args = parser.parse_args()
    leaders, rounds, repeat = (10, 1, 1) if args.quick else (args.leaders, args.rounds, 3)
    print_report("dispatch", run(measure(leaders, rounds, repeat)))


if __name__ == "__main__":
    main()


__all__ = ["Awaitable", "Callable", "main", "measure"]
