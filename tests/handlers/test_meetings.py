"""Meetings: creating one by buttons, reminders on time and never twice, answers, check-in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.services import meetings
from bot.services.grid import Role
from bot.services.schedule import MONTHLY_DAY, ONCE, WEEKLY, Rule
from tests.conftest import ErrorLog
from tests.helpers.meetings import (
    DAY_BEFORE,
    FIRST,
    HOUR_BEFORE,
    at,
    first_id,
    people,
    reminders,
    weekly,
)


async def test_admin_creates_the_weekly_meeting_by_buttons(gridbot: OfflineBot) -> None:
    admin, _leader, _assistant = await people(gridbot)
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    assert "请输入会议名称" in client.last_text
    await client.send_sticker()
    assert "请按上面的提示回答" in client.last_text
    await client.press("楼门长工作例会")
    await client.press("每周一次")
    await client.press("周二")
    await client.send("25:00")
    assert "没看懂这个时间" in client.last_text
    await client.press("19:30")
    await client.send("社区二楼会议室")
    await client.press("✅ 村民小组长")  # untick: the buttons toggle
    await client.press("✅ 村民小组长助理")
    await client.press("⬜ 社区（村）管理员")
    await client.press("✅ 社区（村）管理员")
    await client.press("完成")
    await client.press("默认：提前1天、1小时")
    assert "第一次：2026-06-16 (周二) 19:30" in client.last_text
    assert "应到：楼门长、楼门长助理" in client.last_text
    await client.press("✅ 确认创建")
    assert "已创建「楼门长工作例会」" in client.last_text
    row = await gridbot.db.fetchone("SELECT * FROM meeting_series")
    assert row is not None
    assert (row["rule"], row["weekday"], row["local_time"], row["place"]) == (
        "weekly",
        1,
        "19:30",
        "社区二楼会议室",
    )
    assert row["roles"] == '["building_leader", "building_assistant"]'
    assert row["offsets"] == "[1440, 60]"
    # the button of a finished flow is stale now
    flow = (await gridbot.db.fetchval("SELECT count(*) FROM meeting_series")) and "000000"
    await client.press_data(f"v1:mc:{flow}:ok:-")
    assert client.last_answer is not None and client.last_answer.show_alert


async def test_create_flow_other_rules_and_typed_answers(gridbot: OfflineBot) -> None:
    admin, _leader, _assistant = await people(gridbot)
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.send("党建学习会")
    await client.press("每月几号")
    await client.send("32")
    assert "1 到 31" in client.last_text
    await client.send("31")
    await client.send("9:00")
    await client.send("村委会")
    await client.press("完成")
    await client.send("whenever")
    assert "没看懂" in client.last_text
    await client.send("2天 30分钟")
    assert "第一次：2026-07-31 (周五) 09:00" in client.last_text
    await client.press("放弃")
    assert await gridbot.db.fetchval("SELECT count(*) FROM meeting_series") == 0
    # a one-off in the past is refused and the date asked again
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.press("楼门长工作例会")
    await client.press("只开一次")
    await client.send("2026-06-01")
    await client.press("09:00")
    assert "请输入以后的时间" in client.texts()[-2]
    await client.send("/cancel")
    assert "已放弃" in client.last_text


async def test_leaders_cannot_create_and_strangers_are_told_to_join(gridbot: OfflineBot) -> None:
    _admin, leader, _assistant = await people(gridbot)
    await leader.client.send("/meetings")
    assert "新建例会" not in str(leader.client.buttons())
    await leader.client.press_data("v1:mt:new")
    assert leader.client.last_answer is not None and "管理员" in str(leader.client.last_answer.text)
    stranger = gridbot.user("路人")
    await stranger.send("/meetings")
    assert "还没有加入网格" in stranger.last_text


async def test_weekly_reminders_at_the_right_moments_and_the_summary(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE - timedelta(minutes=1))
    assert reminders(leader) == []
    await at(gridbot, clock, DAY_BEFORE)
    assert len(reminders(leader)) == 1 and len(reminders(assistant)) == 1
    assert "2026-06-16 (周二) 19:30" in reminders(leader)[0]
    assert "社区二楼会议室" in reminders(leader)[0]
    # answers both ways, straight from the reminder
    await leader.client.press("✅ 参加")
    assert "您的回复：参加" in leader.client.last_text
    await assistant.client.press("📝 请假")
    assert "请输入请假事由" in assistant.client.last_text
    await assistant.client.send_photo()
    assert "请直接输入文字" in assistant.client.last_text
    await assistant.client.send("孩子发烧，需要去医院" * 60)
    assert "太长了" in assistant.client.last_text
    await assistant.client.send("孩子发烧，需要去医院")
    assert "已记录请假" in assistant.client.last_text
    # nothing more until the hour before; then the second reminder and the admin's summary
    await at(gridbot, clock, HOUR_BEFORE - timedelta(minutes=1))
    assert len(reminders(leader)) == 1
    await at(gridbot, clock, HOUR_BEFORE)
    # the excused assistant is not asked again
    assert len(reminders(leader)) == 2 and len(reminders(assistant)) == 1
    summary = admin.client.last_text
    assert "回复情况" in summary
    assert "参加（1）：张思凯" in summary
    assert "王芳：孩子发烧，需要去医院" in summary
    assert "未回复（0）" in summary
    # the next week's reminders come at the same local time
    await at(gridbot, clock, DAY_BEFORE + timedelta(days=7))
    assert len(reminders(leader)) == 3
    assert "2026-06-23 (周二) 19:30" in reminders(leader)[-1]
    answer = await gridbot.db.fetchone(
        "SELECT answer, reason FROM meeting_attendance WHERE member_id = ?",
        (assistant.member.id if assistant.member else 0,),
    )
    assert answer is not None and tuple(answer) == ("excused", "孩子发烧，需要去医院")


async def test_the_admin_sees_who_has_not_answered(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE)
    await leader.client.press("✅ 参加")
    await admin.client.send("/meetings")
    await admin.client.press_data(f"v1:mt:s:{await first_id(gridbot)}")
    text = admin.client.last_text
    assert "参加（1）：张思凯" in text and "未回复（1）：王芳" in text


async def test_check_in_during_the_meeting_and_attendance_rate(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, assistant = await people(gridbot)
    series = await weekly(gridbot, admin)
    await leader.client.send("/meetings")
    assert "签到" not in str(leader.client.buttons())
    occurrence_id = await gridbot.db.fetchval(
        "SELECT id FROM meeting_occurrences WHERE series_id = ? ORDER BY starts_at", (series.id,)
    )
    await leader.client.press_data(f"v1:mt:c:{occurrence_id}")
    assert leader.client.last_answer is not None and "签到时间" in str(
        leader.client.last_answer.text
    )
    await at(gridbot, clock, FIRST + timedelta(minutes=5))
    await leader.client.send("/meetings")
    await leader.client.press("📍 签到")
    assert leader.client.last_answer is not None and leader.client.last_answer.text == "签到成功！"
    await leader.client.press("📍 签到")
    assert leader.client.last_answer.text == "您已经签到过了。"
    # afterwards the admin records the minutes; attendance is kept and counted
    await admin.client.send("/meetings")
    await admin.client.press("🗒 纪要")
    await admin.client.send("传达防汛工作要求；各楼栋排查隐患。")
    assert "纪要已保存" in admin.client.last_text
    minutes = await gridbot.db.fetchval(
        "SELECT minutes FROM meeting_occurrences WHERE id = ?", (occurrence_id,)
    )
    assert minutes == "传达防汛工作要求；各楼栋排查隐患。"
    clock.advance(hours=3)
    assert leader.member is not None and assistant.member is not None
    assert await meetings.attendance_rate(gridbot.db, clock, leader.member) == (1, 1)
    assert await meetings.attendance_rate(gridbot.db, clock, assistant.member) == (0, 1)
    await leader.client.send("/meetings")
    # the answer to /meetings (a summary, then one card per meeting) shows the leader's rate
    said = [text for text in leader.client.texts()[-3:] if "出勤" in text]
    assert len(said) == 1 and "出勤（签到/应到）：1/1" in said[0], said


async def test_a_cancelled_occurrence_is_not_reminded_and_those_expected_are_told(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    # the day-before reminder is queued, and the meeting cancelled before it is sent
    clock.set(DAY_BEFORE)
    await meetings.remind_due(gridbot.db, clock, gridbot.config.tz, 30)
    assert admin.member is not None
    await meetings.cancel_occurrence(gridbot.db, clock, admin.member, await first_id(gridbot))
    await gridbot.run_due_jobs()
    assert reminders(leader) == []
    assert "会议取消" in leader.client.last_text
    statuses = await gridbot.db.fetchall(
        "SELECT status FROM outbox WHERE kind = 'meeting.reminder'"
    )
    assert {r["status"] for r in statuses} == {"cancelled"}
    # the hour-before reminder does not come either; next week's does
    await at(gridbot, clock, HOUR_BEFORE)
    assert reminders(leader) == []
    await at(gridbot, clock, DAY_BEFORE + timedelta(days=7))
    assert len(reminders(leader)) == 1
    # an answer to the cancelled one is refused
    await leader.client.press_data(f"v1:mt:a:{await first_id(gridbot)}")
    assert leader.client.last_answer is not None and "已经取消" in str(
        leader.client.last_answer.text
    )


async def test_cancel_the_series_and_move_an_occurrence(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await admin.client.send("/meetings")
    await admin.client.press("🕘 改期")
    await admin.client.send("明天")
    assert "没看懂这个时间" in admin.client.last_text
    await admin.client.send("2026-06-17 15:00")
    assert "已改到 2026-06-17 (周三) 15:00" in admin.client.last_text
    await gridbot.run_due_jobs()
    assert "会议改期" in leader.client.last_text
    # the reminders follow the new time: one day before 2026-06-17 15:00 local (07:00 UTC)
    await at(gridbot, clock, datetime(2026, 6, 16, 6, 59, tzinfo=UTC))
    assert reminders(leader) == []
    await at(gridbot, clock, datetime(2026, 6, 16, 7, 0, tzinfo=UTC))
    assert len(reminders(leader)) == 1 and "15:00" in reminders(leader)[0]
    await admin.client.send("/meetings")
    await admin.client.press_data(f"v1:mt:k:{await first_id(gridbot)}")
    assert "确定取消这一次会议吗" in admin.client.last_text
    await admin.client.press("✅ 确定取消本次")
    assert admin.client.last_answer is not None and "已取消" in str(admin.client.last_answer.text)
    await admin.client.press_data(f"v1:mt:k:{await first_id(gridbot)}")
    assert "已经取消" in str(admin.client.last_answer.text)
    await admin.client.press_data(f"v1:mt:ky:{await first_id(gridbot)}")
    assert "已经取消" in str(admin.client.last_answer.text)
    await admin.client.send("/meetings")
    await admin.client.press("取消整个系列")
    await admin.client.press("✅ 确定取消整个系列")
    await gridbot.run_due_jobs()
    assert "例会停开" in leader.client.last_text
    await at(gridbot, clock, DAY_BEFORE + timedelta(days=7))
    assert len(reminders(leader)) == 1


async def test_forged_and_foreign_buttons_change_nothing(gridbot: OfflineBot) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    occurrence_id = await gridbot.db.fetchval("SELECT min(id) FROM meeting_occurrences")
    for data in ("v1:mt:a:999999", "v1:mt:zz:1", "v1:mt:a:x", "v1:mt:a"):
        await leader.client.press_data(data)
        assert leader.client.last_answer is not None and leader.client.last_answer.show_alert
    await leader.client.press_data(f"v1:mt:k:{occurrence_id}")
    assert "管理员" in str(leader.client.last_answer.text)
    # an admin of another community may not touch it
    other = await gridbot.member("赵刚", Role.COMMUNITY_ADMIN, "光明街社区")
    await other.client.press_data(f"v1:mt:k:{occurrence_id}")
    assert other.client.last_answer is not None and "不在您负责的范围内" in str(
        other.client.last_answer.text
    )
    # a member not expected (another community) cannot answer
    outsider = await gridbot.member("钱多", Role.BUILDING_LEADER, "欣园小区1号楼")
    await outsider.client.press_data(f"v1:mt:a:{occurrence_id}")
    assert outsider.client.last_answer is not None and "应到" in str(
        outsider.client.last_answer.text
    )
    status = await gridbot.db.fetchval(
        "SELECT status FROM meeting_occurrences WHERE id = ?", (occurrence_id,)
    )
    assert status == "scheduled"
    assert await gridbot.db.fetchval("SELECT count(*) FROM meeting_attendance") == 0


async def test_monthly_and_one_off_reminders(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin, Rule(MONTHLY_DAY, time(9, 0), day=31), offsets=[60])
    await weekly(gridbot, admin, Rule(ONCE, time(10, 0), on_date=date(2026, 6, 20)), offsets=[60])
    # once: 2026-06-20 10:00 local = 02:00 UTC, reminded at 01:00 UTC
    await at(gridbot, clock, datetime(2026, 6, 20, 0, 59, tzinfo=UTC))
    assert reminders(leader) == []
    await at(gridbot, clock, datetime(2026, 6, 20, 1, 0, tzinfo=UTC))
    assert len(reminders(leader)) == 1 and "2026-06-20 (周六) 10:00" in reminders(leader)[0]
    # June has no 31st: the monthly one first meets on 2026-07-31, reminded at 00:00 UTC
    await at(gridbot, clock, datetime(2026, 6, 30, 0, 0, tzinfo=UTC))
    assert len(reminders(leader)) == 1
    for day in range(1, 31):  # a sweep every day of July, as the bot would run
        await at(gridbot, clock, datetime(2026, 7, day, 0, 0, tzinfo=UTC))
    assert len(reminders(leader)) == 1
    await at(gridbot, clock, datetime(2026, 7, 31, 0, 0, tzinfo=UTC))
    assert len(reminders(leader)) == 2 and "2026-07-31 (周五) 09:00" in reminders(leader)[-1]


async def test_weekly_across_the_year_boundary(gridbot: OfflineBot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 28, 1, 0, tzinfo=UTC))
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin, Rule(WEEKLY, time(19, 30), weekday=3), offsets=[60])
    await at(gridbot, clock, datetime(2026, 12, 31, 10, 30, tzinfo=UTC))
    await at(gridbot, clock, datetime(2027, 1, 7, 10, 29, tzinfo=UTC))
    await at(gridbot, clock, datetime(2027, 1, 7, 10, 30, tzinfo=UTC))
    assert [text.split("时间：")[1].split("\n")[0] for text in reminders(leader)] == [
        "2026-12-31 (周四) 19:30",
        "2027-01-07 (周四) 19:30",
    ]


# ---------------------------------------------------------------- restarts


@pytest.mark.parametrize("offset_minutes", [-1, 0])
async def test_restart_just_before_or_at_the_reminder_sends_it_once(
    gridbot: OfflineBot, clock: FakeClock, offset_minutes: int
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE + timedelta(minutes=offset_minutes))
    await gridbot.restart()
    await gridbot.run_due_jobs()
    await at(gridbot, clock, DAY_BEFORE + timedelta(minutes=1))
    await gridbot.restart()
    await gridbot.run_due_jobs()
    assert len(reminders(leader)) == 1
    count = await gridbot.db.fetchval(
        "SELECT count(*) FROM meeting_reminders WHERE member_id = ? AND offset_minutes = 1440",
        (leader.member.id if leader.member else 0,),
    )
    assert count == 1


async def test_restart_between_recording_and_sending_loses_nothing_and_sends_once(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    clock.set(DAY_BEFORE)
    # the sweep records and queues, and the bot stops before the outbox is sent
    report = await meetings.remind_due(gridbot.db, clock, gridbot.config.tz, 30)
    assert report.sent == 2
    await gridbot.restart()
    assert reminders(leader) == []
    for _ in range(3):
        await gridbot.run_due_jobs()
        await gridbot.restart()
    assert len(reminders(leader)) == 1


async def test_down_across_the_reminder_within_grace_sends_it_once_after(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE - timedelta(minutes=10))
    await gridbot.stop()
    clock.set(DAY_BEFORE + timedelta(minutes=25))  # down across it, back within 30 minutes
    await gridbot.start()
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert len(reminders(leader)) == 1


async def test_down_too_long_skips_the_reminder_and_logs_it(
    gridbot: OfflineBot, clock: FakeClock, caplog: pytest.LogCaptureFixture, errors: ErrorLog
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await gridbot.stop()
    clock.set(DAY_BEFORE + timedelta(minutes=31))
    await gridbot.start()
    with caplog.at_level("WARNING"):
        await gridbot.run_due_jobs()
        await gridbot.run_due_jobs()
    assert reminders(leader) == []
    assert sum("meeting reminder skipped" in r.getMessage() for r in caplog.records) == 2
    outcomes = await gridbot.db.fetchall(
        "SELECT outcome FROM meeting_reminders WHERE offset_minutes = 1440"
    )
    assert [r["outcome"] for r in outcomes] == ["skipped", "skipped"]
    # the next one still comes on time
    await at(gridbot, clock, HOUR_BEFORE)
    assert len(reminders(leader)) == 1


async def test_two_sweeps_at_once_still_send_once(gridbot: OfflineBot, clock: FakeClock) -> None:
    import asyncio

    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    clock.set(DAY_BEFORE)
    tz = gridbot.config.tz
    await asyncio.gather(
        meetings.remind_due(gridbot.db, clock, tz, 30),
        meetings.remind_due(gridbot.db, clock, tz, 30),
    )
    await gridbot.run_due_jobs()
    assert len(reminders(leader)) == 1


async def test_a_named_job_fires_at_the_next_reminder_and_is_rebuilt_on_change(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await admin.client.send("/meetings")
    await admin.client.press("➕ 新建例会")
    await admin.client.press("楼门长工作例会")
    await admin.client.press("每周一次")
    await admin.client.press("周二")
    await admin.client.press("19:30")
    await admin.client.send("社区二楼会议室")
    await admin.client.press("完成")
    await admin.client.press("默认：提前1天、1小时")
    await admin.client.press("✅ 确认创建")
    jobs = gridbot.app.job_queue
    assert jobs is not None

    def aimed_at() -> float:
        [job] = jobs.get_jobs_by_name("meetings:next")
        assert job.next_t is not None
        return (job.next_t - datetime.now(UTC)).total_seconds()

    # one job, due when the first reminder is: 2026-06-15 11:30 UTC, 2 days 2.5 h away
    assert abs(aimed_at() - (DAY_BEFORE - clock.now()).total_seconds()) < 60
    # when the job fires it sends what is due, like the sweep
    clock.set(DAY_BEFORE)
    [job] = jobs.get_jobs_by_name("meetings:next")
    await job.run(gridbot.app)
    await gridbot.app.delivery.idle() if gridbot.app.delivery else None
    assert len(reminders(leader)) == 1
    # and it was rebuilt for the next one, the hour before
    assert abs(aimed_at() - (HOUR_BEFORE - clock.now()).total_seconds()) < 60
    # cancelling the occurrence rebuilds it for the next week's reminder
    await admin.client.press_data(f"v1:mt:ky:{await first_id(gridbot)}")
    assert abs(aimed_at() - (DAY_BEFORE + timedelta(days=7) - clock.now()).total_seconds()) < 60


async def test_the_menu_button_shows_the_meetings(gridbot: OfflineBot) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await leader.client.send("/start")
    await leader.client.press("📅 会议")
    assert "您近期需要参加的会议：2 场" in leader.client.texts()[-3]
    assert leader.client.buttons() == [["✅ 参加", "📝 请假"]]


async def test_the_create_flow_survives_a_restart(gridbot: OfflineBot) -> None:
    admin, _leader, _assistant = await people(gridbot)
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.press("楼门长工作例会")
    await client.press("每月第几个星期几")
    await client.press("第5个")
    await gridbot.restart()
    await client.press("周五")
    await client.send("15:00")
    await client.send("社区二楼会议室")
    await gridbot.restart()
    await client.press("完成")
    await client.press("默认：提前1天、1小时")
    assert "第一次：2026-07-31 (周五) 15:00" in client.last_text
    await client.press("✅ 确认创建")
    assert "已创建" in client.last_text
    # in a flow, another flow's entry is held back until this one is finished or cancelled
    await client.send("/meetings")
    await client.press("➕ 新建例会")
    await client.send("/shifts")
    assert "新建例会" in client.last_text and "/cancel" in client.last_text


async def test_excused_members_are_not_asked_again_and_outsiders_cannot_excuse(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE)
    await assistant.client.press("📝 请假")
    await assistant.client.send("出差")
    await at(gridbot, clock, HOUR_BEFORE)
    assert len(reminders(assistant)) == 1 and len(reminders(leader)) == 2
    outsider = await gridbot.member("钱多", Role.BUILDING_LEADER, "欣园小区1号楼")
    await outsider.client.send("/meetings")
    await outsider.client.press_data(f"v1:mt:x:{await first_id(gridbot)}")
    assert outsider.client.last_answer is not None and "应到" in str(
        outsider.client.last_answer.text
    )
    await outsider.client.send("我也请假")
    assert outsider.member is not None
    assert (
        await gridbot.db.fetchval(
            "SELECT count(*) FROM meeting_attendance WHERE member_id = ?", (outsider.member.id,)
        )
        == 0
    )


async def test_reminders_and_notices_come_in_the_members_language(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    leader = await gridbot.member("Zhang", Role.BUILDING_LEADER, "滨河龙韵西区1号楼", language="en")
    await weekly(gridbot, admin)
    await at(gridbot, clock, DAY_BEFORE)
    text = leader.client.last_text
    assert "Meeting reminder" in text and "2026-06-16 (Tue) 19:30" in text
    assert leader.client.buttons() == [["✅ Attend", "📝 Excused"]]
    await leader.client.press("📝 Excused")
    await leader.client.send("<b>sick</b> & tired")
    assert "Reason: <b>sick</b> & tired" in leader.client.last_text
    await at(gridbot, clock, HOUR_BEFORE)
    assert "Excused (1):\n· Zhang: <b>sick</b> & tired" in admin.client.last_text


async def test_the_reminder_timer_is_built_when_the_bot_starts(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, _leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)  # written straight to the database: no timer yet
    jobs = gridbot.app.job_queue
    assert jobs is not None and not jobs.get_jobs_by_name("meetings:next")
    await gridbot.restart()
    jobs = gridbot.app.job_queue
    assert jobs is not None
    [job] = jobs.get_jobs_by_name("meetings:next")
    assert job.next_t is not None
    seconds = (job.next_t - datetime.now(UTC)).total_seconds()
    assert abs(seconds - (DAY_BEFORE - clock.now()).total_seconds()) < 60


async def test_change_the_whole_series_time_and_place(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _assistant = await people(gridbot)
    await weekly(gridbot, admin)
    await admin.client.send("/meetings")
    await admin.client.press("✏️ 修改整个系列")
    await admin.client.send("x" * 101)
    assert "100 字以内" in admin.client.last_text
    await admin.client.send("20:00")
    assert "下一次：2026-06-16 (周二) 20:00" in admin.client.last_text
    assert "例会时间调整" in leader.client.last_text and "20:00" in leader.client.last_text
    assert "原来是 19:30" in leader.client.last_text
    await at(gridbot, clock, DAY_BEFORE + timedelta(minutes=29))
    assert reminders(leader) == []
    await at(gridbot, clock, DAY_BEFORE + timedelta(minutes=30))
    assert len(reminders(leader)) == 1 and "2026-06-16 (周二) 20:00" in reminders(leader)[0]
    await admin.client.send("/meetings")
    await admin.client.press("✏️ 修改整个系列")
    await admin.client.send("社区三楼会议室")
    assert "地点已改为「社区三楼会议室」" in admin.client.last_text
    # the change did not make a second set of occurrences; next week is at 20:00 too
    await at(gridbot, clock, DAY_BEFORE + timedelta(days=7, minutes=30))
    assert "2026-06-23 (周二) 20:00" in reminders(leader)[-1]
    assert "社区三楼会议室" in reminders(leader)[-1]
    dates = await gridbot.db.fetchall("SELECT slot FROM meeting_occurrences ORDER BY slot")
    assert len({r["slot"] for r in dates}) == len(dates)
    assert [r["slot"] for r in dates][:2] == ["2026-06-16", "2026-06-23"]
