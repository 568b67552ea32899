"""/cancel outside any conversation: there is nothing to stop; say so kindly."""

from __future__ import annotations

from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CommandHandler

from handlers.common.context import GridContext
from handlers.common.flows import forget_flows
from handlers.common.menu import member_menu


async def nothing_to_cancel(update: Update, context: GridContext) -> None:
    """Answer /cancel when no conversation is running."""
    # No conversation took /cancel, so a flow still recorded has no conversation behind
    # it: forget it, or the guard would keep the member out of every other flow.
    if update.effective_chat is not None:
        forget_flows(context.user_data, update.effective_chat.id)
    message = update.effective_message
    if message is None:
        return
    member = await context.member(update)
    await message.reply_text(
        await context.text(update, "common.nothing_to_cancel"),
        reply_markup=(
            await member_menu(context.runtime, member)
            if member is not None
            else ReplyKeyboardRemove()
        ),
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/cancel, after every conversation has had its chance."""
    return [CommandHandler("cancel", nothing_to_cancel)]
