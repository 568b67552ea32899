"""Calls per tap (issue 14): a button step answers the tap and makes one call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot, Person
from bot.offline.standin import UserClient
from bot.offline.standin.records import JSON
from bot.services.grid import Role
from tests.helpers import meetings as meeting_helpers
from tests.helpers import notices as notice_helpers
from tests.helpers.cases import people, report, resolve


async def calls_of(gridbot: OfflineBot, step: object) -> Counter[str]:
    before = Counter(gridbot.api.stats.requests)
    await step  # type: ignore[misc]
    after = Counter(gridbot.api.stats.requests)
    after.subtract(before)
    return +after


async def calls_in_chat(gridbot: OfflineBot, person: Person, step: Awaitable[Any]) -> Counter[str]:
    """The Bot API calls ``step`` makes in ``person``'s private chat, with the answers to
    callback queries (which name no chat); calls to other chats (the outbox keeping other
    copies in step, notices to others) are not counted."""
    return await calls_in(gridbot, person.client.chat_id, step)


async def test_each_report_tap_is_its_answer_and_one_call(gridbot: OfflineBot) -> None:
    person = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    user = person.client
    await user.send("📝 上报问题")
    category = await calls_of(gridbot, user.press("环境卫生"))
    assert category == Counter(answerCallbackQuery=1, editMessageText=1)
    # The answer stays in the chat's record, under its question, above the next one.
    assert "👉 环境卫生" in user.last_text and "请选择具体类型" in user.last_text
    kind = await calls_of(gridbot, user.press("垃圾堆积"))
    assert kind == Counter(answerCallbackQuery=1, editMessageText=1)
    typed = await calls_of(gridbot, user.send("3单元门口垃圾三天没人清运"))
    assert sum(typed.values()) == 1
    summary = user.last_text
    confirm = await calls_of(gridbot, user.press("✅ 提交"))
    assert confirm == Counter(answerCallbackQuery=1, editMessageText=1)
    # The summary keeps what was filed, gains its number and loses its buttons.
    assert user.last_text.startswith(summary.rstrip()[:20])
    assert "已提交，编号 YH-20260613-0001" in user.last_text
    assert user.last is not None and user.last.buttons == []


async def test_the_reporters_answers_are_one_edit_of_the_question(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    question = leader.client.last
    assert question is not None and "问题解决了吗" in question.text
    fixed = await calls_in_chat(gridbot, leader, leader.client.press("👍 已解决"))
    # One edit: the question gains the answer and the rating question with its buttons;
    # the closing message queued for the reporter is not sent besides.
    assert fixed == Counter(answerCallbackQuery=1, editMessageText=1)
    answered = leader.client.chat.messages[question.message_id]
    assert "问题解决了吗" in answered.text
    assert "感谢确认！案件 YH-20260613-0001 已结案。请为这次办理评价：" in answered.text
    assert answered.buttons == [["满意", "基本满意", "不满意"]]
    rating = leader.client.last
    assert rating is not None and rating.message_id == question.message_id
    closing = await gridbot.db.fetchone(
        "SELECT status, result FROM outbox WHERE kind = 'case.reporter'"
        " AND payload LIKE '%\"closed\"%'"
    )
    assert closing is not None and tuple(closing) == ("sent", '{"in_place": true}')
    rated = await calls_in_chat(gridbot, leader, leader.client.press("满意"))
    assert rated == Counter(answerCallbackQuery=1, editMessageText=1)
    assert leader.client.last is not None and leader.client.last.message_id == rating.message_id
    assert "请为这次办理评价" in leader.client.last_text
    assert "感谢您的评价：满意" in leader.client.last_text
    assert leader.client.last.buttons == []
    assert await gridbot.db.fetchval("SELECT rating FROM cases WHERE id = ?", (case_id,)) == (
        "satisfied"
    )


async def test_meeting_answers_are_one_call(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin, leader, _assistant = await meeting_helpers.people(gridbot)
    await meeting_helpers.weekly(gridbot, admin)
    await meeting_helpers.at(gridbot, clock, meeting_helpers.DAY_BEFORE)
    attend = await calls_in_chat(gridbot, leader, leader.client.press("✅ 参加"))
    assert attend == Counter(answerCallbackQuery=1, editMessageText=1)
    assert "您的回复：参加" in leader.client.last_text
    await admin.client.send("/meetings")
    ask = await calls_in_chat(gridbot, admin, admin.client.press("取消本次"))
    assert ask == Counter(answerCallbackQuery=1, sendMessage=1)
    assert "确定取消这一次会议吗" in admin.client.last_text
    keep = await calls_in_chat(gridbot, admin, admin.client.press("不取消"))
    assert keep == Counter(answerCallbackQuery=1, editMessageText=1)
    await meeting_helpers.at(gridbot, clock, meeting_helpers.FIRST + timedelta(minutes=5))
    await leader.client.send("/meetings")
    check_in = await calls_in_chat(gridbot, leader, leader.client.press("📍 签到"))
    assert check_in == Counter(answerCallbackQuery=1, editMessageText=1)
    assert leader.client.last_answer is not None and leader.client.last_answer.text == "签到成功！"


async def calls_in(gridbot: OfflineBot, chat_id: int, step: Awaitable[Any]) -> Counter[str]:
    """The Bot API calls ``step`` makes in chat ``chat_id``, and the answers to taps."""
    api = gridbot.api
    original = api.handle
    seen: Counter[str] = Counter()

    async def counting(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "answerCallbackQuery" or str(params.get("chat_id")) == str(chat_id):
            seen[method] += 1
        return await original(method, params)

    api.handle = counting  # type: ignore[method-assign]
    try:
        await step
    finally:
        del api.handle  # the class's method again
    return seen


async def people_and_their_group(gridbot: OfflineBot) -> tuple[Person, Person, Person, UserClient]:
    """The leader, two admins of 滨河社区, and the first admin in their bound group."""
    leader, admin, other = await people(gridbot)
    gridbot.api.add_group(-500, "滨河社区管理员群", members=[admin.client.user.id, 10001])
    group = admin.client.in_chat(-500)
    await group.send("/bindgroup")
    return leader, admin, other, group


def card_in(person: Person, case_number: str) -> str:
    """The text of the newest card of ``case_number`` in ``person``'s private chat."""
    cards = [m.text for m in person.client.messages if case_number in m.text and "·" in m.text]
    assert cards, person.client.texts()
    return cards[-1]


