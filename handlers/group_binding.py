"""/bindgroup and /unbindgroup: a group chat of an area's admins gets the area's alerts too.

Sent in the group by an admin of the area (a community's admins usually); anyone else
is refused. New case alerts of that area then also go to the group, with their
buttons; whoever presses one is checked as themselves, so only admins can act.

A bound group is read by everyone in it, so binding says who that is: how many
people the group has and how many of them are admins of the area (a warning when
others are there, such as residents or the reporter), and tells the group what it
will receive (and that internal notes are not among it).
"""

from __future__ import annotations

from typing import Any

from telegram import Chat, ChatMember, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.i18n import t
from bot.services import cases
from bot.services.areas import Area
from bot.services.cases import GroupRefused
from bot.services.cases.routing import admins_at
from bot.services.members import Member
from handlers.common.access import require_admin
from handlers.common.context import GridContext


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
    audience = await _audience(context, chat, area, lang)
    await message.reply_text(
        "\n".join(
            [
                t(lang, "handling.group.bound", area=area.path),
                *audience,
                "",
                t(lang, "handling.group.bound_receives"),
            ]
        )
    )


IN_CHAT = (ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER, ChatMember.RESTRICTED)
MAX_CHECKED = 50  # admins of one area looked up in the group; an area has a handful


async def _audience(context: GridContext, chat: Chat, area: Area, lang: str) -> list[str]:
    """Who reads the group: its size, how many are the area's admins, a warning if others."""
    try:
        people = await context.bot.get_chat_member_count(chat.id) - 1  # the bot itself
    except TelegramError:
        return [t(lang, "handling.group.bound_audience_unknown")]
    admins = 0
    for member in (await admins_at(context.runtime.db, area))[:MAX_CHECKED]:
        try:
            seen = await context.bot.get_chat_member(chat.id, member.tg_user_id)
        except TelegramError:
            continue
        if seen.status in IN_CHAT:
            admins += 1
    lines = [t(lang, "handling.group.bound_audience", people=people, admins=admins)]
    if people > admins:
        lines.append(t(lang, "handling.group.bound_others", others=people - admins))
    return lines


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
