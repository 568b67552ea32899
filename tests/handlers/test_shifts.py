"""Duty shifts: posts and shifts by an admin, sign-up, assignment, reminders, unstaffed alerts."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from tests.helpers.people import admin_leader_assistant
from tests.helpers.shifts import STARTS, setup


async def test_sign_up_assignment_and_reminders(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin, leader, other = await setup(gridbot)
    await leader.client.send("/shifts")
    assert "未来两周的执勤班次：1 个" in leader.client.texts()[-2]
    await leader.client.press("🙋 报名")
    assert leader.client.last_answer is not None and leader.client.last_answer.text == "报名成功！"
    assert "已排 1/2 人" in leader.client.last_text
    await leader.client.press_data("v1:sf:up:1")
    assert "已经在这个班次上了" in str(leader.client.last_answer.text)
    # the admin assigns the second person, who is told
    await admin.client.send("/shifts")
    await admin.client.press("👤 指派")
    assert admin.client.buttons() == [["王芳"]]
    await admin.client.press("王芳")
    assert "已排 2/2 人" in admin.client.last_text
    assert "您被安排了执勤" in other.client.last_text
    # full now: nobody else can sign up, and no unstaffed alert comes
    late = await gridbot.member("钱多", Role.BUILDING_LEADER, "滨河龙韵西区2号楼")
    await late.client.press_data("v1:sf:up:1")
    assert late.client.last_answer is not None and "排满" in str(late.client.last_answer.text)
    clock.set(STARTS - timedelta(hours=12))
    await gridbot.run_due_jobs()
    assert not any("班次缺人" in text for text in admin.client.texts())
    clock.set(STARTS - timedelta(minutes=61))
    await gridbot.run_due_jobs()
    assert not any("执勤提醒" in text for text in leader.client.texts())
    clock.set(STARTS - timedelta(minutes=60))
    await gridbot.run_due_jobs()
    await gridbot.restart()
    await gridbot.run_due_jobs()
    assert sum("执勤提醒" in text for text in leader.client.texts()) == 1
    assert sum("执勤提醒" in text for text in other.client.texts()) == 1


async def test_an_unstaffed_shift_is_reported_to_the_admin_once(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, _other = await setup(gridbot)
    await leader.client.send("/shifts")
    await leader.client.press("🙋 报名")
    clock.set(STARTS - timedelta(hours=12, minutes=1))
    await gridbot.run_due_jobs()
    assert not any("班次缺人" in text for text in admin.client.texts())
    clock.set(STARTS - timedelta(hours=12))
    await gridbot.run_due_jobs()
    assert "班次缺人" in admin.client.last_text and "已排 1/2 人" in admin.client.last_text
    clock.advance(minutes=5)
    await gridbot.restart()
    await gridbot.run_due_jobs()
    assert sum("班次缺人" in text for text in admin.client.texts()) == 1


async def test_shift_buttons_are_checked(gridbot: OfflineBot) -> None:
    admin, leader, _other = await setup(gridbot)
    await leader.client.send("/shifts")
    for data in ("v1:sf:up:99", "v1:sf:up:x", "v1:sf:zz:1", "v1:sf:as:1"):
        await leader.client.press_data(data)
        assert leader.client.last_answer is not None and leader.client.last_answer.show_alert
    await leader.client.press_data("v1:sf:pick:1")
    assert "管理员" in str(leader.client.last_answer.text)
    await leader.client.press_data("v1:sf:new")
    assert "管理员" in str(leader.client.last_answer.text)
    # a leader of another community can neither see nor take the shift
    outsider = await gridbot.member("赵刚", Role.BUILDING_LEADER, "欣园小区1号楼")
    await outsider.client.send("/shifts")
    assert "执勤班次：0 个" in outsider.client.last_text
    await outsider.client.press_data("v1:sf:up:1")
    assert outsider.client.last_answer is not None and "不在您负责的范围内" in str(
        outsider.client.last_answer.text
    )
    # an admin elsewhere cannot assign into it
    foreign = await gridbot.member("孙丽", Role.COMMUNITY_ADMIN, "光明街社区")
    assert leader.member is not None
    await foreign.client.press_data(f"v1:sf:as:1:{leader.member.id}")
    assert foreign.client.last_answer is not None and foreign.client.last_answer.show_alert
    assert await gridbot.db.fetchval("SELECT count(*) FROM shift_assignments") == 0
    # a duplicate post name is refused and asked again
    await admin.client.send("/shifts")
    await admin.client.press("➕ 新建岗位")
    await admin.client.send("东门卡口")
    assert "同名岗位" in admin.client.last_text
    await admin.client.send("/cancel")
    assert "已取消" in admin.client.last_text


async def test_a_member_withdraws_before_the_shift_and_the_admin_sees_who_is_on_it(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, leader, other = await setup(gridbot)
    await leader.client.send("/shifts")
    await leader.client.press("🙋 报名")
    assert leader.client.buttons() == [["🙅 退出这个班次"]]
    # the admin sees who signed up
    await admin.client.send("/shifts")
    assert "已报名：张思凯" in admin.client.last_text
    # the member withdraws; the admin is told and can assign someone else
    await leader.client.send("/shifts")
    assert "您已报名" in leader.client.last_text
    await leader.client.press("🙅 退出这个班次")
    assert leader.client.last_answer is not None and "已退出" in str(leader.client.last_answer.text)
    assert "已排 0/2 人" in leader.client.last_text
    assert leader.client.buttons() == [["🙋 报名"]]
    await gridbot.run_due_jobs()
    assert "张思凯 退出了班次" in admin.client.last_text
    assert "已报名：还没有人" in admin.client.last_text
    await admin.client.press("👤 指派")
    assert admin.client.buttons() == [["张思凯"], ["王芳"]]
    assert await gridbot.db.fetchval("SELECT count(*) FROM shift_assignments") == 0
    # withdrawing twice, or after the shift started, is refused; nothing changes
    await leader.client.press_data("v1:sf:wd:1")
    assert leader.client.last_answer is not None and "不在这个班次" in str(
        leader.client.last_answer.text
    )
    await leader.client.press_data("v1:sf:up:1")
    clock.set(STARTS + timedelta(minutes=1))
    await leader.client.press_data("v1:sf:wd:1")
    assert "已开始" in str(leader.client.last_answer.text)
    assert await gridbot.db.fetchval("SELECT count(*) FROM shift_assignments") == 1
    assert other.member is not None


async def test_an_assigned_member_withdraws_from_the_notice_and_gets_no_reminder(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin, _leader, other = await setup(gridbot)
    await admin.client.send("/shifts")
    await admin.client.press("👤 指派")
    await admin.client.press("王芳")
    await gridbot.run_due_jobs()
    assert "您被安排了执勤" in other.client.last_text
    await other.client.press("🙅 退出这个班次")
    await gridbot.run_due_jobs()
    assert "王芳 退出了班次" in admin.client.last_text
    clock.set(STARTS - timedelta(minutes=60))
    await gridbot.run_due_jobs()
    assert not any("执勤提醒" in text for text in other.client.texts())


async def test_post_names_are_escaped_once(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin, leader, other = await admin_leader_assistant(gridbot)
    client = admin.client
    await client.send("/shifts")
    await client.press("➕ 新建岗位")
    await client.send("东门卡口 <b>")
    assert "岗位「东门卡口 <b>」已建好" in client.last_text
    await client.send("/shifts")
    await client.press("➕ 班次：东门卡口 <b>")
    await client.send("2026-06-14 08:00-12:00 2")
    seen = [client.last_text]
    await leader.client.send("/shifts")
    await leader.client.press("🙋 报名")
    seen.append(leader.client.last_text)
    await admin.client.send("/shifts")
    await admin.client.press("👤 指派")
    await admin.client.press("王芳")
    await gridbot.run_due_jobs()
    seen.append(other.client.last_text)
    clock.set(STARTS - timedelta(hours=12))
    await other.client.press("🙅 退出这个班次")
    await gridbot.run_due_jobs()
    seen.append(admin.client.texts()[-2])  # the withdrawal
    seen.append(admin.client.last_text)  # the unstaffed alert
    clock.set(STARTS - timedelta(minutes=60))
    await gridbot.run_due_jobs()
    seen.append(leader.client.last_text)
    assert len(seen) == 6
    for text in seen:
        assert "东门卡口 <b>" in text, text
        assert "&lt;" not in text and "&amp;" not in text, text
