"""/lang: switch between 中文 and English; the choice is kept."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler

from bot.i18n import LANGUAGES, t
from bot.services import members
from handlers.common.callbacks import BadCallback, pack, pattern, unpack
from handlers.common.commands import register_member_commands
from handlers.common.context import LANG_KEY, GridContext
from handlers.common.menu import label_filter, member_menu

PREFIX = "lang"


async def ask_language(update: Update, context: GridContext) -> None:
    """Offer the languages as buttons, each named in itself."""
    message = update.effective_message
    if message is None:
        return
    lang = await context.lang(update)
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(code, "lang.name"), callback_data=pack(PREFIX, "set", code))
                for code in LANGUAGES
            ]
        ]
    )
    await message.reply_text(t(lang, "lang.choose"), reply_markup=buttons)


async def language_chosen(update: Update, context: GridContext) -> None:
    """Keep the chosen language, for a member in their row, otherwise in user data."""
    query = update.callback_query
    assert query is not None
    try:
        (action, code) = unpack(query.data, PREFIX, 2)
        if action != "set" or code not in LANGUAGES:
            raise BadCallback(query.data)
    except BadCallback:
        await query.answer(await context.text(update, "common.stale_button"), show_alert=True)
        return
    member = await context.member(update)
    if member is not None:
        try:
            change = members.change_language(member, code)
        except members.Inactive:  # deactivated: may change nothing
            await query.answer(await context.text(update, "access.inactive"), show_alert=True)
            return
        # Stored with this update's save, in its one commit: if that never comes, Telegram
        # sends the tap again. The rest of the update speaks `code` already.
        context.write_with_update(update, change.write, marks=change.marks)
        member = change.member
        context.remember_member(member)
    else:
        context.store[LANG_KEY] = code
    await query.answer()
    if member is None or query.message is None:
        # A guest has no menu: the question becomes the answer.
        await query.edit_message_text(t(code, "lang.changed"))
        return
    # One call in the chat (issue 14): a new menu keyboard comes only with a sent message,
    # so the answer is that message. The question keeps its buttons; pressing one again
    # switches again (or keeps the language) and says so the same way.
    await context.bot.send_message(
        query.message.chat.id,
        f"{t(code, 'lang.changed')}\n{t(code, 'lang.menu_updated')}",
        reply_markup=await member_menu(context.runtime, member),
    )
    await register_member_commands(context.bot, member)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/lang, the menu's language button, and the language buttons."""
    return [
        CommandHandler("lang", ask_language),
        MessageHandler(label_filter("lang"), ask_language),
        CallbackQueryHandler(language_chosen, pattern=pattern(PREFIX)),
    ]
