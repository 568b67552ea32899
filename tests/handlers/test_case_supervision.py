"""Supervision (督办), takeover, send-back, the assignee's work, and typing that is never lost.

Each test drives the real Application through the offline Bot API stand-in (issue 9).
"""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services import cases
from bot.services.cases.rules import OPEN, TRANSITIONS, Act, Status, Who, acts_for
from bot.services.categories import Category
from bot.services.digest import compose
from bot.services.grid import Role
from bot.services.reporting import Report
from storage.times import to_db
from tests.helpers.cases import escalate_by_hand, open_report, people, report, resolve, status


def card_of(person: Person) -> str:
    """The text of the first card the person holds (kept up to date by edits)."""
    return next(m for m in person.client.messages if m.kind == "text").text


# ---------------------------------------------------------------------- the table


def test_the_table_is_the_lifecycle() -> None:
    # every state reaches every other only along the table; terminal states have no way out
    targets = {t.target for t in TRANSITIONS}
    assert Status.CLOSED in targets and Status.REJECTED in targets
    for terminal in (Status.CLOSED, Status.REJECTED):
        assert all(t.target == terminal for t in TRANSITIONS if t.source == terminal)
    assert Status.CLOSED not in OPEN and Status.REJECTED not in OPEN
    # supervisors may do every handler action, and urge and take over besides
    for status_ in (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS):
        handler = set(acts_for(status_, frozenset({Who.HANDLER})))
        supervisor = set(acts_for(status_, frozenset({Who.SUPERVISOR})))
        assert handler <= supervisor
        assert {Act.URGE, Act.TAKE_OVER} <= supervisor - handler
    # the assignee works in the handling stage only
    assert acts_for(Status.IN_PROGRESS, frozenset({Who.ASSIGNEE})) == [
        Act.RESOLVE,
        Act.RETURN,
        Act.NOTE,
    ]
    assert Act.RESOLVE not in acts_for(Status.NEW, frozenset({Who.ASSIGNEE}))


# ---------------------------------------------------------------------- the checkpoint story


