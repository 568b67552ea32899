"""/report: each category end to end, the ways to answer each step, and what is stored."""

from __future__ import annotations

from bot.offline import OfflineBot, Person
from bot.services.grid import Role
from storage import outbox


async def leader(gridbot: OfflineBot) -> Person:
    return await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")


async def admin(gridbot: OfflineBot) -> Person:
    return await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")


async def test_sanitation_report_by_buttons_and_one_message(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    boss = await admin(gridbot)
    user = me.client
    await user.send("/report")
    assert "请选择问题类别" in user.last_text
    assert user.buttons() == [["矛盾纠纷", "环境卫生"], ["平安稳定", "疫情防控"], ["社情民意"]]
    await user.press("环境卫生")
    assert "请选择具体类型" in user.last_text
    await user.press("垃圾堆积")
    assert "请描述情况" in user.last_text
    await user.send("3单元门口垃圾三天没人清运")
    assert "可以发送现场照片" in user.last_text
    await user.press("不需要照片")
    assert "问题在哪里" in user.last_text
    assert user.buttons()[0][0] == "整个滨河龙韵西区1号楼"
    await user.press("3单元")
    await user.press("一般")
    summary = user.last_text
    assert "环境卫生 · 垃圾堆积" in summary
    assert "3单元门口垃圾三天没人清运" in summary
    assert "运河区/光明街道/滨河社区/滨河龙韵西区1号楼/3单元" in summary
    await user.press("✅ 提交")
    assert "已提交，编号 YH-20260613-0001" in user.last_text
    case = await gridbot.db.fetchone("SELECT * FROM cases")
    assert case is not None
    assert (case["category"], case["subcategory"], case["urgent"]) == ("sanitation", "garbage", 0)
    assert case["place_text"] is None and case["place_area_id"] is not None
    rows = await outbox.of_kind(gridbot.db, "case.new")
    assert [r.member_id for r in rows] == [boss.member.id]  # type: ignore[union-attr]
    assert "YH-20260613-0001" in boss.client.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0
    assert await gridbot.db.fetchval("SELECT count(*) FROM ptb_conversations") == 0
