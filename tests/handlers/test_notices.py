"""Notices down the grid: compose, preview, send, receive, relay, progress, coverage."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from tests.helpers.notices import compose, town_admin, village_people


async def test_town_admin_sends_to_the_village_groups(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    await gridbot.member("别村组长", Role.GROUP_LEADER, "姚庄子村/第一村民小组")
    await compose(boss)
    user = boss.client
    preview = user.last_text
    assert "将发送给 6 人" in preview
    assert "姚庄子市场拆迁通知" in preview
    assert user.buttons()[0] == ["📤 发送"]
    await user.press("📤 发送")
    assert "▓" in user.last_text or "░" in user.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM notice_deliveries") == 6
    for person in people:
        assert "姚庄子市场拆迁通知" in person.client.last_text
        assert person.client.buttons() == [["✅ 已传达"]]
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert "发送完毕" in user.last_text
    assert "100%" in user.last_text
    leader = people[0].client
    await leader.press("✅ 已传达")
    assert "大约传达了多少户" in leader.last_text
    await leader.press("约 20 户")
    assert "已传达，约 20 户" in leader.last_text
    log = await gridbot.db.fetchone("SELECT topic, households FROM outreach_logs")
    assert log is not None and tuple(log) == ("legal", 20)
    await user.send("/notice")
    assert "已传达 1" in user.last_text and "约 20 户" in user.last_text
    await user.press("📊 1. 姚庄子市场拆迁通知")
    page = user.last_text
    assert "刘舒庄村" in page
    assert "还没确认（5 人）" in page
    assert "组长1" not in page.split("还没确认")[1]
    await user.press("刘舒庄村")
    assert "第一村民小组" in user.last_text
    await user.press("📄 导出名单")
    assert user.documents


async def test_reminder_before_the_deadline_and_author_told(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    await compose(boss, deadline="3天")
    await boss.client.press("📤 发送")
    await people[0].client.press("✅ 已传达")
    await people[0].client.press("约 5 户")
    gridbot.clock.advance(timedelta(days=2, hours=1))
    await gridbot.run_due_jobs()
    assert "⏰" in people[1].client.last_text
    assert "⏰" not in people[0].client.last_text
    assert "还有 5 人没有确认" in boss.client.last_text
    gridbot.clock.advance(timedelta(hours=2))
    mark = people[1].client.mark()
    await gridbot.run_due_jobs()
    assert people[1].client.texts(since=mark) == []


async def test_each_recipient_reads_it_in_their_language_and_read_only_notices(
    gridbot: OfflineBot,
) -> None:
    boss = await town_admin(gridbot)
    english = await gridbot.member("Liu", Role.GROUP_LEADER, "刘舒庄村/第一村民小组", language="en")
    chinese = await gridbot.member("刘", Role.GROUP_ASSISTANT, "刘舒庄村/第二村民小组")
    user = boss.client
    await user.send("/notice")
    await user.press("✏️ 写新通知")
    await user.send("会议通知")
    await user.send("周五开会")
    await user.press("下一步 ➡")
    await user.send("刘舒庄村")
    await user.press("✅ 选好了")
    await user.press("下一步 ➡")
    await user.press("☑ 请回复“已传达”")  # no confirmation: 已读 only
    await user.press("👀 预览")
    assert "看过后请点下面的「👌 已读」" in user.last_text
    await user.press("📤 发送")
    assert english.client.buttons() == [["👌 Read"]]
    assert "Once you have read it" in english.client.last_text
    await chinese.client.press("👌 已读")
    assert "👌 已读（" in chinese.client.last_text
    row = await gridbot.db.fetchone(
        "SELECT count(read_at), count(relayed_at) FROM notice_deliveries"
    )
    assert row is not None and tuple(row) == (1, 0)
    await user.send("/notice")
    assert "已读 1 · 联系不上 0" in user.last_text
