"""Calls per tap (issue 14): a report's button step answers the tap and makes one call."""

from __future__ import annotations

from collections import Counter

from bot.offline.harness import OfflineBot
from bot.services.grid import Role


async def calls_of(gridbot: OfflineBot, step: object) -> Counter[str]:
    before = Counter(gridbot.api.stats.requests)
    await step  # type: ignore[misc]
    after = Counter(gridbot.api.stats.requests)
    after.subtract(before)
    return +after


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
