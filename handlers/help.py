"""/help: what the bot does for this person, and how to start."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler

from bot.i18n import t
from bot.services.grid import is_admin
from handlers.common import text_keys as keys
from handlers.common.context import GridContext
from handlers.common.menu import label_filter, member_menu


async def show_help(update: Update, context: GridContext) -> None:
    """Help for the sender's role (or for joining, if they have not joined)."""
    message = update.effective_message
    if message is None:
        return
    member = await context.member(update)
    lang = await context.lang(update)
    if member is None:
        await message.reply_text(t(lang, "help.guest"))
        return
    key = "help.admin" if is_admin(member.role) else "help.leader"
    await message.reply_text(
        t(lang, key, role=t(lang, keys.ROLE(member.role)), area=member.area_path),
        reply_markup=await member_menu(context.runtime, member),
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/help and the menu's help button."""
    return [CommandHandler("help", show_help), MessageHandler(label_filter("help"), show_help)]
