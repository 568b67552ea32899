"""/report offers the kinds of case met where the reporter lives: no stairwell in a village."""

from __future__ import annotations

from bot.offline.harness import OfflineBot
from bot.services.categories import SUBCATEGORIES, Category, offered_kinds
from bot.services.grid import AreaKind, Role

VILLAGE_GROUP = "刘舒庄村/第一村民小组"
BUILDING = "滨河龙韵西区1号楼"


def labels(rows: list[list[str]]) -> list[str]:
    return [label for row in rows for label in row]


async def test_a_village_group_leader_is_not_offered_the_stairwell_kinds(
    gridbot: OfflineBot,
) -> None:
    me = (await gridbot.member("村长", Role.GROUP_LEADER, VILLAGE_GROUP)).client
    await me.send("/report")
    await me.press("平安稳定")
    offered = labels(me.buttons())
    assert "楼道电动车充电" not in offered
    assert "院内电动车充电" in offered and "消防通道堵塞" in offered
    await me.press("院内电动车充电")
    await me.send("三组老王家院里拉线给电动车充电")
    await me.press("✅ 提交")
    assert "已提交" in me.last_text
    assert await gridbot.db.fetchval("SELECT subcategory FROM cases") == "ebike_yard"


async def test_a_village_group_leader_cannot_press_a_forged_stairwell_kind(
    gridbot: OfflineBot,
) -> None:
    me = (await gridbot.member("村长", Role.GROUP_LEADER, VILLAGE_GROUP)).client
    await me.send("/report")
    await me.press("平安稳定")
    flow = str(me.last.inline_keyboard[0][0]["callback_data"]).split(":")[2]  # type: ignore[union-attr]
    await me.press_data(f"v1:rep:{flow}:kind:ebike")
    assert me.last_answer is not None and me.last_answer.show_alert
    assert "按钮已失效" in (me.last_answer.text or "")
    # nothing was taken: the question stands and the right kind is still taken
    assert "楼道电动车充电" not in labels(me.buttons())
    await me.press("院内电动车充电")
    assert "院内电动车充电" in me.last_text


async def test_a_building_leader_is_still_offered_the_stairwell_kind(gridbot: OfflineBot) -> None:
    me = (await gridbot.member("楼长", Role.BUILDING_LEADER, BUILDING)).client
    await me.send("/report")
    await me.press("平安稳定")
    offered = labels(me.buttons())
    assert "楼道电动车充电" in offered
    assert "院内电动车充电" not in offered
    await me.press("楼道电动车充电")
    await me.send("三单元楼道里有人充电")
    await me.press("✅ 提交")
    assert await gridbot.db.fetchval("SELECT subcategory FROM cases") == "ebike"


async def test_village_kinds_leave_out_property_and_stairwell_clutter(
    gridbot: OfflineBot,
) -> None:
    me = (await gridbot.member("村长", Role.GROUP_LEADER, VILLAGE_GROUP)).client
    await me.send("/report")
    await me.press("矛盾纠纷")
    assert "物业纠纷" not in labels(me.buttons())
    assert "邻里纠纷" in labels(me.buttons())
    await me.send("/cancel")
    await me.send("/report")
    await me.press("环境卫生")
    assert "楼道堆物" not in labels(me.buttons())


def test_every_kind_is_offered_somewhere_and_all_where_the_setting_is_unknown() -> None:
    for category, kinds in SUBCATEGORIES.items():
        urban = set(offered_kinds(category, AreaKind.BUILDING))
        rural = set(offered_kinds(category, AreaKind.GROUP))
        assert urban | rural == set(kinds), category
        assert set(offered_kinds(category, AreaKind.DISTRICT)) == set(kinds)
        assert "other" in urban & rural
    assert offered_kinds(Category.SAFETY, AreaKind.UNIT) == offered_kinds(
        Category.SAFETY, AreaKind.BUILDING
    )
    assert offered_kinds("nonsense", AreaKind.GROUP) == ()
