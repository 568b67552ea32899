"""A real PTB Application talking to the stand-in through UserClient."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application

from bot.offline.standin import FakeTelegram, UserClient

App = Application[Any, Any, Any, Any, Any, Any]


def tiny_png(width: int, height: int) -> bytes:
    """A valid PNG header (enough for the stand-in to read the size)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


async def test_get_me_answers_the_bot_identity(app: App) -> None:
    assert app.bot.id == 7000000001
    assert app.bot.username == "gridbot_demo_bot"
    assert app.bot.can_read_all_group_messages is False


async def test_bot_identity_can_be_overridden(make_app: Callable[[FakeTelegram], App]) -> None:
    api = FakeTelegram(bot_id=42, bot_username="other_bot")
    async with make_app(api) as application:
        assert application.bot.id == 42
        assert application.bot.username == "other_bot"


async def test_send_and_receive(api: FakeTelegram, alice: UserClient) -> None:
    await alice.send("/start")
    assert alice.last_text == "欢迎 Alice"
    last = alice.last
    assert last is not None
    assert last.raw == "欢迎 <b>Alice</b>"
    assert last.data["entities"] == [{"type": "bold", "offset": 3, "length": 5}]
    assert last.data["from"]["id"] == api.bot_id
    # Message ids are per chat and shared by both directions: /start was 1, the reply 2.
    assert [m.message_id for m in alice.history] == [1, 2]
    assert alice.history[0].data["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    mark = alice.mark()
    await alice.send("a < b & c")
    assert alice.texts(since=mark) == ["echo: a < b & c"]


async def test_command_with_payload_reaches_command_handler(
    api: FakeTelegram, app: App, alice: UserClient
) -> None:
    seen: list[list[str]] = []

    async def deep_link(update: Any, context: Any) -> None:
        seen.append(list(context.args))

    from telegram.ext import CommandHandler

    app.add_handler(CommandHandler("join", deep_link), group=-1)
    await alice.send("/join abc")
    assert seen == [["abc"]]


async def test_every_returned_message_is_valid_bot_api_json(
    api: FakeTelegram, app: App, alice: UserClient
) -> None:
    await alice.send("/buttons")
    await alice.send_photo("看看")
    assert len(alice.history) >= 2  # at least the answer to /buttons and the photo's
    for stored in alice.history:
        message = Message.de_json(stored.data, app.bot)
        assert message.message_id == stored.message_id
        assert message.chat.id == alice.chat_id


async def test_html_errors_are_answered_and_recorded(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await app.bot.send_message(1, "a <x> b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await app.bot.send_message(1, "R&D", parse_mode=ParseMode.HTML)
    assert len(api.unexpected) == 2
    assert "sendMessage" in api.unexpected[0]
    with pytest.raises(AssertionError, match="Telegram would reject"):
        api.assert_clean()
    api.unexpected.clear()


async def test_expected_errors_are_not_recorded(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    expectation = api.expect_error("message is too long")
    with pytest.raises(BadRequest, match="Message is too long"):
        await app.bot.send_message(1, "x" * 4097)
    assert expectation.seen == 1
    assert api.unexpected == []


async def test_length_counts_rendered_text_in_utf16(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    # Much longer raw text than 4096, but the user sees exactly 4096 characters: fine.
    await app.bot.send_message(1, "<b>ab</b>" * 2048, parse_mode=ParseMode.HTML)
    assert len(api.bot_messages(1)[-1].text) == 4096
    # 2049 emoji are 4098 UTF-16 code units: too long.
    api.expect_error("message is too long", times=2)
    with pytest.raises(BadRequest):
        await app.bot.send_message(1, "😀" * 2049)
    with pytest.raises(BadRequest):
        await app.bot.send_message(1, f"<i>{'a' * 4097}</i>", parse_mode=ParseMode.HTML)
    api.expect_error("message text is empty")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await app.bot.send_message(1, "<b> </b>", parse_mode=ParseMode.HTML)
    api.expect_error("caption is too long")
    with pytest.raises(BadRequest, match="caption is too long"):
        await app.bot.send_photo(1, tiny_png(10, 10), caption="c" * 1025)


async def test_callback_data_over_64_bytes_is_rejected(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="好" * 21)]])
    await app.bot.send_message(1, "fits: 63 bytes", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="好" * 22)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await app.bot.send_message(1, "66 bytes", reply_markup=too_long)
    assert len(api.unexpected) == 1
    api.unexpected.clear()


async def test_press_by_label_answers_and_edits_in_place(
    api: FakeTelegram, alice: UserClient
) -> None:
    await alice.send("/buttons")
    assert alice.buttons() == [["确认", "取消"], ["打开网页"]]
    count = len(alice.messages)
    await alice.press("确认")
    assert alice.last_answer is not None
    assert alice.last_answer.answered
    assert alice.last_answer.text == "got ok"
    assert len(alice.messages) == count  # edited, not a new message
    assert alice.last_text == "已选择 ok"
    assert alice.buttons() == []  # editMessageText without reply_markup drops the keyboard
    assert api.unanswered_callbacks() == []


async def test_press_reports_the_visible_buttons(alice: UserClient) -> None:
    await alice.send("/buttons")
    with pytest.raises(AssertionError, match=r"no button '删除'.*确认"):
        await alice.press("删除")
    with pytest.raises(AssertionError, match="url button"):
        await alice.press("打开网页")


async def test_substring_press_and_unanswered_callbacks(
    api: FakeTelegram, alice: UserClient
) -> None:
    await alice.send("/buttons")
    await alice.press("取")  # substring of 取消
    assert alice.last_text == "已选择 cancel"
    await alice.press_data("silent")
    unanswered = api.unanswered_callbacks()
    assert [c.data for c in unanswered] == ["silent"]


async def test_reply_keyboard_with_contact_button(alice: UserClient) -> None:
    await alice.send("/contact")
    assert alice.reply_keyboard == [["分享手机号"], ["普通按钮"]]
    await alice.press("分享手机号")
    assert alice.last_text == "收到 +8613800000001 (1001)"
    assert alice.reply_keyboard is None  # ReplyKeyboardRemove


async def test_reply_keyboard_text_button_sends_its_label(alice: UserClient) -> None:
    await alice.send("/contact")
    await alice.press("普通按钮")
    assert alice.last_text == "echo: 普通按钮"
    assert alice.reply_keyboard is None  # one_time_keyboard folds away after use


async def test_edit_in_place_and_not_modified(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    client = UserClient(api, 1, api.enqueue_update)
    sent = await app.bot.send_message(1, "<b>v1</b>", parse_mode=ParseMode.HTML)
    mark = client.mark()
    await app.bot.edit_message_text("<b>v2</b>", 1, sent.message_id, parse_mode=ParseMode.HTML)
    assert client.last_text == "v2"
    assert client.texts(since=mark) == ["v2"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text("<b>v2</b>", 1, sent.message_id, parse_mode="HTML")
    assert api.unexpected == []  # routine for bots, not recorded
    api.expect_error("message to edit not found")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await app.bot.edit_message_text("x", 1, 999)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]])
    await app.bot.edit_message_reply_markup(1, sent.message_id, reply_markup=markup)
    assert client.buttons() == [["b"]]
    assert await app.bot.delete_message(1, sent.message_id)
    assert client.messages == []


async def test_edit_caption(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    client = UserClient(api, 1, api.enqueue_update)
    sent = await app.bot.send_photo(1, tiny_png(40, 30), caption="old")
    await app.bot.edit_message_caption(1, sent.message_id, caption="<i>new</i>", parse_mode="HTML")
    assert client.last_text == "new"
    assert client.photos[0].data["caption_entities"][0]["type"] == "italic"


async def test_user_album_voice_location_document_sticker(alice: UserClient) -> None:
    updates = await alice.send_album(3, caption="三张")
    group_ids = {u["message"]["media_group_id"] for u in updates}
    assert len(group_ids) == 1
    assert updates[0]["message"]["caption"] == "三张"
    assert alice.texts()[-3:] == [f"photo 1280x960 album {group_ids.pop()}"] * 3
    await alice.send_voice(7)
    assert alice.last_text == "voice 7s"
    await alice.send_location(31.23, 121.47)
    assert alice.last_text == "location 31.23,121.47"
    await alice.send_document("report.xlsx")
    assert alice.last_text == "document report.xlsx"
    await alice.send_sticker()
    assert alice.last_text == "sticker 👍"


async def test_edit_last_sends_edited_message(alice: UserClient) -> None:
    await alice.send("first")
    await alice.edit_last("second")
    assert alice.last_text == "edited: second"


async def test_bot_album_photo_document_voice_location(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    client = UserClient(api, 1, api.enqueue_update)
    media = [InputMediaPhoto(tiny_png(1600, 1200), caption=f"p{i}") for i in range(3)]
    messages = await app.bot.send_media_group(1, media)
    assert len({m.media_group_id for m in messages}) == 1
    assert [m.caption for m in messages] == ["p0", "p1", "p2"]
    sizes = [(p.width, p.height) for p in messages[0].photo]
    assert sizes == [(90, 68), (320, 240), (800, 600), (1280, 960)]
    assert len(client.photos) == 3
    assert api.stats.sent_messages == 3

    doc = await app.bot.send_document(1, io.BytesIO(b"a,b\n1,2\n"), filename="r.csv")
    assert doc.document is not None
    assert doc.document.file_name == "r.csv"
    assert client.file_bytes(client.documents[-1]) == b"a,b\n1,2\n"
    # Re-sending by file_id reuses the file.
    again = await app.bot.send_document(1, doc.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == doc.document.file_unique_id

    voice = await app.bot.send_voice(1, b"OggS....", duration=3)
    assert voice.voice is not None
    assert voice.voice.to_dict()["duration"] == 3
    location = await app.bot.send_location(1, 31.2, 121.5)
    assert location.location is not None
    assert client.locations[-1].data["location"] == {"latitude": 31.2, "longitude": 121.5}


async def test_get_file_and_download(api: FakeTelegram, app: App, alice: UserClient) -> None:
    update = await alice.send_photo(content=tiny_png(20, 10), width=20, height=10)
    file_id = update["message"]["photo"][-1]["file_id"]
    file = await app.bot.get_file(file_id)
    assert file.file_path is not None
    assert bytes(await file.download_as_bytearray()) == tiny_png(20, 10)
    api.expect_error("invalid file_id")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await app.bot.get_file("nope")


async def test_copy_and_forward(api: FakeTelegram, app: App, alice: UserClient) -> None:
    api.add_user(2, "Officer")
    officer = UserClient(api, 2, api.enqueue_update)
    update = await alice.send_photo("楼道堆物")
    source_id = update["message"]["message_id"]
    copied = await app.bot.copy_message(2, alice.chat_id, source_id, caption="转发：楼道堆物")
    assert officer.last_text == "转发：楼道堆物"
    assert officer.last is not None
    assert officer.last.message_id == copied.message_id
    assert "forward_origin" not in officer.last.data
    forwarded = await app.bot.forward_message(2, alice.chat_id, source_id)
    assert forwarded.forward_origin is not None
    assert officer.last.data["forward_origin"]["sender_user"]["id"] == alice.user.id


async def test_group_privacy_mode_and_members(
    api: FakeTelegram, app: App, alice: UserClient
) -> None:
    group = api.add_group(-1001234567890, "3号楼", members=[1001], admins=[1002], creator=1003)
    api.add_user(1002, "Admin")
    api.add_user(1003, "Owner")
    in_group = alice.in_chat(group.id)
    await in_group.send("随便聊聊")
    assert in_group.messages == []  # privacy mode: plain chatter never reaches the bot
    await in_group.send("/start@gridbot_demo_bot")
    assert in_group.last_text == "欢迎 Alice"
    member = await app.bot.get_chat_member(group.id, 1002)
    assert member.status == "administrator"
    admins = await app.bot.get_chat_administrators(group.id)
    assert [a.user.id for a in admins] == [1003, 1002]
    assert (await app.bot.get_chat_member(group.id, 1001)).status == "member"
    chat = await app.bot.get_chat(group.id)
    assert chat.title == "3号楼"
    assert chat.type == "supergroup"


async def test_markdown_is_recorded_as_unexpected(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    await app.bot.send_message(1, "*hi*", parse_mode=ParseMode.MARKDOWN_V2)
    assert len(api.unexpected) == 1
    assert "MarkdownV2" in api.unexpected[0]
    api.unexpected.clear()


async def test_chat_action_and_menu_button(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    await app.bot.send_chat_action(1, "typing")
    assert api.chat_actions == [(1, "typing")]
    from telegram import MenuButtonCommands

    await app.bot.set_chat_menu_button(1, MenuButtonCommands())
    assert api.chat(1).menu_button == {"type": "commands"}


async def test_user_who_never_started_cannot_be_messaged(api: FakeTelegram, app: App) -> None:
    from telegram.error import Forbidden

    api.add_user(5, "Stranger", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await app.bot.send_message(5, "hi")
    await UserClient(api, 5, api.enqueue_update).send("/start")
    await app.bot.send_message(5, "hi")
    api.expect_error("chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(404, "nobody")


async def test_answering_a_callback_twice_is_an_error(api: FakeTelegram, app: App) -> None:
    client = UserClient(api, api.add_user(1, "U"), api.enqueue_update)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="go")]])
    await app.bot.send_message(1, "x", reply_markup=markup)
    await client.press("go")
    query_id = client.last_answer.id if client.last_answer else ""
    assert [c.id for c in api.unanswered_callbacks()] == [query_id]
    assert await app.bot.answer_callback_query(query_id, "好的", show_alert=True)
    assert client.last_answer is not None
    assert client.last_answer.show_alert
    api.expect_error("query is too old")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await app.bot.answer_callback_query(query_id)
