"""📄 查看全文: the button under a shortened text, and sending a text whole in parts.

A text built from what people typed is shortened to fit one message
(:mod:`bot.telegram.texts_fit`); where that happened, the message gets this button. Its data
name what to show (``all:<what>:<id>``); the feature that owns the text answers it
by building the text again, whole, for the chat it is pressed in, and sending it
with :func:`send_whole` in messages of at most 4096 characters.
"""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.telegram.texts_fit import split
from handlers.common.callbacks import pack

PREFIX = "all"
CARD = "c"  # a case's card: all:c:<case id>
TIMELINE = "t"  # a reporter's timeline of their case: all:t:<case id>


def show_all_button(lang: str, what: str, item: int) -> InlineKeyboardButton:
    """The 📄 查看全文 button for item ``item`` of kind ``what``."""
    return InlineKeyboardButton(t(lang, "fit.show_all"), callback_data=pack(PREFIX, what, item))


def with_show_all(
    markup: InlineKeyboardMarkup | None, lang: str, what: str, item: int
) -> InlineKeyboardMarkup:
    """``markup`` (or none) with a last row holding the 📄 查看全文 button."""
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    rows.append([show_all_button(lang, what, item)])
    return InlineKeyboardMarkup(rows)


async def send_whole(bot: Bot, chat_id: int, text: str) -> None:
    """Send ``text`` whole, in as many messages as it needs."""
    for part in split(text):
        await bot.send_message(chat_id, part)
