"""Delivery: 10,000 queued messages sent against a stand-in that enforces 30 a second.

The stand-in's flood limiter and the bot's AIORateLimiter run on the same scaled
time (``--scale``: virtual seconds per real second), so the run is short while the
limits are Telegram's. Figures: the achieved rate over the limit, messages lost,
messages delivered twice, and 429 answers received.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.report import Figure, print_report, run
from bench.seed import add_members
from bot.clock import SystemClock
from bot.config import load_config
from bot.main import production_rate_limiter
from bot.offline.harness import OfflineBot
from bot.offline.standin import FakeTelegram, Limits
from bot.runtime import Runtime
from bot.services.grid import Role
from bot.telegram.outgoing import Outgoing
from storage.outbox import OutboxRow
from storage.times import to_db

LIMIT_PER_SECOND = 30


async def _render(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing:
    return Outgoing(text=f"通知 #{row.payload['n']}")


async def measure(
    messages: int = 10_000, recipients: int = 1_000, scale: float = 5.0
) -> list[Figure]:
    """Queue ``messages`` for ``recipients`` members and deliver them all; return figures."""
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        config = load_config(None, environ={}).replace(
            **{"database.path": str(Path(folder) / "bench.sqlite3")}
        )
        start = time.monotonic()

        def scaled() -> float:
            return (time.monotonic() - start) * scale

        api = FakeTelegram(limits=Limits(global_per_second=LIMIT_PER_SECOND), clock=scaled)
        limiter = production_rate_limiter(time_scale=scale)
        bot = OfflineBot(config, api=api, clock=SystemClock(), rate_limiter=limiter)
        await bot.start()
        try:
            await bot.import_areas()
            area = await bot.db.fetchval("SELECT id FROM areas WHERE kind = 'building' LIMIT 1")
            now = to_db(bot.clock.now())
            user_ids = await add_members(
                bot.db, recipients, role=Role.BUILDING_LEADER, area_ids=[area],
                first_user_id=500_000, now=now,
            )  # fmt: skip
            for uid in user_ids:
                api.add_user(uid, f"成员{uid}")
            member_ids = [
                row[0] for row in await bot.db.fetchall("SELECT id FROM members ORDER BY id")
            ]
            assert bot.app.delivery is not None
            bot.app.delivery.renderers = {"bench.notice": _render}
            await bot.db.executemany(
                "INSERT INTO outbox (recipient, member_id, kind, payload, next_try_at, created_at)"
                " VALUES (?, ?, 'bench.notice', ?, ?, ?)",
                [
                    (str(user_ids[n % recipients]), member_ids[n % recipients], f'{{"n": {n}}}',
                     now, now)
                    for n in range(messages)
                ],
            )  # fmt: skip
            began = time.monotonic()
            await bot.app.delivery.run_once()
            elapsed = time.monotonic() - began
            sent_texts = Counter(
                (m.chat_id, m.text) for m in api.sent_log if m.text.startswith("通知")
            )
            duplicates = sum(c - 1 for c in sent_texts.values() if c > 1)
            lost = messages - len(sent_texts)
            pending = await bot.db.fetchval("SELECT count(*) FROM outbox WHERE status != 'sent'")
            flood = api.stats.flood_429
        finally:
            await bot.stop()
    rate = messages / (elapsed * scale)
    return [
        Figure(
            "delivery: achieved rate / limit",
            rate / LIMIT_PER_SECOND,
            "",
            "≥ 0.95",
            rate / LIMIT_PER_SECOND >= 0.95,
            f"{messages:,} messages to {recipients:,} members, time ×{scale:g}",
        ),
        Figure("delivery: lost", lost, "", "0", lost == 0),
        Figure("delivery: not marked sent", pending, "", "0", pending == 0),
        Figure("delivery: duplicates", duplicates, "", "0", duplicates == 0),
        Figure("delivery: 429 answers received", flood, "", "0", flood == 0),
        Figure("delivery: real time", elapsed, "s", "", None),
    ]


def main() -> None:
    """Run the delivery benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=1_000)
    parser.add_argument("--scale", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="600 messages")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.recipients = 600, 200
    figures = run(measure(args.messages, args.recipients, args.scale))
    print_report("delivery", figures)


if __name__ == "__main__":
    main()
