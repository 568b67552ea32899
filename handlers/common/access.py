"""Gatekeeping shared by handlers: is the sender a member, an admin, allowed here?

Each check answers the person itself when the answer is no (in their language,
saying how to join or that this is for admins) and returns None, so a handler
reads ``member = await require_admin(update, context); if member is None: return``;
a button handler reads ``pressed = await require_button(update, context, require_admin)``
and a typed answer's handler ``got = await require_text(update, context, require_admin)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Message, Update

from bot.services.grid import is_admin, is_leader
from bot.services.members import Member
from bot.services.typed_text import clean_text
from handlers.common.context import GridContext


async def _refuse(update: Update, context: GridContext, key: str) -> None:
    text = await context.text(update, key)
    query = update.callback_query
    if query is not None:
        await query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def require_member(update: Update, context: GridContext) -> Member | None:
    """The sender as an active member, or None after telling them how to join."""
    member = await context.member(update)
    if member is None:
        await _refuse(update, context, "access.not_member")
        return None
    if not member.active:
        await _refuse(update, context, "access.inactive")
        return None
    return member


async def require_admin(update: Update, context: GridContext) -> Member | None:
    """The sender as an active admin, or None after saying this is for admins."""
    member = await require_member(update, context)
    if member is None:
        return None
    if not is_admin(member.role):
        await _refuse(update, context, "access.admins_only")
        return None
    return member


async def require_leader(update: Update, context: GridContext) -> Member | None:
    """The sender as an active leader or assistant, or None after saying so."""
    member = await require_member(update, context)
    if member is None:
        return None
    if not is_leader(member.role):
        await _refuse(update, context, "access.leaders_only")
        return None
    return member


Check = Callable[[Update, GridContext], Awaitable[Member | None]]


async def require_button(
    update: Update, context: GridContext, check: Check = require_member
) -> tuple[CallbackQuery, Member] | None:
    """The pressed button's query and its presser as ``check`` allows, or None after refusing."""
    query = update.callback_query
    assert query is not None  # only CallbackQueryHandlers call this
    member = await check(update, context)
    if member is None:
        return None
    return query, member


async def require_text(
    update: Update, context: GridContext, check: Check = require_member
) -> tuple[Message, str, Member] | None:
    """The typed message, its text and its sender as ``check`` allows, or None after refusing.

    The text is cleaned of characters that hide or reorder text (``clean_text``).
    """
    message = update.effective_message
    assert message is not None and message.text is not None  # only TEXT handlers call this
    member = await check(update, context)
    if member is None:
        return None
    return message, clean_text(message.text), member
