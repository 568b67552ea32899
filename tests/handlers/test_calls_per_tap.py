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
    # The edit, and the rating question the outbox sends (a message of its own).
    assert fixed == Counter(answerCallbackQuery=1, editMessageText=1, sendMessage=1)
    answered = leader.client.chat.messages[question.message_id]
    assert "问题解决了吗" in answered.text and "感谢确认！案件 YH-20260613-0001 已结案" in (
        answered.text
    )
    assert answered.buttons == []
    assert "请为这次办理评价" in leader.client.last_text
    rating = leader.client.last
    assert rating is not None
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
