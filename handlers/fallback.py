"""Whatever no other handler took: stale buttons, strangers, and unclear messages.

Registered last, so it only sees what no other handler understood.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.i18n import t
from handlers.common.context import GridContext
from handlers.common.menu import member_menu


async def stale_button(update: Update, context: GridContext) -> None:
    """A button no handler understands now: old, from a finished flow, or forged."""
    query = update.callback_query
    assert query is not None
    await query.answer(await context.text(update, "common.stale_button"), show_alert=True)


async def not_understood(update: Update, context: GridContext) -> None:
    """A private message nothing handled: explain joining, or point to the menu."""
    message = update.effective_message
    if message is None:
        return
    member = await context.member(update)
    lang = await context.lang(update)
    if member is None:
        await message.reply_text(t(lang, "access.not_member"))
        return
    await message.reply_text(
        t(lang, "common.not_understood"), reply_markup=await member_menu(context.runtime, member)
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The catch-alls."""
    return [
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, not_understood),
    ]
