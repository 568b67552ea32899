"""/todo and the 我的待办 button: the cases assigned to me (承办人), soonest due first.

Each case is a button that opens its full card with the handling stage's actions
(``ca:<id>:<version>:open``, handled by handlers/case_actions.py). Anyone can be an
assignee (an admin, or a leader or assistant of the area), so this is for every member.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.i18n import t
from bot.services import cases
from bot.services.grid import is_admin
from handlers.common import text_keys as keys
from handlers.common.access import require_member
from handlers.common.callbacks import pack
from handlers.common.context import GridContext
from handlers.common.menu import label_filter, menu_keyboard
from handlers.messages.case_cards import ADMIN


async def show(update: Update, context: GridContext) -> None:
    """The member's to-do list, with due times; empty says so."""
    message = update.effective_message
    member = await require_member(update, context)
    if member is None or message is None:
        return
    lang = member.language
    runtime = context.runtime
    mine = await cases.todo(runtime.db, member)
    if not mine:
        # Kind and useful: when something will come, and where an admin finds the rest;
        # the menu is redrawn, so a 📌 left from an earlier assignment goes away.
        empty = "handling.todo.empty_admin" if is_admin(member.role) else "handling.todo.empty"
        await message.reply_text(t(lang, empty), reply_markup=menu_keyboard(member))
        return
    now = cases.stamp(runtime.clock)
    rows = []
    for case in mine:
        due = cases.overdue_since(case)
        label = t(
            lang,
            "handling.todo.item",
            overdue="⚠️ " if cases.is_overdue(case, now) else "",
            number=case.number,
            kind=t(lang, keys.SUBCATEGORY(case.category, case.subcategory)),
            due=cases.local_time(due, runtime.config.tz) if due else "-",
        )
        rows.append(
            [InlineKeyboardButton(label, callback_data=pack(ADMIN, case.id, case.version, "open"))]
        )
    await message.reply_text(
        t(lang, "handling.todo.title", total=len(mine)), reply_markup=InlineKeyboardMarkup(rows)
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/todo and its menu button."""
    return [
        CommandHandler("todo", show, filters=filters.ChatType.PRIVATE),
        MessageHandler(label_filter("todo"), show),
    ]
