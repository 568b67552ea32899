"""Calls per tap (issue 14): a button step answers the tap and makes one call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot, Person
from bot.offline.standin.records import JSON
from bot.services.grid import Role
from tests.helpers import meetings as meeting_helpers
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
    api = gridbot.api
    chat = str(person.client.chat_id)
    original = api.handle
    seen: Counter[str] = Counter()

    async def counting(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "answerCallbackQuery" or str(params.get("chat_id")) == chat:
            seen[method] += 1
        return await original(method, params)

    api.handle = counting  # type: ignore[method-assign]
    try:
        await step
    finally:
        del api.handle  # the class's method again
    return seen


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
        del api.handle
    return seen


def card_in(person: Person, case_number: str) -> str:
    """The text of the newest card of ``case_number`` in ``person``'s private chat."""
    cards = [m.text for m in person.client.messages if case_number in m.text and "·" in m.text]
    assert cards, person.client.texts()
    return cards[-1]


async def test_an_admins_press_edits_the_pressed_card_once_and_every_other_copy(
    gridbot: OfflineBot,
) -> None:
    leader, admin, other = await people(gridbot)
    gridbot.api.add_group(-500, "滨河社区管理员群", members=[admin.client.user.id, 10001])
    group = admin.client.in_chat(-500)
    await group.send("/bindgroup")
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
    leader, admin, other = await people(gridbot)
    gridbot.api.add_group(-500, "滨河社区管理员群", members=[admin.client.user.id, 10001])
    group = admin.client.in_chat(-500)
    await group.send("/bindgroup")
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
