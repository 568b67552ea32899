"""People who have not joined, and messages nothing understands."""

from __future__ import annotations

from bot.offline.harness import OfflineBot
from bot.services.grid import Role


async def test_stranger_gets_start_help_and_a_note_on_joining(gridbot: OfflineBot) -> None:
    stranger = gridbot.user("路人")
    await stranger.send("/start")
    assert "邀请链接或二维码" in stranger.last_text
    gridbot.clock.advance(minutes=1)  # a stranger is answered once a minute
    await stranger.send("/help")
    assert "如何加入" in stranger.last_text
    for act in (
        stranger.send("你好"),
        stranger.send_photo(),
        stranger.send_sticker(),
        stranger.send_voice(),
        stranger.send_location(38.3, 116.8),
        stranger.send("/report"),
        stranger.send("/invite"),
    ):
        gridbot.clock.advance(minutes=1)
        mark = stranger.mark()
        await act
        told = stranger.texts(mark)  # each is answered anew, not the last answer read again
        assert len(told) == 1 and "还没有加入网格" in told[0], told


async def test_stranger_leaves_no_trace(gridbot: OfflineBot) -> None:
    stranger = gridbot.user("路人")
    await stranger.send("我的电话是13800000000")
    gridbot.clock.advance(minutes=1)
    await stranger.share_contact()
    assert await gridbot.db.fetchval("SELECT count(*) FROM members") == 0
    user_data = await gridbot.db.fetchall("SELECT data FROM ptb_user_data")
    assert all(row["data"] == "{}" for row in user_data)


async def test_member_gets_pointed_at_the_menu(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    await person.client.send("随便说点什么")
    assert "没看明白" in person.client.last_text
    assert person.client.reply_keyboard is not None


async def test_any_stale_button_is_answered(gridbot: OfflineBot) -> None:
    stranger = gridbot.user("路人")
    await stranger.press_data("v1:case:accept:12")
    assert stranger.last_answer is not None and "失效" in (stranger.last_answer.text or "")


async def test_inactive_member_is_told(gridbot: OfflineBot) -> None:
    person = await gridbot.member("管理员", Role.COMMUNITY_ADMIN, "滨河社区")
    await gridbot.db.execute("UPDATE members SET active = 0")
    await person.client.send("/invite")
    assert "已停用" in person.client.last_text


async def test_group_chat_chatter_is_not_answered(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    gridbot.api.add_group(-100123, "业主群", members=[person.client.user.id], bot_is_admin=True)
    group = person.client.in_chat(-100123)
    await group.send("大家好")
    assert gridbot.api.bot_messages(-100123) == []
    await group.send("/help@gridbot_demo_bot")
    assert "楼门长" in group.last_text
