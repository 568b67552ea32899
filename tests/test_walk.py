"""What walking the demo as each persona found, each fixed with a test."""

from __future__ import annotations

from bot.offline import OfflineBot
from bot.services.grid import Role


async def test_village_groups_are_offered_in_the_order_of_the_area_file(
    gridbot: OfflineBot,
) -> None:
    village = await gridbot.member("刘秀英", Role.COMMUNITY_ADMIN, "南陈屯镇/刘舒庄村")
    await village.client.send("/invite")
    await village.client.press("村民小组长")
    assert village.client.buttons() == [["第一村民小组", "第二村民小组"], ["第三村民小组"]]


async def test_an_empty_list_of_closed_cases_does_not_call_them_open(gridbot: OfflineBot) -> None:
    district = await gridbot.member("孙立新", Role.DISTRICT_ADMIN, "运河区")
    await district.client.send("/cases")
    assert "目前没有符合条件的待办案件" in district.client.last_text
    await district.client.press("已结束")
    assert "还没有符合条件的已结束案件" in district.client.last_text
    assert "待办" not in district.client.last_text.splitlines()[0]
