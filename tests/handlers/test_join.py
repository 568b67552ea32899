"""Joining with an invite: /start <code>, the name, one's own phone, the work ID."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from tests.helpers.people import make_invite, member_row


async def test_join_with_invite_end_to_end(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    zhang = gridbot.user("思凯", "张")
    await zhang.send(f"/start {code}")
    assert "楼门长" in zhang.texts()[-2]
    assert "滨河龙韵西区1号楼" in zhang.texts()[-2]
    assert zhang.buttons() == [["思凯 张"]]
    await zhang.send("张思凯")
    assert zhang.reply_keyboard == [["📱 分享我的手机号"]]
    await zhang.press("📱 分享我的手机号")
    welcome = zhang.last_text
    assert "加入成功" in welcome and "YH-2026-00001" in welcome
    row = await member_row(gridbot, zhang.user.id)
    assert row is not None
    assert row["name"] == "张思凯"
    assert row["role"] == "building_leader"
    assert row["path"] == "运河区/光明街道/滨河社区/滨河龙韵西区1号楼"
    assert row["phone"] == zhang.user.phone
    assert row["work_id"] == "YH-2026-00001"
    used = await gridbot.db.fetchone("SELECT used_by, used_at FROM invites")
    assert used is not None and used["used_by"] == row["id"] and used["used_at"]
    # the menu keyboard replaces the contact button, and commands of the role are set
    assert zhang.reply_keyboard is not None and ["❓ 帮助", "🌐 语言 / Language"] in (
        zhang.reply_keyboard
    )
    commands = gridbot.api.commands({"type": "chat", "chat_id": zhang.user.id})
    assert [c["command"] for c in commands] == [
        "start",
        "report",
        "mycases",
        "meetings",
        "shifts",
        "help",
        "lang",
        "cancel",
        "todo",
    ]


async def test_name_from_telegram_by_button(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    user = gridbot.user("Wang", "Li")
    await user.send(f"/start {code}")
    await user.press("Wang Li")
    assert user.reply_keyboard == [["📱 分享我的手机号"]]
    await user.share_contact()
    row = await member_row(gridbot, user.user.id)
    assert row is not None and row["name"] == "Wang Li" and row["role"] == "group_leader"


async def test_someone_elses_contact_is_refused(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send("甲某")
    await user.send_contact("+8613900000000", "乙", user_id=999)
    assert "本人" in user.last_text
    mark = user.mark()
    await user.send_contact("+8613900000001", "丙")  # a contact without a user id
    assert user.texts(mark) and "本人" in user.last_text
    assert await member_row(gridbot, user.user.id) is None
    await user.share_contact()
    assert await member_row(gridbot, user.user.id) is not None


async def test_wrong_kinds_of_input_get_the_question_again(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send_sticker()
    assert "姓名" in user.texts()[-2] and "确认您的姓名" in user.last_text
    await user.send("x" * 40)
    assert "太长" in user.texts()[-2]
    mark = user.mark()
    await user.send_photo()
    assert user.texts(mark) and "姓名" in user.last_text  # asked again, not the old question
    await user.send("甲某")
    await user.send("13800000000")  # typed, not shared
    assert "分享我的手机号" in user.last_text
    mark = user.mark()
    await user.send_location(38.3, 116.8)
    assert user.texts(mark) and "分享我的手机号" in user.last_text
    await user.share_contact()
    assert "加入成功" in user.last_text


async def test_used_expired_and_unknown_codes(gridbot: OfflineBot, clock: FakeClock) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    first = gridbot.user("甲")
    await first.send(f"/start {code}")
    await first.send("甲")
    await first.share_contact()
    second = gridbot.user("乙")
    await second.send(f"/start {code}")
    assert "已经被使用过" in second.last_text
    await second.send("/start AAAAAAAAAAAAAAAAAAAAAA")
    assert "无效" in second.last_text
    mark = second.mark()
    await second.send("/start <b>&")
    assert second.texts(mark) and "无效" in second.last_text
    expiring = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区2号楼", ttl_days=1)
    clock.advance(timedelta(days=1, seconds=1))
    await second.send(f"/start {expiring}")
    assert "已过期" in second.last_text
    assert await member_row(gridbot, second.user.id) is None


async def test_code_used_by_someone_else_while_joining(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    slow, fast = gridbot.user("慢"), gridbot.user("快")
    await slow.send(f"/start {code}")
    await slow.send("慢")
    await fast.send(f"/start {code}")
    await fast.send("快")
    await fast.share_contact()
    await slow.share_contact()
    assert "已经被使用过" in slow.last_text
    assert await member_row(gridbot, slow.user.id) is None
    assert await member_row(gridbot, fast.user.id) is not None


async def test_cancel_while_joining(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send("/cancel")
    assert "已取消加入" in user.last_text
    await user.send("甲")
    assert "还没有加入" in user.last_text
    # the invite is still good
    await user.send(f"/start {code}")
    await user.send("甲")
    await user.share_contact()
    assert "加入成功" in user.last_text


async def test_member_opening_an_invite_again(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区2号楼")
    await person.client.send(f"/start {code}")
    assert "已经加入" in person.client.last_text
    row = await gridbot.db.fetchone("SELECT used_at FROM invites WHERE id = 2")
    assert row is not None and row["used_at"] is None


async def test_joining_survives_a_restart(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    user = gridbot.user("甲")
    await user.send(f"/start {code}")
    await user.send("甲某")
    await gridbot.restart()
    await user.share_contact()
    assert "加入成功" in user.last_text
    row = await member_row(gridbot, user.user.id)
    assert row is not None and row["name"] == "甲某"


async def test_work_ids_count_up(gridbot: OfflineBot) -> None:
    a = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    b = await gridbot.member("乙", Role.BUILDING_ASSISTANT, "欣园小区1号楼")
    assert a.member is not None and b.member is not None
    assert (a.member.work_id, b.member.work_id) == ("YH-2026-00001", "YH-2026-00002")
