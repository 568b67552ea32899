"""A duty post with a shift of two places, made by the community admin."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.offline.harness import OfflineBot, Person
from tests.helpers.people import admin_leader_assistant

# The clock starts on 2026-06-13 09:00 in Shanghai. The shift below runs 2026-06-14
# 08:00-12:00 local = 00:00-04:00 UTC; its reminder is an hour before (23:00 UTC the
# day before), its unstaffed alert twelve hours before (12:00 UTC on 2026-06-13).
STARTS = datetime(2026, 6, 14, 0, 0, tzinfo=UTC)


async def setup(gridbot: OfflineBot) -> tuple[Person, Person, Person]:
    """The post 东门卡口 and its shift, with bad answers on the way: (admin, leader, other)."""
    admin, leader, other = await admin_leader_assistant(gridbot)
    client = admin.client
    await client.send("/shifts")
    await client.press("➕ 新建岗位")
    await client.send_sticker()
    assert "请直接输入文字" in client.last_text
    await client.send("东门卡口")
    assert "岗位「东门卡口」已建好" in client.last_text
    await client.send("/shifts")
    await client.press("➕ 班次：东门卡口")
    await client.send("明天早上")
    assert "没看懂" in client.last_text
    await client.send("2026-06-12 08:00-12:00")
    assert "已经过去" in client.last_text
    await client.send("2026-06-14 08:00-12:00 2")
    assert "班次已添加" in client.last_text and "已排 0/2 人" in client.last_text
    return admin, leader, other
