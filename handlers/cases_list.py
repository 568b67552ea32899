"""/cases: an admin's open cases, of their area and below, oldest first.

Filter buttons narrow by state and category, or show the finished (closed and
rejected) ones; overdue cases are marked ⚠️ and supervised ones 督办; pages of
eight. ``/cases <number>`` (the whole number or its last digits) finds one case.
Each case is a button that opens its card with the actions this admin may take now
(handled by handlers/case_actions.py, ``ca:<id>:<version>:open``).
"""

from __future__ import annotations

import math
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import t
from bot.services import cases
from bot.services.cases.rules import Status
from bot.services.categories import Category
from bot.services.members import Member
from bot.telegram.texts_fit import fit
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button
from handlers.common.callbacks import BadCallback, answer_stale, fields, number, pack, pattern
from handlers.common.context import GridContext
from handlers.common.menu import label_filter
from handlers.messages.case_cards import ADMIN

# cl:<status or ->:<category or ->:<page>:<key>; the key is a<id> (the page after that
# case), b<id> (the page before it) or - (the first page): keyset paging, so a page far
# down the list costs what the first does. The page number is only shown.
PREFIX = "cl"
FIRST = "-"
PER_PAGE = 8
STATUSES = (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.RESOLVED)
ALL = "-"
DONE = "done"  # the finished cases: closed and rejected


async def listing(
    context: GridContext,
    admin: Member,
    status: str | None,
    category: str | None,
    page: int,
    number_text: str | None = None,
    key: str = FIRST,
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of one page of the list (``key``: where it is, see PREFIX)."""
    lang = admin.language
    runtime = context.runtime
    done = status == DONE
    shown = await cases.open_cases(
        runtime.db,
        admin,
        status=None if done else status,
        category=category,
        per_page=PER_PAGE,
        closed=done,
        number=number_text,
        after=int(key[1:]) if key[0] == "a" else None,
        before=int(key[1:]) if key[0] == "b" else None,
    )
    found, total = shown.cases, shown.total
    if key != FIRST and (not found or (key[0] == "b" and len(found) < PER_PAGE)):
        # Nothing beyond the key (handled meanwhile), or back at the start: the first page.
        return await listing(context, admin, status, category, 0, number_text)
    if key == FIRST:
        page = 0
    elif shown.total_known:
        page = min(page, math.ceil(total / PER_PAGE) - 1)
    if number_text is not None and not total:
        text = t(lang, "handling.list.not_found", number=number_text)
    elif not shown.total_known:
        # Counted no further than the cap: "more than 1000", and no last page to name.
        text = t(
            lang,
            "handling.list.title_closed_many" if done else "handling.list.title_many",
            area=admin.area_path,
            total=shown.cap,
            page=page + 1,
        )
    elif total:
        text = t(
            lang,
            "handling.list.title_closed" if done else "handling.list.title",
            area=admin.area_path,
            total=total,
            page=page + 1,
            pages=max(1, math.ceil(total / PER_PAGE)),
        )
    else:
        empty = "handling.list.empty_closed" if done else "handling.list.empty"
        text = t(lang, empty, area=admin.area_path)
    now = cases.stamp(runtime.clock)
    rows: list[list[InlineKeyboardButton]] = []
    for case in found:
        label = t(
            lang,
            "handling.list.item",
            overdue="⚠️ " if cases.is_overdue(case, now) else "",
            supervised=t(lang, "handling.list.supervised") if cases.is_supervised(case) else "",
            number=case.number,
            status=t(lang, keys.STATUS(case.status)),
            kind=t(lang, keys.SUBCATEGORY(case.category, case.subcategory)),
        )
        rows.append(
            [InlineKeyboardButton(label, callback_data=pack(ADMIN, case.id, case.version, "open"))]
        )
    s, c = status or ALL, category or ALL
    paging = []
    if page > 0 and found:
        paging.append(
            InlineKeyboardButton(
                t(lang, "handling.list.prev"),
                callback_data=pack(PREFIX, s, c, page - 1, f"b{found[0].id}"),
            )
        )
    if shown.more and found:
        paging.append(
            InlineKeyboardButton(
                t(lang, "handling.list.next"),
                callback_data=pack(PREFIX, s, c, page + 1, f"a{found[-1].id}"),
            )
        )
    if paging:
        rows.append(paging)

    def mark(label: str, chosen: bool) -> str:
        return f"• {label}" if chosen else label

    status_row = (
        [
            InlineKeyboardButton(
                mark(t(lang, "handling.list.all"), status is None),
                callback_data=pack(PREFIX, ALL, c, 0, FIRST),
            )
        ]
        + [
            InlineKeyboardButton(
                mark(t(lang, keys.STATUS(x)), status == x),
                callback_data=pack(PREFIX, x, c, 0, FIRST),
            )
            for x in STATUSES
        ]
        + [
            InlineKeyboardButton(
                mark(t(lang, "handling.list.closed"), done),
                callback_data=pack(PREFIX, DONE, c, 0, FIRST),
            )
        ]
    )
    category_row = [
        InlineKeyboardButton(
            mark(t(lang, "handling.list.all"), category is None),
            callback_data=pack(PREFIX, s, ALL, 0, FIRST),
        )
    ] + [
        InlineKeyboardButton(
            mark(t(lang, keys.CATEGORY(x.value)), category == x.value),
            callback_data=pack(PREFIX, s, x.value, 0, FIRST),
        )
        for x in Category
    ]
    rows.append(status_row[:3])
    rows.append(status_row[3:])
    if number_text is None and not total:
        text += "\n" + t(lang, "handling.list.hint")
    rows.append(category_row[:3])
    rows.append(category_row[3:])
    return fit(text).text, InlineKeyboardMarkup(rows)


async def show(update: Update, context: GridContext) -> None:
    """/cases or the 待办案件 button: the first page, unfiltered."""
    message = update.effective_message
    admin = await require_admin(update, context)
    if admin is None or message is None:
        return
    # /cases 0012: find a case by its number (or its last digits).
    wanted = " ".join(context.args or []).strip() or None
    if wanted is not None and not wanted.replace("-", "").isalnum():
        wanted = None
    text, markup = await listing(context, admin, None, None, 0, wanted)
    await message.reply_text(text, reply_markup=markup)


async def page_button(update: Update, context: GridContext) -> None:
    """A filter or paging button."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return
    query, admin = pressed
    try:
        parts = fields(query.data, PREFIX)
        if len(parts) == 3:  # a button drawn before keyset paging: its first page
            parts.append(FIRST)
        if len(parts) != 4:
            raise BadCallback(query.data)
        status, category, page_text, key = parts
        page = number(page_text)
        if key != FIRST and (key[:1] not in ("a", "b") or number(key[1:]) < 0):
            raise BadCallback(key)
        if status != ALL and status != DONE and status not in STATUSES:
            raise BadCallback(status)
        if category != ALL and category not in {c.value for c in Category}:
            raise BadCallback(category)
    except BadCallback:
        await answer_stale(query, admin.language)
        return
    await query.answer()
    text, markup = await listing(
        context,
        admin,
        None if status == ALL else status,
        None if category == ALL else category,
        page,
        key=key,
    )
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/cases, its menu button, and its filter and paging buttons."""
    return [
        CommandHandler("cases", show, filters=filters.ChatType.PRIVATE),
        MessageHandler(label_filter("cases"), show),
        CallbackQueryHandler(page_button, pattern=pattern(PREFIX)),
    ]
