"""The member of an update is read once per update, and again after any change to a member:
a language switch answers in the new language, and a member deactivated while their update
is in hand cannot act in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import TypeHandler

from bot.offline.harness import OfflineBot
from bot.services import members
from bot.services.grid import Role
from handlers.common.context import GridContext
from handlers.common.gate import GROUP_GATE
from tests.helpers.people import member_row
from tests.helpers.statements import MEMBER_BY_TG_USER, statements


async def test_the_sender_is_read_once_in_each_update(gridbot: OfflineBot) -> None:
    person = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    client = person.client
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("/help", lambda: client.send("/help")),
        ("/report", lambda: client.send("/report")),
        ("a category", lambda: client.press("环境卫生")),
        ("/cancel", lambda: client.send("/cancel")),
        ("/lang", lambda: client.send("/lang")),
        ("English", lambda: client.press("English")),  # changes the member mid-update
        ("/help again", lambda: client.send("/help")),
    ]
    async with statements(gridbot) as seen:
        for name, step in steps:
            seen.clear()
            await step()
            assert seen.count(MEMBER_BY_TG_USER) == 1, name


async def test_after_a_language_switch_the_same_update_answers_in_the_new_language(
    gridbot: OfflineBot,
) -> None:
    person = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    client = person.client
    await client.send("/lang")
    await client.press("English")
    # The one message that answers the tap, with the new menu, in the member's new language.
    assert client.last_text == "Switched to English.\nYour menu is updated."
    assert ["📝 Report", "📋 My reports"] in client.reply_keyboard
    row = await member_row(gridbot, client.user.id)
    assert row is not None and row["language"] == "en"


async def test_a_member_deactivated_while_their_update_is_in_hand_cannot_act_in_it(
    gridbot: OfflineBot,
) -> None:
    person = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    assert person.member is not None
    member_id = person.member.id

    async def deactivated_meanwhile(update: Update, context: GridContext) -> None:
        # After the gate read the member (active), before the handler checks them: an
        # operator's deactivation committed in between, as another task could.
        if update.message is not None and update.message.text == "/report":
            await members.deactivate(context.runtime.db, member_id)

    meanwhile = TypeHandler(Update, deactivated_meanwhile)
    gridbot.app.add_handler(meanwhile, GROUP_GATE + 1)
    try:
        await person.client.send("/report")
    finally:
        gridbot.app.remove_handler(meanwhile, GROUP_GATE + 1)
    assert person.client.last_text == "您的账号已停用。如有疑问，请联系所在社区（村）。"
    assert await gridbot.db.fetchval("SELECT count(*) FROM report_drafts") == 0


async def test_a_member_deactivated_between_updates_cannot_act_on_the_next(
    gridbot: OfflineBot,
) -> None:
    person = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    assert person.member is not None
    await person.client.send("/cases")
    assert "停用" not in person.client.last_text
    await members.deactivate(gridbot.db, person.member.id)
    await person.client.send("/cases")
    assert person.client.last_text == "您的账号已停用。如有疑问，请联系所在社区（村）。"


async def test_a_language_switch_is_stored_in_the_taps_one_commit_and_seen_by_the_next_update(
    gridbot: OfflineBot,
) -> None:
    person = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    client = person.client
    await client.send("/lang")
    async with statements(gridbot) as seen:
        await client.press("English")
    assert seen.count("COMMIT") == 1, seen.seen
    saved = seen.seen[seen.seen.index("BEGIN IMMEDIATE") : seen.seen.index("COMMIT")]
    assert any(sql.startswith("UPDATE members SET language = 'en'") for sql in saved), saved
    assert any(sql.startswith("INSERT OR IGNORE INTO processed_updates") for sql in saved)
    # The commit told the cache: the next update reads the member anew, in English.
    async with statements(gridbot) as seen:
        await client.send("/help")
    assert seen.count(MEMBER_BY_TG_USER) == 1
    assert "You are" in client.last_text