async def test_an_admins_press_edits_the_pressed_card_once_and_every_other_copy(
    gridbot: OfflineBot,
) -> None:
    leader, admin, other, group = await people_and_their_group(gridbot)
    await report(gridbot, leader)
    pressed = admin.client.last
    assert pressed is not None and "待受理" in pressed.text
    accept = await calls_in_chat(gridbot, admin, admin.client.press("✅ 受理"))
    # The answer and one edit of the pressed card: the outbox's refresh of that same copy
    # finds it showing the case as it is and makes no call.
    assert accept == Counter(answerCallbackQuery=1, editMessageText=1)
    assert "已受理" in admin.client.chat.messages[pressed.message_id].text
    # Every other copy is refreshed: the other admin's and the bound group's.
    assert "已受理" in card_in(other, "YH-20260613-0001")
    group_card = group.last
    assert group_card is not None and "已受理" in group_card.text
    assert leader.member is not None and leader.member.phone is not None
    assert leader.member.phone not in group_card.text  # drawn for the group, not the admin
    sent = await gridbot.db.fetchval(
        "SELECT count(*) FROM outbox WHERE kind = 'case.update' AND status = 'sent'"
    )
    assert sent == 3  # the presser's row too: done without a call


async def test_a_press_in_a_group_redraws_the_group_copy_for_the_group_once(
    gridbot: OfflineBot,
) -> None:
    leader, admin, other, group = await people_and_their_group(gridbot)
    await admin.client.send("/lang")
    await admin.client.press("English")  # the presser reads English; the group does not
    await report(gridbot, leader)
    card = group.last
    assert card is not None and "待受理" in card.text
    accept = await calls_in(gridbot, -500, group.press("✅ 受理"))
    assert accept == Counter(answerCallbackQuery=1, editMessageText=1)
    shown = group.api.chats[-500].messages[card.message_id].text
    assert "已受理" in shown  # in the group's language, as the outbox draws it
    assert leader.member is not None and leader.member.phone is not None
    assert leader.member.phone not in shown
    assert "Accepted" in card_in(admin, "YH-20260613-0001")  # their own copy, in English
    assert "已受理" in card_in(other, "YH-20260613-0001")


