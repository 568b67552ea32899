"""Meetings keep the past: a held meeting is read-only, notices say what changed,
cancelling asks first, a reminder shows an answer given, and texts fit Telegram."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot, Person
from bot.services import meetings
from bot.services.grid import Role
from tests.helpers.meetings import (
    DAY_BEFORE,
    FIRST,
    HOUR_BEFORE,
    at,
    first_id,
    people,
    weekly,
)


async def held(gridbot: OfflineBot, clock: FakeClock) -> tuple[Person, Person, int]:
    """The first meeting held: the leader checked in, the admin recorded the minutes."""
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    occurrence_id = await first_id(gridbot)
    await at(gridbot, clock, FIRST + timedelta(minutes=5))
    await leader.client.send("/meetings")
    await leader.client.press("📍 签到")
    await admin.client.send("/meetings")
    await admin.client.press("🗒 纪要")
    await admin.client.send("传达防汛工作要求。")
    return admin, leader, occurrence_id


def cancel_notices(person: Person) -> list[str]:
    return [text for text in person.client.texts() if "会议取消" in text]


async def test_a_held_meeting_cannot_be_cancelled_or_moved(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, occurrence_id = await held(gridbot, clock)
    await admin.client.send("/meetings")
    during = next(m for m in admin.client.messages[-3:] if "2026-06-16" in m.text)
    assert "取消本次" not in str(during.buttons) and "改期" not in str(during.buttons)
    assert "🗒 纪要" in str(during.buttons)
    clock.advance(hours=3)  # over now
    for data in (
        f"v1:mt:k:{occurrence_id}",
        f"v1:mt:ky:{occurrence_id}",
        f"v1:mt:v:{occurrence_id}",
    ):
        await admin.client.press_data(data)
        answer = admin.client.last_answer
        assert answer is not None and answer.show_alert and "已经开过了" in str(answer.text)
    await gridbot.run_due_jobs()
    assert cancel_notices(leader) == []
    row = await gridbot.db.fetchone(
        "SELECT status, starts_at, minutes FROM meeting_occurrences WHERE id = ?", (occurrence_id,)
    )
    assert row is not None and row["status"] == "scheduled" and row["minutes"]
    assert leader.member is not None
    assert await meetings.attendance_rate(gridbot.db, clock, leader.member) == (1, 1)


async def test_cancelling_the_series_keeps_the_held_meetings(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, occurrence_id = await held(gridbot, clock)
    clock.advance(hours=3)
    await admin.client.press_data(f"v1:mt:K:{occurrence_id}")
    assert "确定取消整个「楼门长工作例会」系列吗" in admin.client.last_text
    await admin.client.press("✅ 确定取消整个系列")
    await gridbot.run_due_jobs()
    notice = leader.client.last_text
    assert "例会停开" in notice and "2026-06-23" in notice  # the next one, not the held one
    past = await meetings.view(gridbot.db, occurrence_id)
    assert past is not None and not past.cancelled and past.occurrence.minutes
    statuses = await gridbot.db.fetchall(
        "SELECT status FROM meeting_occurrences WHERE id != ?", (occurrence_id,)
    )
    assert {r["status"] for r in statuses} == {"cancelled"}
    assert leader.member is not None
    assert await meetings.attendance_rate(gridbot.db, clock, leader.member) == (1, 1)


async def test_a_series_change_of_place_keeps_held_meetings_and_says_it_is_a_new_place(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, occurrence_id = await held(gridbot, clock)
    clock.advance(hours=3)
    await admin.client.press_data(f"v1:mt:e:{occurrence_id}")
    await admin.client.send("社区三楼会议室")
    assert "地点已改为「社区三楼会议室」" in admin.client.last_text
    await gridbot.run_due_jobs()
    notice = leader.client.last_text
    assert "会议换地点" in notice and "改期" not in notice
    assert "原来在「社区二楼会议室」" in notice and "社区三楼会议室" in notice
    past = await meetings.view(gridbot.db, occurrence_id)
    assert past is not None and past.place == "社区二楼会议室"
    following = await gridbot.db.fetchval(
        "SELECT id FROM meeting_occurrences WHERE id != ? ORDER BY starts_at", (occurrence_id,)
    )
    ahead = await meetings.view(gridbot.db, int(following))
    assert ahead is not None and ahead.place == "社区三楼会议室"
    # a time change of the series leaves the held meeting's time as it was
    before = past.occurrence.starts_at
    await admin.client.press_data(f"v1:mt:e:{occurrence_id}")
    await admin.client.send("20:00")
    again = await meetings.view(gridbot.db, occurrence_id)
    assert again is not None and again.occurrence.starts_at == before


async def test_moving_one_meeting_says_from_when_to_when(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await admin.client.send("/meetings")
    await admin.client.press_data(f"v1:mt:v:{await first_id(gridbot)}")
    await admin.client.send("2026-06-17 15:00")
    await gridbot.run_due_jobs()
    notice = leader.client.last_text
    assert "会议改期" in notice and "原定 2026-06-16 (周二) 19:30" in notice
    assert "2026-06-17 (周三) 15:00" in notice


async def test_cancelling_one_asks_first_and_can_be_kept(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await admin.client.send("/meetings")
    await admin.client.press("取消本次")
    assert "确定取消这一次会议吗" in admin.client.last_text
    assert admin.client.buttons() == [["✅ 确定取消本次"], ["不取消"]]
    await admin.client.press("不取消")
    assert "没有取消" in admin.client.last_text
    await gridbot.run_due_jobs()
    assert cancel_notices(leader) == []
    assert (
        await gridbot.db.fetchval(
            "SELECT count(*) FROM meeting_occurrences WHERE status = 'cancelled'"
        )
        == 0
    )
    await admin.client.send("/meetings")
    await admin.client.press("取消整个系列")
    await admin.client.press("不取消")
    assert (
        await gridbot.db.fetchval(
            "SELECT count(*) FROM meeting_series WHERE cancelled_at IS NOT NULL"
        )
        == 0
    )
    # a leader cannot confirm a cancellation either
    await leader.client.press_data(f"v1:mt:ky:{await first_id(gridbot)}")
    assert leader.client.last_answer is not None and "管理员" in str(leader.client.last_answer.text)


async def test_a_reminder_to_someone_who_answered_shows_the_answer_and_offers_to_change(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE)
    await leader.client.press("✅ 参加")
    # the reminder answered shows the answer, and its button now changes it
    assert "您的回复：参加" in leader.client.last_text
    assert leader.client.buttons() == [["📝 改为请假"]]
    await at(gridbot, clock, HOUR_BEFORE)
    reminder = leader.client.last_text
    assert "会议提醒" in reminder and "您的回复：参加" in reminder
    assert "请回复是否参加" not in reminder
    assert leader.client.buttons() == [["📝 改为请假"]]
    await leader.client.press("📝 改为请假")
    await leader.client.send("临时有事")
    assert "已记录请假" in leader.client.last_text
    await leader.client.send("/meetings")
    first = next(m for m in leader.client.messages[-3:] if "2026-06-16" in m.text)
    assert "您的回复：请假" in first.text and first.buttons == [["✅ 改为参加"]]


async def test_the_answers_of_a_big_meeting_fit_and_can_be_read_in_full(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    crowd = [
        await gridbot.member(f"{'张' * 28}{i:04d}", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
        for i in range(60)
    ]
    assert admin.member is not None
    series = await meetings.create_series(
        gridbot.db,
        clock,
        gridbot.config.tz,
        admin.member,
        meetings.SeriesDraft(
            title="题" * 100,
            rule=_tuesday(),
            place="地" * 100,
            roles=["building_leader"],
            offsets=[1440, 60],
        ),
    )
    occurrence_id = await first_id(gridbot)
    await at(gridbot, clock, DAY_BEFORE)
    for i, person in enumerate(crowd[:20]):
        assert person.member is not None
        if i < 9:
            reason = f"{i}" + "因" * 499
            await meetings.answer(
                gridbot.db, clock, person.member, occurrence_id, "excused", reason
            )
        else:
            await meetings.answer(gridbot.db, clock, person.member, occurrence_id, "attend")
    await crowd[20].client.press("📝 请假")
    await crowd[20].client.send("病" * 500)
    assert "已记录请假" in crowd[20].client.last_text  # the member's own echo fits too
    await admin.client.send("/meetings")
    await admin.client.press_data(f"v1:mt:s:{occurrence_id}")
    summary = admin.client.last_text
    assert len(summary) <= 4096
    assert "请假（10）" in summary and "参加（11）" in summary and "未回复（39）" in summary
    assert "另有 14 人" in summary  # of the 39 not answered, 25 are named
    await admin.client.press("📄 查看全部回复")
    full = "\n".join(admin.client.texts()[-5:])
    for i in range(9):
        assert f"{i}" + "因" * 499 in full
    assert "病" * 500 in full
    for person in crowd:
        assert person.client.user.full_name in full
    assert all(len(text) <= 4096 for text in admin.client.texts())
    # the reminders of a series with the longest title and place fit as well
    await at(gridbot, clock, HOUR_BEFORE)
    assert "会议提醒" in crowd[30].client.last_text and "题" * 100 in crowd[30].client.last_text
    # minutes at their longest are kept whole; one character more is asked again
    await at(gridbot, clock, FIRST + timedelta(minutes=5))
    await admin.client.press_data(f"v1:mt:m:{occurrence_id}")
    await admin.client.send("纪" * 501)
    assert "500 字以内" in admin.client.last_text
    await admin.client.send("纪" * 500)
    assert "纪要已保存" in admin.client.last_text
    minutes = await gridbot.db.fetchval(
        "SELECT minutes FROM meeting_occurrences WHERE series_id = ? AND id = ?",
        (series.id, occurrence_id),
    )
    assert minutes == "纪" * 500


def _tuesday() -> meetings.Rule:
    from datetime import time

    from bot.services.schedule import WEEKLY, Rule

    return Rule(WEEKLY, time(19, 30), weekday=1)
