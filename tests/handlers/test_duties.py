"""Policy outreach and patrol check-in: logged in a few taps, once, with member, area and time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.offline.harness import OfflineBot
from bot.services import areas as area_service
from bot.services import duties
from bot.services.grid import Role
from tests.helpers.people import admin, leader


async def test_outreach_in_three_taps(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    user = me.client
    await user.send("📢 政策宣讲")
    assert "这次向居民宣讲了什么" in user.last_text
    await user.press("反诈宣传")
    assert "大约向多少户" in user.last_text
    await user.press("⬅ 换个主题")
    await user.press("垃圾分类")
    await user.press("约 20 户")
    assert user.last_text == "✅ 已记录政策宣讲：垃圾分类，约 20 户（06-13 09:00）。"
    assert len(user.messages) == 1, "one message, edited in place"
    row = await gridbot.db.fetchone("SELECT * FROM outreach_logs")
    assert row is not None and me.member is not None
    assert (row["member_id"], row["area_id"], row["topic"], row["households"], row["at"]) == (
        me.member.id,
        me.member.area_id,
        "garbage_sorting",
        20,
        "2026-06-13T01:00:00Z",
    )


async def test_outreach_pressed_twice_is_logged_once(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("📢 政策宣讲")
    await user.press("消防安全")
    message = user.last
    assert message is not None
    data = str(message.inline_keyboard[0][0]["callback_data"])
    await user.press_data(data, message.message_id)
    await user.press_data(data, message.message_id)
    assert "已经记录过了" in (user.last_answer.text or "")  # type: ignore[union-attr]
    assert await gridbot.db.fetchval("SELECT count(*) FROM outreach_logs") == 1
    await user.send("📢 政策宣讲")  # a new outreach: new buttons, a new log
    await user.press("消防安全")
    await user.press("约 5 户")
    assert await gridbot.db.fetchval("SELECT count(*) FROM outreach_logs") == 2


async def test_forged_outreach_buttons_and_wrong_people(gridbot: OfflineBot) -> None:
    user = (await leader(gridbot)).client
    await user.send("📢 政策宣讲")
    for data in (
        "v1:dut:abc:t:bogus",
        "v1:dut:abc:h:legal:7",
        "v1:dut:abc:h:nope:5",
        "v1:dut:abc:x",
        "v1:dut",
    ):
        await user.press_data(data)
        assert "按钮已失效" in (user.last_answer.text or ""), data  # type: ignore[union-attr]
    boss = (await admin(gridbot)).client
    await boss.send("📢 政策宣讲")
    assert "仅供楼门长、村民小组长及其助理使用" in boss.last_text
    await boss.press_data("v1:dut:abc:h:legal:5")
    assert "仅供楼门长" in (boss.last_answer.text or "")  # type: ignore[union-attr]
    stranger = gridbot.user("路人")
    await stranger.send("🚶 巡逻打卡")
    assert "您还没有加入网格" in stranger.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM outreach_logs") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM patrol_logs") == 0


async def test_patrol_in_one_tap_with_an_optional_location(gridbot: OfflineBot) -> None:
    me = await gridbot.member("村长", Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    user = me.client
    await user.send("🚶 巡逻打卡")
    assert "巡逻打卡成功（06-13 09:00）" in user.last_text
    gridbot.clock.advance(timedelta(minutes=3))
    await user.send("🚶 巡逻打卡")
    assert "您在 06-13 09:00 已经打过卡了" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM patrol_logs") == 1
    await user.send_location(38.2901, 116.8702)
    assert "位置已附到 06-13 09:00 的巡逻打卡" in user.last_text
    row = await gridbot.db.fetchone("SELECT * FROM patrol_logs")
    assert row is not None and me.member is not None
    assert (row["member_id"], row["area_id"], row["latitude"], row["longitude"]) == (
        me.member.id,
        me.member.area_id,
        38.2901,
        116.8702,
    )
    gridbot.clock.advance(timedelta(hours=2))
    await user.send_location(38.0, 116.0)
    assert "如需巡逻打卡，请先点" in user.last_text
    await user.send("🚶 巡逻打卡")
    assert "巡逻打卡成功（06-13 11:03）" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM patrol_logs") == 2


async def test_totals_for_the_statistics(gridbot: OfflineBot) -> None:
    one = await gridbot.member("甲", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    two = await gridbot.member("乙", Role.BUILDING_LEADER, "欣园小区1号楼")
    start = gridbot.clock.now()
    for person, households in ((one, 20), (one, 50), (two, 10)):
        assert person.member is not None
        await duties.log_outreach(
            gridbot.db, gridbot.clock, person.member, "legal", households, f"k{households}"
        )
        await duties.check_in(gridbot.db, gridbot.clock, person.member)
        gridbot.clock.advance(timedelta(minutes=11))
    community = await area_service.resolve(gridbot.db, "滨河社区")
    street = await area_service.resolve(gridbot.db, "光明街道")
    end = gridbot.clock.now()
    assert await duties.totals(gridbot.db, community, start, end) == duties.DutyTotals(2, 70, 2)
    assert await duties.totals(gridbot.db, street, start, end) == duties.DutyTotals(3, 80, 3)
    later = end + timedelta(days=1)
    assert await duties.totals(gridbot.db, street, end, later) == duties.DutyTotals(0, 0, 0)
    with pytest.raises(ValueError, match="no such outreach"):
        assert one.member is not None
        await duties.log_outreach(gridbot.db, gridbot.clock, one.member, "legal", 7, "x")
    boss = await admin(gridbot)
    assert boss.member is not None
    with pytest.raises(duties.DutyRefused):
        await duties.check_in(gridbot.db, gridbot.clock, boss.member)