async def test_checkpoint_story_urgent_report_nobody_accepts(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("刘大爷", Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    village = await gridbot.member("刘书记", Role.COMMUNITY_ADMIN, "刘舒庄村")
    town = await gridbot.member("陈镇长", Role.STREET_ADMIN, "南陈屯镇")
    district = await gridbot.member("区应急办", Role.DISTRICT_ADMIN, "运河区")
    assert leader.member is not None
    opened = await open_report(
        gridbot,
        leader,
        Report(
            category=Category.HEALTH,
            subcategory="checkpoint",
            description="卡口发现一名从风险地区返回的人员",
            urgent=True,
        ),
        key="checkpoint",
    )
    case_id = opened.case.id
    await gridbot.run_due_jobs()
    assert "受理时限" in card_of(village)
    assert town.client.texts() == [] and district.client.texts() == []

    gridbot.clock.advance(minutes=11)  # urgent: 10 minutes to accept
    await gridbot.run_due_jobs()
    assert len(town.client.texts()) == 1  # the alert, once
    assert "督办单位：南陈屯镇" in town.client.last_text
    assert "办理单位：运河区/南陈屯镇/刘舒庄村" in town.client.last_text
    assert district.client.texts() == []
    assert len([x for x in village.client.texts() if "超过时限" in x]) == 1
    assert "南陈屯镇督办" in leader.client.last_text and "刘舒庄村会尽快处理" in (
        leader.client.last_text
    )

    gridbot.clock.advance(minutes=11)
    await gridbot.run_due_jobs()
    assert len(district.client.texts()) == 1
    assert "督办单位：运河区、南陈屯镇" in district.client.last_text
    assert len(town.client.texts()) == 2  # its alert, and the notice that the district came
    gridbot.clock.advance(minutes=30)
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert len(district.client.texts()) == 1 and len(town.client.texts()) == 2
    leader_notices = [x for x in leader.client.texts() if "督办" in x]
    assert len(leader_notices) == 2  # one per level, never repeated

    # the village still handles it: accept and resolve from its own card
    assert ["✅ 受理", "🚫 不予受理"] in village.client.buttons()
    await village.client.press("✅ 受理")
    await resolve(gridbot, village, "已联系卫生院，人员已居家隔离")
    assert await status(gridbot, case_id) == "resolved"
    assert "居家隔离" in leader.client.last_text
    # the town's and the district's copies show it, supervised no more
    assert "已办结" in card_of(town) and "已办结" in card_of(district)


# ---------------------------------------------------------------------- supervisors' acts


async def test_supervisor_urges_takes_over_and_sends_back(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    case_id = await report(gridbot, leader)
    await escalate_by_hand(admin)
    await street.client.press("📣 督办")
    assert "已督促" in str(street.client.last_answer.text)  # type: ignore[union-attr]
    assert any("光明街道督促尽快办理" in x for x in admin.client.texts())
    assert "光明街道已督促滨河社区尽快处理" in leader.client.last_text
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_events WHERE kind = 'urged'") == 1

    await street.client.press("🙋 接管")
    area = await gridbot.db.fetchval(
        "SELECT a.name FROM cases c JOIN areas a ON a.id = c.responsible_area_id WHERE c.id = ?",
        (case_id,),
    )
    assert area == "光明街道"
    assert "现在由光明街道直接办理" in leader.client.last_text
    assert not next(m for m in admin.client.messages if m.kind == "text").inline_keyboard
    await street.client.press("↩️ 退回")
    await street.client.send("属于社区职责，请社区办理")
    assert "已将 YH-20260613-0001 退回 滨河社区 办理" in street.client.last_text
    area = await gridbot.db.fetchval(
        "SELECT a.name FROM cases c JOIN areas a ON a.id = c.responsible_area_id WHERE c.id = ?",
        (case_id,),
    )
    assert area == "滨河社区"
    assert "已交回滨河社区办理" in leader.client.last_text
    assert any("属于社区职责" in x for x in admin.client.texts())
    copy = next(m for m in admin.client.messages if m.kind == "text")
    assert copy.inline_keyboard and "督办单位：光明街道" in copy.text
    kinds = [
        r["kind"] for r in await gridbot.db.fetchall("SELECT kind FROM case_events ORDER BY id")
    ]
    assert kinds == ["created", "supervised", "urged", "taken_over", "sent_back"]


async def test_escalation_at_the_top_is_refused_and_no_button(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    await gridbot.member("区领导", Role.DISTRICT_ADMIN, "运河区")
    await report(gridbot, leader)
    await escalate_by_hand(admin)
    await escalate_by_hand(street, "需要区里协调")
    assert "⬆️ 升级" not in [
        b for row in admin.client.buttons(admin.client.messages[0]) for b in row
    ]
    assert await gridbot.db.fetchval("SELECT escalations FROM cases") == 2


# ---------------------------------------------------------------------- the assignee


async def test_assignee_leader_resolves_from_their_own_card(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    helper = await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    card = helper.client.last
    assert card is not None and "本案已指派给您办理" in card.text
    assert "垃圾堆在楼下" in card.text and "****" in card.text  # masked for a leader
    assert helper.client.buttons(card) == [["🏁 办结", "↩️ 退回"], ["📝 备注"]]
    await helper.client.send("/todo")
    assert "共 1 件" in helper.client.last_text
    assert any("YH-20260613-0001" in b for row in helper.client.buttons() for b in row)
    await helper.client.press(
        "🏁 办结",
    )
    await helper.client.send("已找保洁清走")
    await helper.client.press("跳过")
    assert await status(gridbot, case_id) == "resolved"
    assert "已找保洁清走" in leader.client.last_text
    await helper.client.send("📌 我的待办")
    assert "没有指派给您" in helper.client.last_text


async def test_assignee_gives_back_and_reassigning_tells_the_previous_one(
    gridbot: OfflineBot,
) -> None:
    leader, admin, other = await people(gridbot)
    helper = await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    await admin.client.press("👤 指派")
    await admin.client.press("赵刚")
    assert "已改派给 赵刚" in helper.client.last_text
    first = next(m for m in helper.client.messages if m.kind == "text")
    assert not first.inline_keyboard  # the previous assignee's card lost its buttons
    await helper.client.press_data(f"v1:ca:{case_id}:2:resolve", first.message_id)
    assert await status(gridbot, case_id) == "in_progress"
    # the new assignee (an admin holding the card) gives it back with a reason
    await other.client.press("↩️ 退回")
    await other.client.send("我这周出差，请改派")
    assert await status(gridbot, case_id) == "accepted"
    assert any("我这周出差" in x for x in admin.client.texts())


async def test_assignee_is_reminded_before_the_limit(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    helper = await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    await report(gridbot, leader, urgent=True)  # urgent sanitation: 240 minutes to resolve
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    gridbot.clock.advance(minutes=170)
    await gridbot.run_due_jobs()
    assert all("请抓紧办理" not in x for x in helper.client.texts())
    gridbot.clock.advance(minutes=20)
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert len([x for x in helper.client.texts() if "请抓紧办理" in x]) == 1


# ---------------------------------------------------------------------- nothing typed is lost


async def test_resolution_typed_while_another_admin_escalates_is_applied(
    gridbot: OfflineBot,
) -> None:
    leader, admin, other = await people(gridbot)
    await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("已清运")
    await escalate_by_hand(other)  # the case moved meanwhile: supervised
    await admin.client.press("跳过")
    assert await status(gridbot, case_id) == "resolved"
    # Said in the question 跳过 was pressed on (the escalation's notice came after it).
    assert any("已办结 YH-20260613-0001" in m.text for m in admin.client.messages)


async def test_resolution_typed_after_another_resolved_is_kept_as_a_note(
    gridbot: OfflineBot,
) -> None:
    leader, admin, other = await people(gridbot)
    dispute = await report(gridbot, leader, category=Category.DISPUTE, kind="neighbours")
    await admin.client.press("✅ 受理")
    await admin.client.press("🏁 办结")
    await admin.client.send("双方已和解")
    await admin.client.press("跳过")
    for text in ("301与401住户", "楼上漏水", "楼上修好防水", "一周内完成"):
        if text == "一周内完成":
            # meanwhile the other admin resolves it from their copy
            await other.client.press("🏁 办结")
            await other.client.send("已调解")
            await other.client.press("跳过")
            for field in ("甲乙", "漏水", "修好", "三天"):
                await other.client.send(field)
            assert await status(gridbot, dispute) == "resolved"
        await admin.client.send(text)
    said = admin.client.texts()[-7:]
    assert any("这个案件已由赵刚办结" in x and "备注" in x for x in said)
    assert any("双方已和解" in x for x in said) and any("一周内完成" in x for x in said)
    note = await gridbot.db.fetchval(
        "SELECT data FROM case_events WHERE kind = 'note' AND case_id = ?", (dispute,)
    )
    assert note is not None and "双方已和解" in note and "一周内完成" in note


async def test_reopen_tells_the_reporter_once(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    await leader.client.press("👎 未解决")
    mark = leader.client.mark()
    await leader.client.send("垃圾还在")
    await gridbot.run_due_jobs()
    # one message; the question answered only loses its buttons (an edit, not a message)
    told = [x for x in leader.client.texts(mark) if "问题解决了吗" not in x]
    assert len(told) == 1 and "已重新打开" in told[0], told


# ---------------------------------------------------------------------- the card


async def test_the_card_carries_parties_and_the_anonymity_request(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    assert leader.member is not None
    await open_report(
        gridbot,
        leader,
        Report(
            category=Category.DISPUTE,
            subcategory="neighbours",
            description="楼上漏水",
            details={"parties": "301与401住户"},
        ),
        key="p",
    )
    await open_report(
        gridbot,
        leader,
        Report(
            category=Category.OPINION,
            subcategory="property",
            description="物业费不公开",
            anonymous=True,
        ),
        key="a",
    )
    await gridbot.run_due_jobs()
    texts = [m.text for m in admin.client.messages if m.kind == "text"]
    assert "当事方：301与401住户" in texts[0]
    assert "🙈 报告人要求对外匿名" in texts[1] and "张思凯" in texts[1]
    await escalate_by_hand(admin)
    assert "张思凯" not in street.client.last_text and "🙈" not in street.client.last_text


async def test_cases_marks_supervised_shows_closed_and_finds_by_number(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    await report(gridbot, leader, key="a")
    await report(gridbot, leader, key="b")
    await escalate_by_hand(admin)  # the newest card: case 2
    await admin.client.send("/cases")
    labels = [row[0] for row in admin.client.buttons()[:2]]
    assert labels[0].startswith("YH-20260613-0001") and labels[1].startswith(
        "督办 YH-20260613-0002"
    )
    await admin.client.press("已结束")
    assert "没有符合条件" in admin.client.last_text
    await admin.client.send("/cases 0002")
    assert "共 1 件" in admin.client.last_text
    await admin.client.send("/cases 9999")
    assert "没有找到案件 9999" in admin.client.last_text


# ---------------------------------------------------------------------- issue 10: groups


async def test_a_group_card_is_drawn_for_the_group_whoever_presses(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    assert leader.member is not None and leader.member.phone is not None
    gridbot.api.add_group(-600, "滨河社区管理员群", members=[admin.client.user.id])
    group = admin.client.in_chat(-600)
    await group.send("/bindgroup")
    case_id = await report(gridbot, leader)
    await admin.client.press("📝 备注")
    await admin.client.send("内部：当事人情绪激动")
    phone = leader.member.phone
    alert = next(m for m in group.messages if m.kind == "text" and "YH-" in m.text)

    def group_card() -> str:
        shown = next(m for m in group.messages if m.message_id == alert.message_id)
        return shown.text

    assert phone not in group_card() and "情绪激动" not in group_card()
    await group.press("🚫 不予受理")
    await group.press("↩️ 返回")
    assert phone not in group_card() and "情绪激动" not in group_card()
    await group.press("✅ 受理")
    assert "已受理" in group_card() and phone not in group_card()
    assert "情绪激动" not in group_card()
    await group.press("👤 指派")
    await group.press("↩️ 返回")
    assert phone not in group_card() and "情绪激动" not in group_card()
    await group.press_data(f"v1:ca:{case_id}:2:open", alert.message_id)
    opened = group.last
    assert opened is not None and phone not in opened.text and "情绪激动" not in opened.text
    # the admin's own private card still shows them everything
    assert phone in card_of(admin) and "情绪激动" in card_of(admin)


async def test_a_shared_location_arrives_as_a_pin_under_each_copy(gridbot: OfflineBot) -> None:
    leader, admin, other = await people(gridbot)
    assert leader.member is not None
    await open_report(
        gridbot,
        leader,
        Report(
            category=Category.SAFETY,
            subcategory="ebike",
            description="楼道里有电动车充电",
            latitude=38.30412,
            longitude=116.83871,
        ),
        key="loc",
    )
    await gridbot.run_due_jobs()
    for person in (admin, other):
        pins = person.client.locations
        assert len(pins) == 1
        assert person.client.messages[-1].kind == "location"  # under the card


async def test_a_resolution_typed_after_a_takeover_is_kept_and_told_in_words(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await escalate_by_hand(admin)
    await admin.client.press("🏁 办结")
    await admin.client.send("已联系物业清运")
    await street.client.press("🙋 接管")  # meanwhile: the community no longer handles it
    await admin.client.press("跳过")
    assert await status(gridbot, case_id) == "accepted"
    said = admin.client.texts()[-3:]
    assert any("这个案件已被光明街道接管" in x for x in said)
    assert any("已联系物业清运" in x for x in said)
    assert all("按钮" not in x for x in said)


async def test_a_reassigned_assignee_gets_their_typing_back(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    helper = await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    await helper.client.press("🏁 办结")
    await helper.client.send("楼下垃圾已经清理了一半")
    await admin.client.press("👤 指派")
    await admin.client.press("赵刚")
    await helper.client.press("跳过")
    assert await status(gridbot, case_id) == "in_progress"
    said = helper.client.texts()[-2:]
    assert "这个案件已由李敏改派" in said[0] and "没有丢失" in said[0]
    assert "楼下垃圾已经清理了一半" in said[1]


async def test_the_digest_and_the_sweep_share_one_definition_of_overdue(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    case_id = await report(gridbot, leader)
    assert admin.member is not None
    since = to_db(gridbot.clock.now())
    gridbot.clock.advance(minutes=31)
    await gridbot.run_due_jobs()  # supervised by the street: still overdue, no new limit
    now = to_db(gridbot.clock.now())
    case = await cases.get(gridbot.db, case_id)
    assert case is not None and case.escalations == 1 and cases.is_overdue(case, now)
    digest = await compose(gridbot.db, admin.member, since, now)
    assert digest.overdue == [case.id]
    await admin.client.press("✅ 受理")
    case = await cases.get(gridbot.db, case_id)
    assert case is not None and not cases.is_overdue(case, now)
    assert (await compose(gridbot.db, admin.member, since, now)).overdue == []


async def test_a_community_without_admins_is_handled_from_the_street(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    case_id = await report(gridbot, leader)
    assert "办理单位：运河区/光明街道/滨河社区" in street.client.last_text
    await street.client.press("✅ 受理")
    assert await status(gridbot, case_id) == "accepted"
    gridbot.clock.advance(days=3)
    await gridbot.run_due_jobs()  # overdue: the street supervises; its card says so, once
    assert "督办单位：光明街道" in card_of(street)
    assert len([x for x in street.client.texts() if "超过时限" in x]) == 1
    await resolve(gridbot, street)
    assert await status(gridbot, case_id) == "resolved"
