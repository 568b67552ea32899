"""What members type loses the characters that hide or reorder text before it is kept.

Names at join, a report's description, an admin's note and an answer to a one-question
conversation, each through the real bot: the database and what others see hold the
text without NUL, bidirectional overrides or stray zero-width characters; emoji
sequences stay whole.
"""

from __future__ import annotations

import json

from bot.clock import FakeClock
from bot.offline.harness import OfflineBot
from bot.services.grid import Role
from tests.helpers.meetings import excusing
from tests.helpers.people import admin, leader, make_invite, member_row

FAMILY = "👨\u200d👩\u200d👧"
HOSTILE = "楼道\u202e堆物\x00\u200b漏水\u2066"


async def test_a_typed_name_is_cleaned_and_an_emoji_sequence_kept(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    user = gridbot.user("思凯", "张")
    await user.send(f"/start {code}")
    await user.send(f"张\u202e思\u200b凯{FAMILY}")
    await user.press("📱 分享我的手机号")
    row = await member_row(gridbot, user.user.id)
    assert row is not None and row["name"] == f"张思凯{FAMILY}"


async def test_the_telegram_name_by_button_is_cleaned(gridbot: OfflineBot) -> None:
    code = await make_invite(gridbot, Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    user = gridbot.user("思\u202e凯\u200f", "张")
    await user.send(f"/start {code}")
    assert user.buttons() == [["思凯 张"]]
    await user.press("思凯 张")
    await user.press("📱 分享我的手机号")
    row = await member_row(gridbot, user.user.id)
    assert row is not None and row["name"] == "思凯 张"


async def test_a_description_and_a_note_are_cleaned(gridbot: OfflineBot) -> None:
    me = await leader(gridbot)
    boss = await admin(gridbot)
    user = me.client
    await user.send("/report")
    for label in ("环境卫生", "垃圾堆积"):
        await user.press(label)
    await user.send(HOSTILE)
    await user.press("✅ 提交")
    assert await gridbot.db.fetchval("SELECT description FROM cases") == "楼道堆物漏水"
    alert = boss.client.last
    assert alert is not None and "情况：楼道堆物漏水" in alert.text

    await boss.client.press("✅ 受理")
    await boss.client.press("📝 备注")
    await boss.client.send(f"已联系\u202d物业\ufeff{FAMILY}")
    data = await gridbot.db.fetchval("SELECT data FROM case_events WHERE kind = 'note'")
    assert json.loads(str(data))["text"] == f"已联系物业{FAMILY}"


async def test_a_text_made_only_of_hidden_characters_is_refused_as_empty(
    gridbot: OfflineBot,
) -> None:
    me = await leader(gridbot)
    await admin(gridbot)
    user = me.client
    await user.send("/report")
    for label in ("环境卫生", "垃圾堆积"):
        await user.press(label)
    mark = user.mark()
    await user.send("\u200b\u202e\u2066")
    assert user.texts(mark)  # told what is expected, asked again
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0
    await user.send("垃圾")
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0  # the report goes on


async def test_an_answer_to_a_question_is_cleaned(gridbot: OfflineBot, clock: FakeClock) -> None:
    assistant = await excusing(gridbot, clock)
    await assistant.client.send("家里\u202e有事\x00\u200b")
    assert "已记录请假" in assistant.client.last_text
    assert await gridbot.db.fetchval("SELECT reason FROM meeting_attendance") == "家里有事"
