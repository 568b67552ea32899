"""Alerts through every failure of the Bot API: each is retried or accounted for, none lost."""

from __future__ import annotations

import pytest

from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from storage import outbox
from tests.conftest import ErrorLog
from tests.helpers.cases import people, report, status


async def alerts(gridbot: OfflineBot) -> list[str]:
    return [r.status for r in await outbox.of_kind(gridbot.db, "case.new")]


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("timeout", {}),
        ("timeout_after", {}),
        ("server_error", {}),
        ("server_error", {"code": 502}),
        ("flood", {"retry_after": 20}),
    ],
)
async def test_alert_survives_a_failing_api(
    gridbot: OfflineBot, errors: ErrorLog, kind: str, extra: dict[str, int]
) -> None:
    leader, admin, other = await people(gridbot)
    gridbot.api.fail_next(kind, method="sendMessage", times=3, **extra)  # type: ignore[arg-type]
    await report(gridbot, leader)
    for _ in range(6):
        gridbot.clock.advance(seconds=60)
        await gridbot.run_due_jobs()
    assert await alerts(gridbot) == ["sent", "sent"]
    for person in (admin, other):
        cards = [m for m in person.client.messages if m.kind == "text" and "待受理" in m.text]
        assert cards, person
    # and the copy kept is edited in place afterwards (after a lost answer, Telegram holds
    # a duplicate too: at least once; its buttons are then refused as out of date)
    await admin.client.press("✅ 受理")
    copies = [m for m in other.client.messages if "YH-20260613-0001" in m.text]
    assert "已受理" in copies[-1].text
    assert len(copies) == (2 if kind == "timeout_after" else 1)
    errors.take()  # the rate limiter logs the 429s it passed on


async def test_blocked_admin_is_held_and_their_admin_told_once(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    assert admin.member is not None and other.member is not None
    gridbot.api.block(admin.client.user.id)
    await report(gridbot, leader)
    # Held, not failed: the blocked admin is unreachable, still an active member.
    assert sorted(await alerts(gridbot)) == ["pending", "sent"]
    row = await gridbot.db.fetchone(
        "SELECT active, unreachable_since FROM members WHERE id = ?", (admin.member.id,)
    )
    assert row is not None and row["active"] == 1 and row["unreachable_since"] is not None
    told = [text for text in other.client.texts() if "已屏蔽机器人" in text]
    assert len(told) == 1 and "李敏" in told[0]
    assert street.client.texts() == []  # the community still has an admin: they are told
    # The case goes on with the other admin; the updates for the blocked one wait, and
    # nobody is told a second time.
    await other.client.press("✅ 受理")
    assert await status(gridbot, 1) == "accepted"
    gridbot.clock.advance(minutes=10)
    await gridbot.run_due_jobs()
    assert len([text for text in other.client.texts() if "已屏蔽机器人" in text]) == 1
    assert admin.client.texts() == []
    # Unblocking brings them back: the held alert arrives, showing the case as it is now.
    await admin.client.unblock_bot()
    await gridbot.settle()
    cards = [text for text in admin.client.texts() if "YH-20260613-0001" in text]
    assert cards and "已受理" in cards[-1]
    assert sorted(await alerts(gridbot)) == ["sent", "sent"]


async def test_blocked_reporter_is_reported_to_the_community(
    gridbot: OfflineBot, errors: ErrorLog
) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    gridbot.api.block(leader.client.user.id)
    await admin.client.press("✅ 受理")
    assert any("张思凯" in text and "已屏蔽机器人" in text for text in admin.client.texts())
    errors.take()


async def test_pending_alerts_are_sent_after_a_restart(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    gridbot.api.fail_next("timeout", method="sendMessage", times=2)
    case_id = await report(gridbot, leader)
    assert await alerts(gridbot) == ["pending", "pending"]
    await gridbot.restart()
    gridbot.clock.advance(minutes=1)
    await gridbot.run_due_jobs()
    assert await alerts(gridbot) == ["sent", "sent"]
    await admin.client.press("✅ 受理")
    await gridbot.restart()
    await other.client.press("👤 指派")
    await other.client.press("李敏")
    assert await status(gridbot, case_id) == "in_progress"
    copy = next(m for m in admin.client.messages if "YH-20260613-0001" in m.text)
    assert "承办人：李敏" in copy.text  # edited in place across the restart


async def test_a_copy_that_cannot_be_edited_is_sent_again(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    await report(gridbot, leader)
    gridbot.api.fail_next(
        "bad_request",
        method="editMessageText",
        chat_id=other.client.user.id,
        description="Bad Request: message to edit not found",
    )
    await admin.client.press("✅ 受理")
    mine = [m for m in admin.client.messages if "YH-20260613-0001" in m.text]
    theirs = [m for m in other.client.messages if "YH-20260613-0001" in m.text]
    assert len(mine) == 1 and "已受理" in mine[0].text
    assert len(theirs) == 2 and "已受理" in theirs[1].text  # a new copy replaced the lost one
    assert (
        await gridbot.db.fetchval(
            "SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'cancelled')"
        )
        == 0
    )


async def test_a_group_that_removed_the_bot_is_unbound(
    gridbot: OfflineBot, errors: ErrorLog
) -> None:
    leader, admin, _other = await people(gridbot)
    gridbot.api.add_group(-700, "管理员群", members=[admin.client.user.id])
    await admin.client.in_chat(-700).send("/bindgroup")
    gridbot.api.fail_next("forbidden", chat_id=-700, description="Forbidden: bot was kicked")
    await report(gridbot, leader)
    assert await gridbot.db.fetchval("SELECT count(*) FROM area_groups") == 0
    assert sorted(await alerts(gridbot)) == ["failed", "sent", "sent"]
    assert any("403" in message for message in errors.take())