async def test_a_redraw_that_fails_is_put_right_by_the_outbox(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    pressed = admin.client.last
    assert pressed is not None
    gridbot.api.fail_next(
        "bad_request",
        method="editMessageText",
        chat_id=admin.client.user.id,
        description="Bad Request: message can't be edited",
    )
    await admin.client.press("✅ 受理")
    assert admin.client.last_answer is not None and "已受理" in (
        admin.client.last_answer.text or ""
    )
    # The handler could not redraw it; the outbox's refresh of the copy did.
    assert "已受理" in admin.client.chat.messages[pressed.message_id].text


async def test_a_redraw_that_times_out_is_put_right_by_the_outbox(
    gridbot: OfflineBot, errors: Any
) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    pressed = admin.client.last
    assert pressed is not None
    gridbot.api.fail_next("timeout", method="editMessageText", chat_id=admin.client.user.id)
    await admin.client.press("✅ 受理")
    errors.take()  # the timed-out redraw is logged
    assert await gridbot.db.fetchval("SELECT status FROM cases") == "accepted"
    assert "已受理" in admin.client.chat.messages[pressed.message_id].text


async def test_a_question_too_long_to_take_the_answer_still_gets_the_rating_asked(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    # Each & is five characters of HTML: the question cannot take the answer as well.
    await resolve(gridbot, admin, "&" * 1000)
    question = leader.client.last
    assert question is not None and "问题解决了吗" in question.text
    await leader.client.press("👍 已解决")
    assert leader.client.chat.messages[question.message_id].buttons == []
    assert "感谢确认！案件 YH-20260613-0001 已结案。" in leader.client.texts()[-2]
    assert "请为这次办理评价" in leader.client.last_text  # sent by the outbox
    assert leader.client.last is not None
    assert leader.client.last.buttons == [["满意", "基本满意", "不满意"]]


async def test_a_confirm_whose_edit_fails_still_gets_the_rating_asked(
    gridbot: OfflineBot, errors: Any
) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    question = leader.client.last
    assert question is not None
    gridbot.api.fail_next("timeout", method="editMessageText", chat_id=leader.client.user.id)
    await leader.client.press("👍 已解决")
    errors.take()
    assert await gridbot.db.fetchval("SELECT status FROM cases") == "closed"
    # The closing message queued for the reporter was not settled: it came.
    assert leader.client.last is not None and leader.client.last.message_id != question.message_id
    assert "请为这次办理评价" in leader.client.last_text
    await leader.client.press("满意")
    assert await gridbot.db.fetchval("SELECT rating FROM cases") == "satisfied"


# ---------------------------------------------------------------------- the audit
#
# Each button step of the main flows, counted in the member's own chat (the answer to the
# tap included, what the outbox does for that chat in the same update too): at most two.
# Two steps make three, each changing two messages of the chat; they are named with why.

TAP_LIMIT = 2


async def tap(gridbot: OfflineBot, person: Person | Any, label: str, most: int = TAP_LIMIT) -> int:
    """Press ``label`` as ``person`` (a Person, or a UserClient in a group); the calls made
    in that chat, checked against ``most``."""
    client = person.client if isinstance(person, Person) else person
    calls = await calls_in(gridbot, client.chat_id, client.press(label))
    assert calls["answerCallbackQuery"] == 1, (label, calls)
    assert sum(calls.values()) <= most, (label, calls)
    return sum(calls.values())


async def typed(gridbot: OfflineBot, person: Person, text: str, most: int = 1) -> int:
    """Send ``text`` as ``person``; the calls made in their chat, checked against ``most``."""
    calls = await calls_in(gridbot, person.client.chat_id, person.client.send(text))
    assert sum(calls.values()) <= most, (text, calls)
    return sum(calls.values())


async def test_audit_admin_case_actions(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    await report(gridbot, leader)
    await tap(gridbot, admin, "🚫 不予受理")  # the reasons, in place of the buttons
    await tap(gridbot, admin, "↩️ 返回")
    await tap(gridbot, admin, "✅ 受理")
    await tap(gridbot, admin, "👤 指派")
    await tap(gridbot, admin, "孙阿姨")
    await tap(gridbot, admin, "📝 备注")  # the question
    # A typed step that moves a case redraws its card besides its answer: two.
    await typed(gridbot, admin, "已联系保洁", most=2)
    await tap(gridbot, admin, "🏁 办结")
    await typed(gridbot, admin, "已清运")  # the photo question
    # 跳过 ends the step in the question pressed (it says 已办结 there) and the case card
    # shows the case resolved: two messages change, three calls.
    assert await tap(gridbot, admin, "跳过", most=3) == 3
    await report(gridbot, leader, key="d2")
    await tap(gridbot, admin, "🚫 不予受理")
    await tap(gridbot, admin, "重复上报")


async def test_audit_escalation_and_supervisor(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    await report(gridbot, leader)
    await tap(gridbot, admin, "⬆️ 升级")
    await tap(gridbot, admin, "⬆️ 确认升级")
    await typed(gridbot, admin, "需要街道协调", most=2)
    await tap(gridbot, street, "📣 督办")
    await tap(gridbot, street, "🙋 接管")
    await tap(gridbot, street, "↩️ 退回")
    await typed(gridbot, street, "属于社区职责，请社区办理", most=2)


async def test_audit_assignee(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    helper = await gridbot.member("孙阿姨", Role.BUILDING_ASSISTANT, "滨河龙韵西区1号楼")
    await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    await tap(gridbot, helper, "↩️ 退回")
    await typed(gridbot, helper, "不归我管", most=2)
    await admin.client.press("👤 指派")
    await admin.client.press("孙阿姨")
    await tap(gridbot, helper, "🏁 办结")
    await typed(gridbot, helper, "已找保洁清走")
    assert await tap(gridbot, helper, "跳过", most=3) == 3


async def test_audit_reporter(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    await report(gridbot, leader)
    await admin.client.press("✅ 受理")
    await resolve(gridbot, admin)
    await tap(gridbot, leader, "👎 未解决")
    await typed(gridbot, leader, "垃圾还在", most=2)  # the answer, and the question's buttons go
    await resolve(gridbot, admin)
    await tap(gridbot, leader, "👍 已解决")
    await tap(gridbot, leader, "满意")


async def test_audit_cases_paging_lang_and_invite(gridbot: OfflineBot) -> None:
    leader, admin, _other = await people(gridbot)
    for n in range(9):
        gridbot.clock.advance(minutes=1)
        await report(gridbot, leader, key=f"k{n}")
    await admin.client.send("/cases")
    await tap(gridbot, admin, "下一页 ›")
    await tap(gridbot, admin, "‹ 上一页")
    await tap(gridbot, admin, "YH-20260613-0001")
    await admin.client.send("/lang")
    await tap(gridbot, admin, "English")
    await admin.client.send("/lang")
    await tap(gridbot, admin, "中文")
    await admin.client.send("/invite")
    await tap(gridbot, admin, "楼门长")
    await tap(gridbot, admin, "📂 滨河龙韵西区1号楼")
    # The invite's text replaces the question pressed, and its QR code follows as a photo
    # (a code and a picture to forward): three.
    assert await tap(gridbot, admin, "✅ 选择「滨河龙韵西区1号楼」", most=3) == 3
    assert "邀请已生成" in admin.client.texts()[-2]


async def test_audit_notice(gridbot: OfflineBot) -> None:
    boss = await notice_helpers.town_admin(gridbot)
    village = await notice_helpers.village_people(gridbot)
    await notice_helpers.compose(boss)
    await boss.client.press("📤 发送")
    await gridbot.run_due_jobs()
    await tap(gridbot, village[0], "✅ 已传达")
    await tap(gridbot, village[0], "约 20 户")
    assert "已传达，约 20 户" in village[0].client.last_text


async def test_the_invite_text_is_sent_when_the_question_cannot_take_it(
    gridbot: OfflineBot,
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await admin.client.send("/invite")
    await admin.client.press("楼门长")
    await admin.client.press("📂 滨河龙韵西区1号楼")
    gridbot.api.fail_next(
        "bad_request",
        method="editMessageText",
        chat_id=admin.client.user.id,
        description="Bad Request: message can't be edited",
    )
    await admin.client.press("✅ 选择「滨河龙韵西区1号楼」")
    assert "邀请已生成" in admin.client.texts()[-2]  # sent instead: the code is not lost
    assert "扫码加入" in admin.client.last_text


async def test_audit_report_summary(gridbot: OfflineBot) -> None:
    person = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await person.client.send("/report")
    await tap(gridbot, person, "矛盾纠纷")
    await tap(gridbot, person, "邻里纠纷")
    await typed(gridbot, person, "楼上卫生间漏水")
    for label in ("📍 改地点", "3单元", "🔴 标为紧急", "🟢 改回一般", "✏️ 修改", "类型", "物业纠纷"):
        await tap(gridbot, person, label)
    await tap(gridbot, person, "✏️ 修改")
    await tap(gridbot, person, "⬅ 返回核对")
    await tap(gridbot, person, "➕ 当事双方")
    # Typed at the summary: the summary comes again below what was typed, and the one above
    # is deleted (one summary in the chat): a send and a delete.
    await typed(gridbot, person, "2单元301与401住户", most=2)
    await tap(gridbot, person, "📷 加照片")
    await tap(gridbot, person, "⬅ 返回核对")
    await tap(gridbot, person, "✅ 提交")


async def test_audit_meeting_excuse(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin, _leader, assistant = await meeting_helpers.people(gridbot)
    await meeting_helpers.weekly(gridbot, admin)
    await meeting_helpers.at(gridbot, clock, meeting_helpers.DAY_BEFORE)
    await tap(gridbot, assistant, "📝 请假")
    assert "请输入请假事由" in assistant.client.last_text
    await typed(gridbot, assistant, "孩子发烧，需要去医院")
    assert "已记录请假" in assistant.client.last_text
