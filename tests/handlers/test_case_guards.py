"""Who may act on a case, and what a stale, forged or concurrent action does: nothing."""

from __future__ import annotations

import asyncio

import pytest

from bot.offline.harness import OfflineBot
from bot.services import cases
from bot.services.cases import CaseRefused, Refusal
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report
from tests.helpers.cases import escalate_by_hand, open_report, people, report, resolve, status


async def test_two_admins_at_once_one_wins_and_the_other_is_told(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    case_id = await report(gridbot, leader)
    old = next(m for m in other.client.messages if m.kind == "text")
    await admin.client.press("✅ 受理")
    # the other admin presses the button of the copy as it was before the edit
    await other.client.press_data(f"v1:ca:{case_id}:0:reason:not_enough", old.message_id)
    answer = other.client.last_answer
    assert answer is not None and "已被处理" in str(answer.text) and answer.show_alert
    assert await status(gridbot, case_id) == "accepted"
    # and really at once, in the service: exactly one transition happens
    assert admin.member is not None and other.member is not None
    db, clock = gridbot.db, gridbot.clock
    results = await asyncio.gather(
        cases.escalate(db, clock, gridbot.config, admin.member, case_id, 1, reason="a"),
        cases.escalate(db, clock, gridbot.config, other.member, case_id, 1, reason="b"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, CaseRefused)]
    assert len(refused) == 1 and refused[0].reason is Refusal.HANDLED
    assert await gridbot.db.fetchval("SELECT escalations FROM cases") == 1


async def test_forged_buttons_change_nothing(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    stranger = await gridbot.member("别人", Role.COMMUNITY_ADMIN, "光明街社区")
    case_id = await report(gridbot, leader)
    # a leader forging an admin's button
    await leader.client.press_data(f"v1:ca:{case_id}:0:accept")
    assert "无权处理" in str(leader.client.last_answer.text)  # type: ignore[union-attr]
    # an admin of another community
    await stranger.client.press_data(f"v1:ca:{case_id}:0:accept")
    assert "无权处理" in str(stranger.client.last_answer.text)  # type: ignore[union-attr]
    await stranger.client.press_data(f"v1:ca:{case_id}:0:resolve")
    assert stranger.client.last_answer is not None and stranger.client.last_answer.show_alert
    # an admin confirming for the reporter, and nonsense data
    await admin.client.press_data(f"v1:cr:{case_id}:0:fixed")
    await admin.client.press_data(f"v1:ca:{case_id}:0:fly")
    await admin.client.press_data("v1:ca:x:0:accept")
    await admin.client.press_data(f"v1:ca:{case_id}:0:to:99")
    await admin.client.press_data("v1:ca:999:0:accept")
    assert "找不到" in str(admin.client.last_answer.text)  # type: ignore[union-attr]
    # someone who never joined
    guest = gridbot.user("路人")
    await guest.press_data(f"v1:ca:{case_id}:0:accept")
    assert await status(gridbot, case_id) == "new"
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_events") == 1
    assert await gridbot.db.fetchval("SELECT version FROM cases") == 0


async def test_replayed_button_is_refused(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press_data(f"v1:ca:{case_id}:0:accept")
    assert "已被处理" in str(admin.client.last_answer.text)  # type: ignore[union-attr]
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_events") == 2


async def test_internal_notes_never_reach_the_reporter(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("📝 备注")
    assert "仅管理员可见" in admin.client.last_text
    await admin.client.send("当事人情绪激动，注意方式")
    assert "备注已添加" in admin.client.last_text
    copy = next(m for m in other.client.messages if m.kind == "text")
    assert "当事人情绪激动" in copy.text
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    await leader.client.press("👍 已解决")
    assert all("情绪激动" not in text for text in leader.client.texts())
    event = await gridbot.db.fetchone("SELECT internal FROM case_events WHERE kind = 'note'")
    assert event is not None and event["internal"] == 1
    visible = await cases.events(gridbot.db, case_id, internal=False)
    assert "note" not in [e.kind for e in visible]


async def test_phone_in_full_only_for_the_reporters_own_community(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    assert leader.member is not None and leader.member.phone is not None
    await report(gridbot, leader)
    await escalate_by_hand(admin)
    phone = leader.member.phone
    assert phone in next(m for m in admin.client.messages if m.kind == "text").text
    street_alert = street.client.last
    assert street_alert is not None and phone not in street_alert.text
    assert phone[-4:] in street_alert.text and "****" in street_alert.text


async def test_dispute_needs_the_mediation_record_and_the_mediator_revisits(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader, category=Category.DISPUTE, kind="neighbours")
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("双方达成一致")
    await admin.client.press("跳过")
    assert "当事人" in admin.client.last_text
    await admin.client.send_photo()
    assert "请发送一条文字消息" in admin.client.last_text
    for answer in ("301室张某、401室李某", "楼上漏水渗到楼下", "李某负责维修", "本周内修好"):
        await admin.client.send(answer)
    assert await status(gridbot, case_id) == "resolved"
    record = await cases.mediation_of(gridbot.db, case_id)
    assert record is not None and record.agreement == "李某负责维修"
    assert record.fulfilment == "本周内修好"
    # a dispute cannot be resolved without it
    assert admin.member is not None
    with pytest.raises(CaseRefused):
        await cases.resolve(
            gridbot.db, gridbot.clock, gridbot.config, admin.member, case_id, 2, "x"
        )
    gridbot.clock.advance(days=29)
    await gridbot.run_due_jobs()
    assert all("回访" not in text for text in admin.client.texts())
    gridbot.clock.advance(days=1)
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    reminders = [text for text in admin.client.texts() if "回访提醒" in text]
    assert len(reminders) == 1 and "301室张某" in reminders[0]


async def test_bound_group_gets_the_alerts_and_admins_act_there(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    gridbot.api.add_group(-500, "滨河社区管理员群", members=[admin.client.user.id, 10001])
    group = admin.client.in_chat(-500)
    await admin.client.send("/bindgroup")
    assert "管理员群" in admin.client.last_text
    outsider = leader.client.in_chat(-500)
    await outsider.send("/bindgroup")
    assert "仅供" in outsider.last_text
    await group.send("/bindgroup")
    assert "本群已绑定 运河区/光明街道/滨河社区" in group.last_text
    case_id = await report(gridbot, leader)
    alert = group.last
    assert alert is not None and "待受理" in alert.text
    assert leader.member is not None and leader.member.phone not in alert.text  # type: ignore[operator]
    await outsider.press_data(f"v1:ca:{case_id}:0:accept", alert.message_id)
    assert await status(gridbot, case_id) == "new"
    await group.press("✅ 受理")
    assert await status(gridbot, case_id) == "accepted"
    assert "已受理" in (group.last.text if group.last else "")
    await group.send("/unbindgroup")
    assert "解除" in group.last_text
    await report(gridbot, leader, key="d2")
    assert "0002" not in group.last_text


async def test_cases_lists_open_cases_oldest_first_with_filters(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    first = await report(gridbot, leader, key="a")
    gridbot.clock.advance(minutes=1)
    await report(gridbot, leader, category=Category.SAFETY, kind="ebike", key="b")
    gridbot.clock.advance(minutes=40)  # both past the 30 minutes to accept
    await leader.client.send("/cases")
    assert "仅供" in leader.client.last_text
    await admin.client.send("/cases")
    assert "共 2 件" in admin.client.last_text
    rows = admin.client.buttons()
    assert rows[0][0].startswith("⚠️ YH-20260613-0001")
    assert rows[1][0].startswith("⚠️ YH-20260613-0002")
    await admin.client.press("平安稳定")
    assert "共 1 件" in admin.client.last_text
    await admin.client.press("⚠️ YH-20260613-0002")
    assert "楼道电动车充电" in admin.client.last_text
    await admin.client.press("✅ 受理")
    await admin.client.press_data("v1:cl:-:-:0")
    await admin.client.press_data("v1:cl:zzz:-:0")
    assert "失效" in str(admin.client.last_answer.text)  # type: ignore[union-attr]
    await admin.client.press_data("v1:cl:new:-:0")
    assert "共 1 件" in admin.client.last_text
    assert await status(gridbot, first) == "new"
    await admin.client.send("🗂 待办案件")
    assert "共 2 件" in admin.client.last_text


async def test_wrong_kinds_of_message_in_the_resolve_steps(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send_voice()
    assert "请发送一条文字消息" in admin.client.last_text
    await admin.client.send("已清运")
    await admin.client.send_sticker()  # text here is added to the result (test_walk.py)
    assert "请发送一张照片" in admin.client.last_text
    await admin.client.press_data(
        f"v1:ca:{case_id}:9:skip"
    )  # a skip of another version still skips
    assert await status(gridbot, case_id) == "resolved"


async def test_group_commands_outside_a_group_and_unbound(gridbot: OfflineBot) -> None:
    _leader, admin, _other = await people(gridbot)
    await admin.client.send("/bindgroup")
    assert "请在管理员群里发送" in admin.client.last_text
    gridbot.api.add_group(-600, "别的群", members=[admin.client.user.id])
    group = admin.client.in_chat(-600)
    await group.send("/unbindgroup")
    assert "没有绑定" in group.last_text
    stranger = await gridbot.member("别人", Role.COMMUNITY_ADMIN, "光明街社区")
    gridbot.api.chat(-600).members.add(stranger.client.user.id)
    await group.send("/bindgroup")
    await stranger.client.in_chat(-600).send("/unbindgroup")
    assert "只有该单位的管理员" in stranger.client.in_chat(-600).last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM area_groups") == 1


async def test_a_withheld_name_is_seen_only_by_the_reporters_own_community(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    assert leader.member is not None
    await open_report(
        gridbot,
        leader,
        Report(
            category=Category.OPINION,
            subcategory="property",
            description="物业费收支不公开",
            anonymous=True,
        ),
        key="anon",
    )
    await gridbot.run_due_jobs()
    own = next(m for m in admin.client.messages if m.kind == "text").text
    assert leader.member.name in own
    await escalate_by_hand(admin)
    street_alert = street.client.last
    assert street_alert is not None
    assert leader.member.name not in street_alert.text
    assert "匿名" in street_alert.text
