"""/lang: 中文 by default, English on request; kept for members and for guests."""

from __future__ import annotations

from collections import Counter

from bot.offline.harness import OfflineBot
from bot.services.grid import Role


async def test_member_switches_to_english_and_it_is_kept(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.COMMUNITY_ADMIN, "滨河社区")
    client = person.client
    await client.send("/help")
    assert "邀请新成员" in client.last_text
    await client.send("/lang")
    assert client.buttons() == [["中文", "English"]]
    await client.press("English")
    assert client.last_text == "Switched to English.\nYour menu is updated."
    assert client.reply_keyboard == [
        ["🗂 Open cases", "📅 Meetings"],
        ["🕒 Duty shifts", "➕ Invite"],
        ["📣 Send a notice", "📊 Figures"],
        ["❓ Help", "🌐 语言 / Language"],
    ]  # no 📌 My to-do: nothing is assigned to them
    row = await gridbot.db.fetchval("SELECT language FROM members WHERE id = ?", (1,))
    assert row == "en"
    commands = gridbot.api.commands({"type": "chat", "chat_id": client.user.id})
    assert {c["command"]: c["description"] for c in commands}["invite"] == "Invite a new member"
    await gridbot.restart()
    await client.press("❓ Help")
    assert "You are a <b>" not in client.last_text
    assert "You are a community admin" in client.last_text
    await client.send("/lang")
    await client.press("中文")
    assert client.last_text == "已切换为中文。\n菜单已更新。"


async def test_guest_language_is_kept_until_they_join(gridbot: OfflineBot) -> None:
    guest = gridbot.user("Guest")
    await guest.send("/lang")
    await guest.press("English")
    gridbot.clock.advance(minutes=1)  # a stranger is answered once a minute
    await guest.send("hello")
    assert "You have not joined" in guest.last_text
    await gridbot.restart()
    await guest.send("/help")
    assert "How to join" in guest.last_text
    from tests.helpers.people import make_invite

    code = await make_invite(gridbot, Role.BUILDING_LEADER, "欣园小区1号楼")
    await guest.send(f"/start {code}")
    assert "invited to join as a" in guest.texts()[-2]
    await guest.press("Guest")
    await guest.press("📱 Share my phone number")
    assert "You have joined" in guest.last_text
    assert await gridbot.db.fetchval("SELECT language FROM members") == "en"


async def test_default_commands_in_both_languages(gridbot: OfflineBot) -> None:
    chinese = gridbot.api.commands({"type": "default"})
    english = gridbot.api.commands({"type": "default"}, language_code="en")
    assert [c["command"] for c in chinese] == ["start", "help", "lang"]
    assert [c["command"] for c in english] == ["start", "help", "lang"]
    assert chinese[1]["description"] == "帮助"
    assert english[1]["description"] == "Help"


async def test_forged_language_button(gridbot: OfflineBot) -> None:
    guest = gridbot.user("Guest")
    await guest.press_data("v1:lang:set:fr")
    assert guest.last_answer is not None and "失效" in (guest.last_answer.text or "")
    await guest.press_data("v1:lang:drop:en")
    await guest.send("/help")
    assert "网格通" in guest.last_text


async def test_the_language_tap_is_its_answer_and_one_message(gridbot: OfflineBot) -> None:
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    client = person.client
    await client.send("/lang")
    question = client.last
    assert question is not None
    before = Counter(gridbot.api.stats.requests)
    await client.press("English")
    calls = Counter(gridbot.api.stats.requests)
    calls.subtract(before)
    # The answer to the tap and the message carrying the new menu (setMyCommands is
    # for the command list, not a message in the chat).
    assert +calls == Counter(answerCallbackQuery=1, sendMessage=1, setMyCommands=1)
    assert client.last_text == "Switched to English.\nYour menu is updated."
    assert client.reply_keyboard is not None and ["❓ Help", "🌐 语言 / Language"] in (
        client.reply_keyboard
    )
    # The question keeps its buttons, and they still work: pressed again, in either
    # language, they switch (or keep it) and say so.
    kept = client.chat.messages[question.message_id]
    assert kept.text == "请选择语言 / Choose your language:"
    assert [[b["text"] for b in row] for row in kept.inline_keyboard] == [["中文", "English"]]
    await client.press_data("v1:lang:set:en", question.message_id)
    assert client.last_text == "Switched to English.\nYour menu is updated."
    await client.press_data("v1:lang:set:zh-CN", question.message_id)
    assert client.last_text == "已切换为中文。\n菜单已更新。"
    assert await gridbot.db.fetchval("SELECT language FROM members") == "zh-CN"
    assert client.reply_keyboard is not None and ["❓ 帮助", "🌐 语言 / Language"] in (
        client.reply_keyboard
    )


async def test_a_guests_language_tap_edits_the_question(gridbot: OfflineBot) -> None:
    guest = gridbot.user("Guest")
    await guest.send("/lang")
    before = Counter(gridbot.api.stats.requests)
    await guest.press("English")
    calls = Counter(gridbot.api.stats.requests)
    calls.subtract(before)
    assert +calls == Counter(answerCallbackQuery=1, editMessageText=1)
    assert guest.last_text == "Switched to English."
    assert guest.last is not None and guest.last.buttons == []
