"""The delivery worker: what is queued reaches people, through faults, exactly as queued."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.offline.standin import UserClient
from bot.runtime import Runtime
from bot.services.grid import Role
from bot.services.notify import notify_member
from bot.telegram.outgoing import Outgoing
from storage import members, outbox
from storage.outbox import OutboxRow
from storage.times import to_db
from tests.conftest import ErrorLog


async def hello(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    if row.payload.get("cancelled"):
        return None
    return Outgoing(
        text=f"hello {row.payload['n']} ({language})",
        photos=tuple(row.payload.get("photos", ())),
        voice=row.payload.get("voice"),
    )


async def queue(gridbot: OfflineBot, member_id: int, **payload: object) -> int:
    row = await members.get(gridbot.db, member_id)
    assert row is not None
    async with gridbot.db.transaction() as tx:
        row_id = await notify_member(
            tx, row, "test.hello", dict(payload), now=to_db(gridbot.clock.now())
        )
    assert row_id is not None
    return row_id


async def setup(gridbot: OfflineBot) -> tuple[int, UserClient]:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    assert gridbot.app.delivery is not None and person.member is not None
    gridbot.app.delivery.renderers = {"test.hello": hello}
    return person.member.id, person.client


async def test_queued_message_is_sent_once(gridbot: OfflineBot) -> None:
    member_id, client = await setup(gridbot)
    photos = [gridbot.api.new_file("photo", size=(800, 600)).file_id for _ in range(2)]
    voice = gridbot.api.new_file("voice", duration=3).file_id
    row_id = await queue(gridbot, member_id, n=1, photos=photos, voice=voice)
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert client.last_text == ""  # the voice came last
    texts = [m.text for m in client.messages if m.kind == "text"]
    assert texts == ["hello 1 (zh-CN)"]
    assert len(client.photos) == 2
    assert len(client.voices) == 1
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.status == "sent" and row.attempts == 1


async def test_timeouts_are_retried_with_backoff(
    gridbot: OfflineBot, clock: FakeClock, errors: ErrorLog
) -> None:
    member_id, client = await setup(gridbot)
    gridbot.api.fail_next("timeout", method="sendMessage", times=2)
    row_id = await queue(gridbot, member_id, n=2)
    await gridbot.run_due_jobs()
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.status == "pending" and row.attempts == 1
    clock.advance(seconds=5)
    await gridbot.run_due_jobs()
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.attempts == 2
    clock.advance(seconds=9)
    await gridbot.run_due_jobs()
    assert (await outbox.get(gridbot.db, row_id)).status == "pending"  # type: ignore[union-attr]
    clock.advance(seconds=1)
    await gridbot.run_due_jobs()
    assert (await outbox.get(gridbot.db, row_id)).status == "sent"  # type: ignore[union-attr]
    assert client.texts() == ["hello 2 (zh-CN)"]


async def test_lost_response_sends_again_at_least_once(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    member_id, client = await setup(gridbot)
    gridbot.api.fail_next("timeout_after", method="sendMessage")
    await queue(gridbot, member_id, n=3)
    await gridbot.run_due_jobs()
    clock.advance(minutes=1)
    await gridbot.run_due_jobs()
    assert client.texts() == ["hello 3 (zh-CN)", "hello 3 (zh-CN)"]


async def test_a_part_sent_is_not_sent_again(gridbot: OfflineBot, clock: FakeClock) -> None:
    member_id, client = await setup(gridbot)
    gridbot.api.fail_next("server_error", method="sendMessage")
    photo = gridbot.api.new_file("photo", size=(800, 600)).file_id
    await queue(gridbot, member_id, n=4, photos=[photo])
    await gridbot.run_due_jobs()
    clock.advance(minutes=1)
    await gridbot.run_due_jobs()
    assert len(client.photos) == 1
    assert client.texts()[-1] == "hello 4 (zh-CN)"


async def test_flood_waits_for_retry_after_without_using_an_attempt(
    gridbot: OfflineBot, clock: FakeClock, errors: ErrorLog
) -> None:
    member_id, client = await setup(gridbot)
    gridbot.api.fail_next("flood", method="sendMessage", retry_after=7)
    row_id = await queue(gridbot, member_id, n=5)
    await gridbot.run_due_jobs()
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.attempts == 0 and row.status == "pending"
    clock.advance(seconds=6)
    await gridbot.run_due_jobs()
    assert client.texts() == []
    clock.advance(seconds=1)
    await gridbot.run_due_jobs()
    assert client.texts() == ["hello 5 (zh-CN)"]
    assert errors.take() == ["Rate limit hit after maximum of 0 retries"]


async def test_blocked_user_is_held_not_failed_and_gets_it_when_writing_again(
    gridbot: OfflineBot,
) -> None:
    member_id, client = await setup(gridbot)
    gridbot.api.block(gridbot.api.users[10001].id)
    row_id = await queue(gridbot, member_id, n=6)
    await gridbot.run_due_jobs()
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.status == "pending" and "403" in (row.last_error or "")
    assert row.attempts == 0  # a block is not the message's fault
    member = await gridbot.db.fetchone(
        "SELECT active, unreachable_since FROM members WHERE id = ?", (member_id,)
    )
    assert member is not None and member["active"] == 1 and member["unreachable_since"]
    # Not retried against the 403 while they are unreachable.
    requests = sum(gridbot.api.stats.requests.values())
    gridbot.clock.advance(timedelta(hours=1))
    await gridbot.run_due_jobs()
    assert sum(gridbot.api.stats.requests.values()) == requests
    # They unblock and write: reachable again, and what was held arrives.
    gridbot.api.unblock(gridbot.api.users[10001].id)
    await client.send("/help")
    assert "hello 6 (zh-CN)" in client.texts()
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.status == "sent"


async def test_gives_up_after_max_attempts(
    gridbot: OfflineBot, clock: FakeClock, errors: ErrorLog
) -> None:
    member_id, _client = await setup(gridbot)
    gridbot.api.fail_next("server_error", method="sendMessage", times=100)
    row_id = await queue(gridbot, member_id, n=7)
    for _ in range(12):
        await gridbot.run_due_jobs()
        clock.advance(timedelta(hours=1))
    row = await outbox.get(gridbot.db, row_id)
    assert row is not None and row.status == "failed"
    assert row.attempts == gridbot.config.delivery.max_attempts
    errors.take()


async def test_cancelled_and_pending_survive_restart(gridbot: OfflineBot) -> None:
    member_id, client = await setup(gridbot)
    gridbot.api.fail_next("timeout", method="sendMessage")
    kept = await queue(gridbot, member_id, n=8)
    dropped = await queue(gridbot, member_id, n=9, cancelled=True)
    await gridbot.run_due_jobs()
    await gridbot.restart()
    assert gridbot.app.delivery is not None
    gridbot.app.delivery.renderers = {"test.hello": hello}
    gridbot.clock.advance(minutes=1)
    await gridbot.run_due_jobs()
    assert (await outbox.get(gridbot.db, kept)).status == "sent"  # type: ignore[union-attr]
    assert (await outbox.get(gridbot.db, dropped)).status == "cancelled"  # type: ignore[union-attr]
    assert client.texts() == ["hello 8 (zh-CN)"]


async def test_what_the_notifier_queued_leaves_after_the_next_update(gridbot: OfflineBot) -> None:
    """The notifier's mark on the commit wakes delivery; a row written otherwise waits."""
    member_id, client = await setup(gridbot)
    someone = gridbot.user("路人")
    row = await members.get(gridbot.db, member_id)
    assert row is not None
    # Written by the repository alone (no notifier, no mark): nothing wakes delivery.
    await outbox.enqueue(
        gridbot.db,
        channel="telegram",
        recipient=str(row.tg_user_id),
        member_id=member_id,
        kind="test.hello",
        payload={"n": 1},
        now=to_db(gridbot.clock.now()),
    )
    await someone.send("/help")
    assert client.texts() == []
    # Through the notifier: the commit's hook wakes delivery once an update is handled.
    await queue(gridbot, member_id, n=2)
    await someone.send("/help")
    assert client.texts() == ["hello 1 (zh-CN)", "hello 2 (zh-CN)"]
