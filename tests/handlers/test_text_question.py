"""The one-question conversations (handlers/common/text_question.py), as meetings and
shifts use them.

Each branch of the shared builder is driven through a real flow: the store key and the
conversation row in SQLite show that a flow began, stayed, or ended.
"""

from __future__ import annotations

import json

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot, Person
from tests.helpers.meetings import excusing, first_id
from tests.helpers.shifts import setup


async def store(gridbot: OfflineBot, person: Person) -> dict[str, object]:
    data = await gridbot.db.fetchval(
        "SELECT data FROM ptb_user_data WHERE user_id = ?", (person.client.user.id,)
    )
    return json.loads(data) if data else {}


async def running(gridbot: OfflineBot) -> list[str]:
    rows = await gridbot.db.fetchall("SELECT name FROM ptb_conversations")
    return [row[0] for row in rows]


async def test_an_answer_too_long_is_refused_and_the_question_stays(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    assistant = await excusing(gridbot, clock)
    occurrence = await first_id(gridbot)
    assert (await store(gridbot, assistant))["meeting_meeting_excuse"] == occurrence
    await assistant.client.send("事" * 501)
    assert "500 字以内" in assistant.client.last_text
    assert await running(gridbot) == ["meeting_excuse"]
    await assistant.client.send_sticker()
    assert "请直接输入文字" in assistant.client.last_text
    await assistant.client.send("事" * 500)
    assert "已记录请假" in assistant.client.last_text
    assert await running(gridbot) == []
    assert "meeting_meeting_excuse" not in await store(gridbot, assistant)


async def test_cancel_ends_the_question_and_forgets_it(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    assistant = await excusing(gridbot, clock)
    await assistant.client.send("/cancel")
    assert assistant.client.last_text == "已取消。"
    assert await running(gridbot) == []
    assert "meeting_meeting_excuse" not in await store(gridbot, assistant)
    assert await gridbot.db.fetchval("SELECT count(*) FROM meeting_attendance") == 0


async def test_forged_or_gone_entry_buttons_start_nothing(gridbot: OfflineBot) -> None:
    admin, _leader, _other = await setup(gridbot)
    await admin.client.press_data("v1:sf:add:x")
    answer = admin.client.last_answer
    assert answer is not None and answer.show_alert and "已失效" in str(answer.text)
    await admin.client.press_data("v1:sf:add:999")
    answer = admin.client.last_answer
    assert answer is not None and answer.show_alert and "找不到这个班次" in str(answer.text)
    await admin.client.press_data("v1:mt:m:999")
    answer = admin.client.last_answer
    assert answer is not None and answer.show_alert
    assert await running(gridbot) == []
    assert not any(key.startswith(("shift_", "meeting_")) for key in await store(gridbot, admin))
