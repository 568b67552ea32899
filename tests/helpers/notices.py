"""A town admin, the village group leaders of 刘舒庄村, and a notice composed to them."""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services.grid import Role


async def town_admin(gridbot: OfflineBot) -> Person:
    """王镇, street admin of 南陈屯镇."""
    return await gridbot.member("王镇", Role.STREET_ADMIN, "南陈屯镇")


async def village_people(gridbot: OfflineBot) -> list[Person]:
    """A group leader and a group assistant in each of 刘舒庄村's three groups."""
    people = []
    for n, group in enumerate(("第一村民小组", "第二村民小组", "第三村民小组"), start=1):
        people.append(await gridbot.member(f"组长{n}", Role.GROUP_LEADER, f"刘舒庄村/{group}"))
        people.append(await gridbot.member(f"助理{n}", Role.GROUP_ASSISTANT, f"刘舒庄村/{group}"))
    return people


async def compose(
    admin: Person,
    *,
    title: str = "姚庄子市场拆迁通知",
    body: str = "姚庄子市场将于7月1日起拆除，请向各户说明补偿政策。",
    area: str = "刘舒庄村",
    deadline: str | None = "3天",
) -> None:
    """``admin`` writes a notice through /notice up to its preview."""
    user = admin.client
    await user.send("/notice")
    await user.press("✏️ 写新通知")
    assert "请输入通知的标题" in user.last_text
    await user.send(title)
    assert "请输入通知正文" in user.last_text
    await user.send(body)
    assert "可以发照片" in user.last_text
    await user.press("下一步 ➡")
    assert "发给哪些地方" in user.last_text
    await user.send(area)
    assert area in user.last_text
    await user.press("✅ 选好了")
    assert "发给哪些人" in user.last_text
    await user.press("下一步 ➡")
    assert "已传达" in user.last_text
    if deadline:
        await user.press(deadline)
    await user.press("👀 预览")
