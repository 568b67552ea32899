"""Case handling: the lifecycle through the buttons, with the reporter kept in the loop."""

from __future__ import annotations

from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from tests.helpers.cases import people, report, resolve, status


async def test_whole_lifecycle(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    case_id = await report(gridbot, leader)
    alert = admin.client.last
    assert alert is not None and "待受理" in alert.text
    assert admin.client.buttons()[0] == ["✅ 受理", "🚫 不予受理"]
    await admin.client.press("✅ 受理")
    assert await status(gridbot, case_id) == "accepted"
    assert "已被受理" in leader.client.last_text
    # the other admin's copy was edited in place, not sent again
    assert other.client.last is not None and "已受理" in other.client.last.text
    assert len([m for m in other.client.messages if m.kind == "text"]) == 1

    await admin.client.press("👤 指派")
    await admin.client.press("赵刚")
    assert await status(gridbot, case_id) == "in_progress"
    assert "赵刚" in leader.client.last_text
    assert "已指派给您" in other.client.texts()[-1]

    await admin.client.press("🏁 办结")
    assert "办理结果" in admin.client.last_text
    await admin.client.send("已清运，并张贴了告示")
    await admin.client.send_photo()
    assert await status(gridbot, case_id) == "resolved"
    assert "已清运" in leader.client.last_text
    assert (
        await gridbot.db.fetchval("SELECT count(*) FROM case_photos WHERE stage = 'resolution'")
        == 1
    )

    await leader.client.press("👍 已解决")
    assert await status(gridbot, case_id) == "closed"
    assert "请为这次办理评价" in leader.client.last_text
    await leader.client.press("满意")
    assert await gridbot.db.fetchval("SELECT rating FROM cases WHERE id = ?", (case_id,)) == (
        "satisfied"
    )
    kinds = [
        r["kind"]
        for r in await gridbot.db.fetchall(
            "SELECT kind, actor_id FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
        )
    ]
    assert kinds == ["created", "accepted", "assigned", "resolved", "confirmed", "rated"]
    copy = next(m for m in other.client.messages if m.kind == "text")
    assert "已结案" in copy.text and "满意" in copy.text
    assert copy.inline_keyboard == [
        [{"text": "📝 备注", "callback_data": f"v1:ca:{case_id}:5:note"}]
    ]


async def test_reject_with_a_reason_button_and_with_a_typed_one(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    first = await report(gridbot, leader, key="a")
    await admin.client.press("🚫 不予受理")
    assert ["信息不足"] in admin.client.buttons()
    await admin.client.press("信息不足")
    assert await status(gridbot, first) == "rejected"
    assert "原因：信息不足" in leader.client.last_text

    second = await report(gridbot, leader, key="b")
    await admin.client.press("🚫 不予受理")
    await admin.client.press("其他原因")
    assert "请输入不予受理" in admin.client.last_text
    await admin.client.send_sticker()
    assert "请发送一条文字消息" in admin.client.last_text
    await admin.client.send("长" * 1001)
    assert "内容太长了" in admin.client.last_text
    await admin.client.send("已由物业处理完毕")
    assert await status(gridbot, second) == "rejected"
    assert "原因：已由物业处理完毕" in leader.client.last_text


async def test_reporter_can_say_why_in_a_voice_message(gridbot: OfflineBot) -> None:
    """An older reporter speaks rather than types: the voice is the reason, kept with the
    event, and the admins get it with their notice."""
    leader, admin, other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    await leader.client.press("👎 未解决")
    voice = await leader.client.send_voice(7)
    await gridbot.run_due_jobs()
    assert await status(gridbot, case_id) == "in_progress"
    assert "已重新打开" in leader.client.last_text
    file_id = voice["message"]["voice"]["file_id"]
    for person in (admin, other):
        notice = next(m for m in person.client.messages if "未解决" in m.text)
        assert "原因：（说在语音里，见下条）" in notice.text
        after = person.client.messages[person.client.messages.index(notice) + 1]
        assert after.kind == "voice" and after.data["voice"]["file_id"] == file_id
    data = await gridbot.db.fetchval(
        "SELECT data FROM case_events WHERE case_id = ? AND kind = 'reopened'", (case_id,)
    )
    assert f'"voice": "{file_id}"' in data and '"voice_duration": 7' in data
    # the reporter's own timeline says it was said in a voice message
    await leader.client.send("/mycases")
    await leader.client.press("YH-20260613-0001")
    assert "（语音）" in leader.client.last_text
    assert "（（" not in leader.client.last_text, "said once, not in brackets twice"


async def test_cancel_in_a_typed_step_changes_nothing(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("🚫 不予受理")
    await admin.client.press("其他原因")
    await admin.client.send("/cancel")
    assert "已取消" in admin.client.last_text
    assert await status(gridbot, case_id) == "new"


async def test_reporter_says_not_fixed_and_it_reopens(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    assert await status(gridbot, case_id) == "resolved"
    await leader.client.press("👎 未解决")
    assert "哪里还没解决" in leader.client.last_text and "发语音" in leader.client.last_text
    await leader.client.send("垃圾还在")
    assert await status(gridbot, case_id) == "in_progress"
    assert "已重新打开" in leader.client.last_text
    for person in (admin, other):
        assert any("未解决" in text and "垃圾还在" in text for text in person.client.texts())
    # the card, edited in place, no longer says the case was dealt with: the last result is
    # shown as what was done last time
    card = next(m for m in admin.client.messages if m.kind == "text" and "YH-" in m.text)
    assert "上次办理结果" in card.text and "\n办理结果：" not in card.text
    # the old answer buttons are out of date now
    await leader.client.press_data(f"v1:cr:{case_id}:2:fixed")
    assert leader.client.last_answer is not None and "已被处理" in str(
        leader.client.last_answer.text
    )
    assert await status(gridbot, case_id) == "in_progress"


async def test_escalation_by_hand_asks_a_reason_and_adds_a_supervisor(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    case_id = await report(gridbot, leader)
    assert street.client.texts() == []
    await admin.client.press("⬆️ 升级")
    assert admin.client.last_answer is not None and "仍由" in str(admin.client.last_answer.text)
    await admin.client.press("⬆️ 确认升级")
    assert "升级" in admin.client.last_text and "原因" in admin.client.last_text
    await admin.client.send("涉及多个社区，需要街道协调")
    area = await gridbot.db.fetchval(
        "SELECT a.name FROM cases c JOIN areas a ON a.id = c.responsible_area_id WHERE c.id = ?",
        (case_id,),
    )
    assert area == "滨河社区"  # the case stays with its community
    assert "已请 运河区/光明街道 督办" in admin.client.texts()[-1]
    alert = street.client.last
    assert alert is not None and "办理单位：运河区/光明街道/滨河社区" in alert.text
    assert "督办单位：光明街道" in alert.text
    assert ["📣 督办", "🙋 接管"] in street.client.buttons()
    assert "光明街道督办" in leader.client.last_text
    # the community keeps its buttons: it still handles the case
    copy = next(m for m in admin.client.messages if m.kind == "text")
    assert "督办单位：光明街道" in copy.text and copy.inline_keyboard
    await admin.client.press_data(f"v1:ca:{case_id}:1:accept", copy.message_id)
    assert await status(gridbot, case_id) == "accepted"
    event = await gridbot.db.fetchone(
        "SELECT kind, data FROM case_events WHERE case_id = ? AND kind = 'supervised'", (case_id,)
    )
    assert event is not None and "需要街道协调" in event["data"]


async def test_supervision_by_time_goes_up_once_per_level_then_stops(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    district = await gridbot.member("区领导", Role.DISTRICT_ADMIN, "运河区")
    case_id = await report(gridbot, leader, urgent=True)  # urgent sanitation: 10 min to accept
    gridbot.clock.advance(minutes=9)
    await gridbot.run_due_jobs()
    assert street.client.texts() == []
    gridbot.clock.advance(minutes=2)
    await gridbot.run_due_jobs()
    assert any("超过时限未处理" in text for text in admin.client.texts())
    assert street.client.last is not None and "⚠️ 已超时" in street.client.last.text
    gridbot.clock.advance(minutes=11)
    await gridbot.run_due_jobs()
    assert district.client.last is not None and "督办单位：运河区、光明街道" in (
        district.client.last.text
    )
    events = await gridbot.db.fetchall(
        "SELECT kind, actor_id FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
    )
    assert [e["kind"] for e in events] == ["created", "supervised", "supervised"]
    assert all(e["actor_id"] is None for e in events[1:])
    everyone = (leader, admin, street, district)
    before = [len(p.client.messages) for p in everyone]
    # The district supervises: nothing is added, announced, or given a new limit any more.
    for _ in range(5):
        gridbot.clock.advance(minutes=11)
        await gridbot.run_due_jobs()
    assert [len(p.client.messages) for p in everyone] == before
    kinds = await gridbot.db.fetchall("SELECT kind FROM case_events WHERE case_id = ?", (case_id,))
    assert len(kinds) == 3
    row = await gridbot.db.fetchone(
        "SELECT c.status, c.accept_due, c.created_at, a.name FROM cases c"
        " JOIN areas a ON a.id = c.responsible_area_id WHERE c.id = ?",
        (case_id,),
    )
    assert row is not None and row["status"] == "new" and row["name"] == "滨河社区"
    # the community still accepts it, and it stays marked overdue at the accept stage
    await admin.client.press("✅ 受理")
    assert await status(gridbot, case_id) == "accepted"


async def test_resolved_case_closes_by_itself_and_asks_for_a_rating(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    gridbot.clock.advance(days=1, minutes=1)  # the verify time: the reporter is reminded
    await gridbot.run_due_jobs()
    assert "请确认" in leader.client.last_text
    first_notice = next(m for m in leader.client.messages if "问题解决了吗" in m.text)
    assert first_notice.inline_keyboard  # still valid: the reminder did not move the case
    gridbot.clock.advance(days=2)
    await gridbot.run_due_jobs()
    assert await status(gridbot, case_id) == "closed"
    assert "自动结案" in leader.client.last_text
    await leader.client.press("基本满意")
    assert await gridbot.db.fetchval("SELECT rating FROM cases") == "fair"
    kinds = await gridbot.db.fetchall("SELECT kind, actor_id FROM case_events ORDER BY id")
    assert ("auto_closed", None) in [(k["kind"], k["actor_id"]) for k in kinds]
    # a rating is given once
    await leader.client.press_data(f"v1:cr:{case_id}:4:rate:dissatisfied")
    assert await gridbot.db.fetchval("SELECT rating FROM cases") == "fair"


async def test_each_in_their_own_language(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("Zhang", Role.BUILDING_LEADER, "滨河龙韵西区1号楼", language="en")
    admin = await gridbot.member("Li", Role.COMMUNITY_ADMIN, "滨河社区", language="en")
    case_id = await report(gridbot, leader)
    assert "New case" not in admin.client.last_text and "Case YH-20260613-0001" in (
        admin.client.last_text
    )
    await admin.client.press("✅ Accept")
    await admin.client.press("⬆️ Escalate")
    await admin.client.press("⬆️ Yes, escalate")
    await admin.client.send("needs the street office")
    assert "was accepted" in leader.client.texts()[0]
    assert "光明街道 was asked to supervise" in leader.client.last_text
    assert await status(gridbot, case_id) == "accepted"


async def test_a_typed_step_survives_a_restart(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await gridbot.restart()
    await admin.client.send("已清运")
    await admin.client.press("跳过")
    assert await status(gridbot, case_id) == "resolved"


async def test_the_first_answer_buttons_still_work_after_the_reminder(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    notice = leader.client.last
    assert notice is not None
    gridbot.clock.advance(days=1, minutes=1)
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert len([t for t in leader.client.texts() if "请确认" in t]) == 1
    await leader.client.press_data(f"v1:cr:{case_id}:2:fixed", notice.message_id)
    assert await status(gridbot, case_id) == "closed"


async def test_the_reporters_timeline_names_reasons_and_ratings(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader, key="a")
    await admin.client.press("🚫 不予受理")
    await admin.client.press("重复上报")
    await leader.client.send("/mycases")
    await leader.client.press("YH-20260613-0001")
    assert "不予受理（重复上报）" in leader.client.last_text
    await report(gridbot, leader, key="b")
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    await admin.client.press("📝 备注")
    await admin.client.send("内部备注不外传")
    await leader.client.press("👍 已解决")
    await leader.client.press("不满意")
    await leader.client.send("/mycases")
    await leader.client.press("YH-20260613-0002")
    assert "评价（不满意）" in leader.client.last_text
    assert "内部备注" not in leader.client.last_text
