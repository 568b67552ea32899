"""/bindgroup and /unbindgroup: a group chat of an area's admins gets the area's alerts too.

Sent in the group by an admin of the area (a community's admins usually). New case
alerts of that area then also go to the group, with their buttons; whoever presses
one is checked as themselves, so only admins can act.
"""

from __future__ import annotations

from typing import Any

from telegram import Chat, Message, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.i18n import t
from bot.services import cases
from bot.services.cases import GroupRefused
from bot.services.members import Member
from handlers.access import require_admin
from handlers.context import GridContext


async def _in_group(update: Update, context: GridContext) -> tuple[Message, Chat, Member] | None:
    """The message, its group and the admin who sent it; None after saying why not."""
    message = update.effective_message
    chat = update.effective_chat
    admin = await require_admin(update, context)
    if admin is None or message is None or chat is None:
        return None
    if chat.type == "private":
        await message.reply_text(t(admin.language, "handling.group.only_groups"))
        return None
    return message, chat, admin


async def bind(update: Update, context: GridContext) -> None:
    """/bindgroup in a group: bind it to the sender's own area."""
    got = await _in_group(update, context)
    if got is None:
        return
    message, chat, admin = got
    lang = admin.language
    runtime = context.runtime
    try:
        area = await cases.bind_group(runtime.db, runtime.clock, admin, chat.id)
    except GroupRefused:
        await message.reply_text(t(lang, "handling.group.not_allowed"))
        return
    await message.reply_text(t(lang, "handling.group.bound", area=area.path))


async def unbind(update: Update, context: GridContext) -> None:
    """/unbindgroup in a group: stop sending alerts there."""
    got = await _in_group(update, context)
    if got is None:
        return
    message, chat, admin = got
    lang = admin.language
    try:
        area = await cases.unbind_group(context.runtime.db, admin, chat.id)
    except GroupRefused:
        await message.reply_text(t(lang, "handling.group.not_allowed"))
        return
    if area is None:
        await message.reply_text(t(lang, "handling.group.not_bound"))
        return
    await message.reply_text(t(lang, "handling.group.unbound", area=area.path))


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/bindgroup and /unbindgroup (in any chat; private chats are told to use a group)."""
    return [
        CommandHandler("bindgroup", bind, filters=~filters.UpdateType.EDITED),
        CommandHandler("unbindgroup", unbind, filters=~filters.UpdateType.EDITED),
    ]
