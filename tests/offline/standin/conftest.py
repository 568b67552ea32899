"""Fixtures for testing the stand-in itself: a tiny PTB bot wired to a ``FakeTelegram``."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.offline.standin import FakeTelegram, StandInRequest, UserClient

Ctx = ContextTypes.DEFAULT_TYPE


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(clock: ManualClock) -> Iterator[FakeTelegram]:
    telegram = FakeTelegram(clock=clock)
    yield telegram
    telegram.assert_clean()


async def _start(update: Update, context: Ctx) -> None:
    assert update.effective_user
    assert update.effective_message
    name = html.escape(update.effective_user.first_name)
    await update.effective_message.reply_text(f"欢迎 <b>{name}</b>", parse_mode=ParseMode.HTML)


async def _buttons(update: Update, context: Ctx) -> None:
    assert update.effective_message
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("确认", callback_data="ok"),
                InlineKeyboardButton("取消", callback_data="cancel"),
            ],
            [InlineKeyboardButton("打开网页", url="https://example.org")],
        ]
    )
    await update.effective_message.reply_text("请选择", reply_markup=markup)


async def _on_callback(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    if query.data == "silent":
        return  # deliberately never answered
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"已选择 {query.data}")


async def _contact_keyboard(update: Update, context: Ctx) -> None:
    assert update.effective_message
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("分享手机号", request_contact=True)], ["普通按钮"]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    await update.effective_message.reply_text("请分享手机号", reply_markup=keyboard)


async def _on_contact(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message
    assert message.contact
    await message.reply_text(
        f"收到 {message.contact.phone_number} ({message.contact.user_id})",
        reply_markup=ReplyKeyboardRemove(),
    )


async def _on_media(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message
    if message.photo:
        text = f"photo {message.photo[-1].width}x{message.photo[-1].height}"
        if message.media_group_id:
            text += f" album {message.media_group_id}"
    elif message.voice:
        text = f"voice {message.voice.to_dict()['duration']}s"
    elif message.location:
        text = f"location {message.location.latitude:.2f},{message.location.longitude:.2f}"
    elif message.document:
        text = f"document {message.document.file_name}"
    elif message.sticker:
        text = f"sticker {message.sticker.emoji}"
    else:
        text = "other"
    await message.reply_text(text)


async def _echo(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message
    assert message.text
    await message.reply_text(f"echo: {html.escape(message.text)}", parse_mode=ParseMode.HTML)


async def _on_edit(update: Update, context: Ctx) -> None:
    assert update.edited_message
    assert update.effective_chat
    await context.bot.send_message(
        update.effective_chat.id, f"edited: {update.edited_message.text}"
    )


def build_app(api: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    """A tiny bot: /start, /buttons, /contact, media replies and an echo."""
    app = (
        Application.builder()
        .token("123:TEST")
        .request(StandInRequest(api))
        .get_updates_request(StandInRequest(api))
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CommandHandler("buttons", _buttons))
    app.add_handler(CommandHandler("contact", _contact_keyboard))
    app.add_handler(CallbackQueryHandler(_on_callback))
    app.add_handler(MessageHandler(filters.CONTACT, _on_contact))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, _on_edit))
    app.add_handler(
        MessageHandler(
            filters.PHOTO
            | filters.VOICE
            | filters.LOCATION
            | filters.Document.ALL
            | filters.Sticker.ALL,
            _on_media,
        )
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_error_handler(_keep_error)
    return app


async def _keep_error(update: object, context: Ctx) -> None:
    context.application.bot_data.setdefault("errors", []).append(context.error)


@pytest.fixture
def make_app() -> Any:
    """The application factory, for tests that need their own FakeTelegram."""
    return build_app


@pytest.fixture
async def app(api: FakeTelegram) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = build_app(api)
    async with application:
        yield application
    errors = application.bot_data.get("errors", [])
    assert not errors, f"handlers raised: {errors!r}"


def deliver_to(app: Application[Any, Any, Any, Any, Any, Any]) -> Any:
    """A deliver function that runs an update through the application."""

    async def deliver(update: dict[str, Any]) -> None:
        await app.process_update(Update.de_json(update, app.bot))

    return deliver


@pytest.fixture
def alice(api: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]) -> UserClient:
    user = api.add_user(1001, "Alice", "Wang", username="alice", phone="+8613800000001")
    return UserClient(api, user, deliver_to(app))


@pytest.fixture
def bob(api: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]) -> UserClient:
    return UserClient(api, api.add_user(1002, "Bob"), deliver_to(app))
