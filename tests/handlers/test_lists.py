"""Lists a user reads are joined in their language: 甲、乙 in Chinese, a, b in English."""

from __future__ import annotations

import pytest

from bot.i18n import Html, escape, join_list
from bot.offline.harness import OfflineBot
from bot.services import shifts
from bot.services.grid import Role


def test_join_list_in_both_languages() -> None:
    assert join_list("zh-CN", ["东门", "西门"]) == "东门、西门"
    assert join_list("en", ["East gate", "West gate"]) == "East gate, West gate"
    assert join_list("fr", ["a", "b"]) == "a、b"  # the default language
    assert join_list("en", []) == ""
    assert join_list("en", iter(["one"])) == "one"
    # Escaped items stay safe HTML; plain ones are escaped where the text is formatted.
    assert isinstance(join_list("en", [escape("<a>"), Html("<b>b</b>")]), Html)
    assert not isinstance(join_list("en", ["<a>", Html("b")]), Html)


@pytest.mark.parametrize(
    ("language", "shown"),
    [("zh-CN", "执勤岗位：东门卡口、西门卡口"), ("en", "Duty posts: East gate, West gate")],
)
async def test_an_admin_sees_the_posts_as_one_list(
    gridbot: OfflineBot, language: str, shown: str
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区", language=language)
    assert admin.member is not None
    names = ("东门卡口", "西门卡口") if language == "zh-CN" else ("East gate", "West gate")
    for name in names:
        await shifts.create_post(gridbot.db, gridbot.clock, admin.member, name)
    await admin.client.send("/shifts")
    assert shown in admin.client.last_text


async def test_english_reminder_offsets_are_a_comma_list(gridbot: OfflineBot) -> None:
    admin = await gridbot.member("Ann", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    client = admin.client
    await client.send("/meetings")
    await client.press("➕ New meeting")
    await client.send("Weekly leaders' meeting")
    await client.press("Every week")
    await client.press("Tue")
    await client.send("19:30")
    await client.send("Community hall")
    await client.press("Done")
    assert client.buttons() == [["Default: 1 d, 1 h before"]]
