"""Notices: the progress message, pause / resume / recall, attachments, unreachable members."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.harness import OfflineBot
from tests.conftest import ErrorLog
from tests.helpers.notices import compose, town_admin, village_people


async def test_pause_and_resume_send_each_recipient_once(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    for person in people[3:]:
        gridbot.api.fail_next("server_error", method="sendMessage", chat_id=person.client.user.id)
    await compose(boss)
    user = boss.client
    await user.press("📤 发送")
    await gridbot.run_due_jobs()
    progress = user.last
    assert progress is not None
    assert "▓▓▓▓░░░░ 50% · 3 / 6" in progress.text
    assert "约" in progress.text
    assert user.buttons(progress) == [["⏸ 暂停", "↩️ 撤回"]]
    await user.press("⏸ 暂停")
    assert "已暂停" in user.last_text
    gridbot.clock.advance(timedelta(minutes=5))
    await gridbot.run_due_jobs()
    for person in people[3:]:
        assert not any("拆迁" in m.text for m in person.client.messages)
    await user.press("▶️ 继续")
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    for person in people:
        copies = [m for m in person.client.messages if "姚庄子市场拆迁通知" in m.text]
        assert len(copies) == 1, person.client
    assert "100% · 6 / 6" in user.last_text and "发送完毕" in user.last_text
    assert len([m for m in user.messages if "%" in m.text]) == 1, "one progress message, edited"
    assert user.buttons() == [["📊 传达情况", "↩️ 撤回"]]


async def test_recall_stops_the_rest_and_deletes_what_was_sent(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    gridbot.api.fail_next("server_error", chat_id=people[5].client.user.id, times=3)
    user = boss.client
    await user.send("/notice")
    await user.press("✏️ 写新通知")
    await user.send("拆迁通知")
    await user.send("正文")
    await user.send_photo()
    await user.send_document("补偿方案.pdf")
    await user.send_voice(3)
    await user.press("下一步 ➡")
    await user.send("刘舒庄村")
    await user.press("✅ 选好了")
    await user.press("下一步 ➡")
    await user.press("👀 预览")
    assert "照片 1 张、文件「补偿方案.pdf」、语音 1 段" in user.last_text
    await user.press("📤 发送")
    first = people[0].client
    assert first.photos and first.documents and first.voices
    assert "拆迁通知" in first.messages[-2].text  # text, then the voice
    await user.press("↩️ 撤回")
    await user.press("确定撤回")
    await gridbot.run_due_jobs()
    assert "已撤回" in user.last_text
    for person in people[:5]:
        assert person.client.messages == [], person.client
    gridbot.clock.advance(timedelta(minutes=10))
    await gridbot.run_due_jobs()
    assert people[5].client.messages == []
    assert "已删除 5 条" in user.last_text
    await first.press_data(f"v1:ntr:{await gridbot.db.fetchval('SELECT id FROM notices')}:ok")
    assert "已经撤回了" in (first.last_answer.text or "")  # type: ignore[union-attr]


async def test_blocked_members_are_unreachable_not_retried(
    gridbot: OfflineBot, errors: ErrorLog
) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    gridbot.api.block(people[2].client.user.id)
    await compose(boss, deadline=None)
    await boss.client.press("📤 发送")
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    progress = next(m for m in boss.client.messages if "%" in m.text)
    assert "发送完毕" in progress.text and "发送失败 1" in progress.text
    assert "已屏蔽机器人" in boss.client.last_text  # the admins are told, as for any message
    states = await gridbot.db.fetchall(
        "SELECT o.status, o.attempts FROM notice_deliveries d JOIN outbox o ON o.id = d.outbox_id"
    )
    # held for them, not retried against the 403 (attempts not counted), not dropped
    assert sorted(tuple(s) for s in states) == [("pending", 0)] + [("sent", 1)] * 5
    await boss.client.send("/notice")
    assert "联系不上 1" in boss.client.last_text
    # unblocking brings them back, and the held notice reaches them
    await people[2].client.unblock_bot()
    await gridbot.run_due_jobs()
    assert any("拆迁通知" in m.text for m in people[2].client.messages)


async def test_a_restart_mid_broadcast_loses_nothing_and_sends_nothing_twice(
    gridbot: OfflineBot,
) -> None:
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    for person in people[2:]:
        gridbot.api.fail_next("timeout", method="sendMessage", chat_id=person.client.user.id)
    await compose(boss)
    await boss.client.press("📤 发送")
    progress_id = boss.client.last.message_id  # type: ignore[union-attr]
    await gridbot.restart()
    gridbot.clock.advance(timedelta(minutes=1))
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    for person in people:
        copies = [m for m in person.client.messages if "姚庄子市场拆迁通知" in m.text]
        assert len(copies) == 1, person.client
    assert boss.client.last.message_id == progress_id  # type: ignore[union-attr]
    assert "6 / 6" in boss.client.last_text


async def test_paid_broadcast_sends_with_allow_paid_broadcast(gridbot: OfflineBot) -> None:
    gridbot.config = gridbot.config.replace(**{"notices.paid_broadcast": True})
    await gridbot.restart()
    boss = await town_admin(gridbot)
    people = await village_people(gridbot)
    seen: list[dict[str, object]] = []
    handlers = gridbot.api._handlers
    original = handlers["sendmessage"]

    def spy(params: dict[str, object]) -> object:
        seen.append(params)
        return original(params)

    handlers["sendmessage"] = spy  # records what reaches the stand-in, answers as it does
    await compose(boss, deadline=None)
    await boss.client.press("📤 发送")
    to_people = {p.client.user.id for p in people}
    notices = [p for p in seen if int(str(p["chat_id"])) in to_people]
    assert len(notices) == 6
    assert all(str(p.get("allow_paid_broadcast")).lower() == "true" for p in notices)
    progress = [p for p in seen if int(str(p["chat_id"])) == boss.client.user.id]
    assert progress and all("allow_paid_broadcast" not in p for p in progress)
