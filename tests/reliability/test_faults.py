"""Faults: the outbox is delivered while the stand-in fails at random, and nothing is lost.

The stand-in answers a seeded share of requests with a timeout, a 5xx, a 429 with
retry_after or a 403. Time is moved on until nothing is due any more. Then every
queued row was sent exactly once, or (403) is held with its member marked unreachable,
and sent exactly once when the member writes to the bot again.
A lost answer (the request carried out, the reply lost) is the one fault after which
a message may arrive twice: Telegram has no idempotency key, so at-least-once is the
promise there, and the second test bounds the duplicates by those faults.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.runtime import Runtime
from bot.services.grid import Role
from bot.services.notify import notify_member
from bot.telegram.outgoing import Outgoing
from storage import members
from storage.outbox import OutboxRow
from storage.times import to_db
from tests.conftest import ErrorLog

PEOPLE = 8
PER_PERSON = 6


async def notice(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing:
    return Outgoing(text=f"通知 #{row.payload['n']} <b>{row.payload['n']}</b>")


async def queue_everything(gridbot: OfflineBot) -> dict[int, int]:
    """Members with messages queued for them; returns {outbox row id: Telegram user id}."""
    assert gridbot.app.delivery is not None
    gridbot.app.delivery.renderers = {"test.notice": notice}
    people = [
        await gridbot.member(f"成员{n}", Role.BUILDING_LEADER, "欣园小区1号楼")
        for n in range(PEOPLE)
    ]
    queued: dict[int, int] = {}
    now = to_db(gridbot.clock.now())
    async with gridbot.db.transaction() as tx:
        for n in range(PEOPLE * PER_PERSON):
            person = people[n % PEOPLE]
            assert person.member is not None
            member = await members.get(tx, person.member.id)
            assert member is not None
            row_id = await notify_member(tx, member, "test.notice", {"n": n}, now=now)
            assert row_id is not None
            queued[row_id] = person.client.user.id
    return queued


async def drain(gridbot: OfflineBot, clock: FakeClock) -> None:
    """Move time on and run the sweeps until no row is pending but the held (bounded)."""
    for _ in range(200):
        pending = await gridbot.db.fetchval(
            "SELECT count(*) FROM outbox o JOIN members m ON m.id = o.member_id"
            " WHERE o.status = 'pending' AND m.unreachable_since IS NULL"
        )
        if pending == 0:
            return
        await gridbot.run_due_jobs()
        clock.advance(timedelta(minutes=5))
    raise AssertionError("the outbox never drained")


def delivered(gridbot: OfflineBot) -> Counter[tuple[int, str]]:
    """How often each notice reached its chat."""
    return Counter((m.chat_id, m.text) for m in gridbot.api.sent_log if m.text.startswith("通知 #"))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_faults_lose_nothing_and_send_nothing_twice(
    gridbot: OfflineBot, clock: FakeClock, errors: ErrorLog, seed: int
) -> None:
    queued = await queue_everything(gridbot)
    gridbot.api.random_faults(
        0.3, kinds=("timeout", "server_error", "flood", "forbidden"), seed=seed
    )
    await drain(gridbot, clock)
    gridbot.api.clear_faults()
    injected = Counter(kind for kind, _ in gridbot.api.faults.injected)
    assert set(injected) == {"timeout", "server_error", "flood", "forbidden"}, injected

    sent = delivered(gridbot)
    rows = {
        row["id"]: row
        for row in await gridbot.db.fetchall(
            "SELECT o.id, o.status, o.last_error, o.payload, o.member_id, m.unreachable_since"
            " FROM outbox o JOIN members m ON m.id = o.member_id WHERE o.kind = 'test.notice'"
        )
    }
    assert set(rows) == set(queued)
    held_for: set[int] = set()
    for row_id, user_id in queued.items():
        row = rows[row_id]
        n = json.loads(row["payload"])["n"]
        times = sent[(user_id, f"通知 #{n} {n}")]
        if row["status"] == "sent":
            assert times == 1, (row_id, times)
        else:
            # Only a block (403) may hold messages: those of a member now unreachable.
            assert row["status"] == "pending", dict(row)
            assert row["unreachable_since"] is not None, dict(row)
            assert times == 0
            held_for.add(user_id)
    assert any((r["last_error"] or "").startswith("403") for r in rows.values())
    assert held_for, "no 403 held anything"
    assert all(c == 1 for c in sent.values()), "a notice was delivered twice"
    assert sum(1 for r in rows.values() if r["status"] == "sent") >= len(rows) // 2
    # The members come back (they unblock the bot): what was held reaches them, once.
    for user_id in held_for:
        await gridbot.user("", user_id=user_id).unblock_bot()
    await drain(gridbot, clock)
    statuses = await gridbot.db.fetchall(
        "SELECT status FROM outbox WHERE kind = 'test.notice' AND status != 'sent'"
    )
    assert statuses == []
    assert all(c == 1 for c in delivered(gridbot).values()), "a notice was delivered twice"
    assert len(delivered(gridbot)) == len(queued)
    logged = errors.take()
    assert all("Rate limit hit" in m for m in logged), logged


async def test_lost_answers_deliver_at_least_once_with_duplicates_bounded(
    gridbot: OfflineBot, clock: FakeClock, errors: ErrorLog
) -> None:
    queued = await queue_everything(gridbot)
    gridbot.api.random_faults(0.3, kinds=("timeout_after", "server_error"), seed=7)
    await drain(gridbot, clock)
    gridbot.api.clear_faults()
    sent = delivered(gridbot)
    statuses = Counter(
        r[0] for r in await gridbot.db.fetchall("SELECT status FROM outbox ORDER BY id")
    )
    assert statuses == {"sent": len(queued)}
    assert len(sent) == len(queued)  # every one arrived
    duplicates = sum(c - 1 for c in sent.values())
    lost_answers = sum(1 for kind, _ in gridbot.api.faults.injected if kind == "timeout_after")
    assert lost_answers > 0
    assert duplicates <= lost_answers
    assert errors.take() == []
