"""/mycases: a page of the member's own reports, newest first, and each one's timeline.

One message, edited in place: the list (number, category, state, age) with a button
per case and buttons to page; a case's button shows its timeline with a way back.
Buttons: ``my:p:<page>`` and ``my:c:<case id>:<page>``; a case is shown only to
the member who reported it, whatever the button says. A timeline too long for one
message is shortened and offers 📄 查看全文 (``all:t:<case id>``), which sends it
whole, in parts.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import has, t
from bot.services import my_cases
from bot.services.members import Member
from bot.services.my_cases import SELF, SYSTEM, Timeline, TimelineEntry
from bot.telegram.texts_fit import fit
from handlers.common import text_keys as keys
from handlers.common.access import require_button, require_member
from handlers.common.callbacks import (
    BadCallback,
    answer_stale,
    fields,
    number,
    pack,
    pattern,
    unpack,
)
from handlers.common.context import GridContext
from handlers.common.menu import label_filter
from handlers.common.show_all import PREFIX as SHOW_ALL
from handlers.common.show_all import TIMELINE, send_whole, show_all_button
from handlers.messages import case_fields

PREFIX = "my"
SHOWN_EVENTS = 30  # the newest events shown; a long timeline says how many it left out


def _age(context: GridContext, lang: str, stamp: str) -> str:
    minutes = my_cases.minutes_since(context.runtime.clock, stamp)
    if minutes < 60:
        return t(lang, "mycases.minutes_ago", n=minutes)
    if minutes < 24 * 60:
        return t(lang, "mycases.hours_ago", n=minutes // 60)
    return t(lang, "mycases.days_ago", n=minutes // (24 * 60))


def _local(context: GridContext, stamp: str) -> str:
    return my_cases.local_time(stamp, context.runtime.config.tz)


async def _page(
    context: GridContext, member: Member, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    lang = member.language
    found = await my_cases.read_page(context.runtime.db, member, page)
    if found.total == 0:
        return t(lang, "mycases.none"), None
    lines = [t(lang, "mycases.header", total=found.total, page=found.page + 1, pages=found.pages)]
    buttons: list[InlineKeyboardButton] = []
    first = found.page * my_cases.PAGE_SIZE
    for index, case in enumerate(found.cases, start=first + 1):
        lines.append(
            t(
                lang,
                "mycases.line",
                index=index,
                number=case.number,
                category=t(lang, keys.CATEGORY(case.category)),
                status=t(lang, keys.STATUS(case.status)),
                age=_age(context, lang, case.created_at),
            )
        )
        buttons.append(
            InlineKeyboardButton(
                f"{index}. {case.number}", callback_data=pack(PREFIX, "c", case.id, found.page)
            )
        )
    lines.append(t(lang, "mycases.hint"))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav: list[InlineKeyboardButton] = []
    if found.page > 0:
        nav.append(
            InlineKeyboardButton(
                t(lang, "mycases.previous"), callback_data=pack(PREFIX, "p", found.page - 1)
            )
        )
    if found.page < found.pages - 1:
        nav.append(
            InlineKeyboardButton(
                t(lang, "mycases.next"), callback_data=pack(PREFIX, "p", found.page + 1)
            )
        )
    if nav:
        rows.append(nav)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _entry(context: GridContext, lang: str, entry: TimelineEntry) -> str:
    if entry.actor == SELF:
        actor = t(lang, "mycases.you")
    elif entry.actor == SYSTEM:
        actor = t(lang, "mycases.system")
    else:
        actor = t(lang, keys.ROLE(entry.actor))
    area = entry.area or t(lang, "mycases.above")
    if entry.actor == SYSTEM and has(keys.AUTO_EVENT(entry.kind)):
        # What the bot did by itself, said as what happened ("到时间…自动…"), no actor.
        what = t(lang, keys.AUTO_EVENT(entry.kind), area=area)
        return t(lang, "mycases.entry_auto", at=_local(context, entry.at), what=what)
    if entry.area and has(keys.AREA_EVENT(entry.kind)):
        what = t(lang, keys.AREA_EVENT(entry.kind), area=entry.area)
    elif has(keys.TIMELINE_EVENT(entry.kind)):
        what = t(lang, keys.TIMELINE_EVENT(entry.kind))
    elif entry.to_status is not None:
        what = t(lang, "mycases.event.other", status=t(lang, keys.STATUS(entry.to_status)))
    else:
        what = t(lang, "mycases.event.updated")
    detail = next(
        (
            str(entry.data[k])
            for k in ("reason", "note", "resolution", "rating")
            if entry.data.get(k)
        ),
        None,
    )
    if detail is None and entry.data.get("voice"):
        detail = t(lang, "mycases.spoken")  # a reason said in a voice message
    # Case handling stores codes for reasons and ratings: show their names.
    if entry.kind == "rejected" and entry.data.get("text"):
        detail = str(entry.data["text"])
    elif entry.kind == "rejected" and has(keys.REJECT_REASON(detail)):
        detail = t(lang, keys.REJECT_REASON(detail))
    elif entry.kind == "rated" and has(keys.RATING(detail)):
        detail = t(lang, keys.RATING(detail))
    at = _local(context, entry.at)
    if detail is None:
        return t(lang, "mycases.entry", at=at, actor=actor, what=what)
    return t(lang, "mycases.entry_detail", at=at, actor=actor, what=what, detail=detail)


def _timeline(context: GridContext, lang: str, found: Timeline, *, whole: bool = False) -> str:
    """A case's timeline; ``whole``: every event, else the newest SHOWN_EVENTS."""
    case = found.view.case
    head = t(
        lang,
        "mycases.case",
        number=case.number,
        category=t(lang, keys.CATEGORY(case.category)),
        kind=t(lang, keys.SUBCATEGORY(case.category, case.subcategory)),
        status=t(lang, keys.STATUS(case.status)),
        description=case_fields.description(found.view, lang, voice_key="mycases.voice"),
        place=case_fields.place(found.view, lang),
    )
    entries = found.entries
    lines = [head]
    if len(entries) > SHOWN_EVENTS and not whole:
        lines.append(t(lang, "mycases.more", n=len(entries) - SHOWN_EVENTS))
        entries = entries[-SHOWN_EVENTS:]
    lines.extend(_entry(context, lang, e) for e in entries)
    return "\n".join(lines)


async def show(update: Update, context: GridContext) -> None:
    """/mycases or the menu button: the first page of the member's reports."""
    member = await require_member(update, context)
    message = update.effective_message
    if member is None or message is None:
        return
    text, markup = await _page(context, member, 0)
    await message.reply_text(text, reply_markup=markup)


async def button(update: Update, context: GridContext) -> None:
    """Page the list, open a case, or go back to the list."""
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    try:
        parts = fields(query.data, PREFIX)
        if len(parts) == 2 and parts[0] == "p":
            text, markup = await _page(context, member, number(parts[1]))
        elif len(parts) == 3 and parts[0] == "c":
            page = number(parts[2])
            found = await my_cases.read_timeline(context.runtime.db, member, number(parts[1]))
            if found is None:  # not this member's case: a forged button
                raise BadCallback(query.data)
            fitted = fit(_timeline(context, lang, found))
            text = fitted.text
            back = InlineKeyboardButton(
                t(lang, "mycases.back"), callback_data=pack(PREFIX, "p", page)
            )
            rows = [[back]]
            if fitted.shortened:
                rows.insert(0, [show_all_button(lang, TIMELINE, found.view.case.id)])
            markup = InlineKeyboardMarkup(rows)
        else:
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():  # the same page again: nothing to do
            raise


async def whole(update: Update, context: GridContext) -> None:
    """📄 查看全文 under a timeline (or a notice to the reporter): the timeline whole."""
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, member = pressed
    try:
        what, item = unpack(query.data, SHOW_ALL, 2)
        found = await my_cases.read_timeline(context.runtime.db, member, number(item))
        if what != TIMELINE or found is None:  # not this member's case: a forged button
            raise BadCallback(query.data or "")
    except BadCallback:
        await answer_stale(query, member.language)
        return
    await query.answer()
    text = _timeline(context, member.language, found, whole=True)
    await send_whole(context.bot, member.tg_user_id, text)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/mycases, its menu button, and its buttons."""
    return [
        CommandHandler("mycases", show, filters=filters.ChatType.PRIVATE),
        MessageHandler(label_filter("mycases"), show),
        CallbackQueryHandler(button, pattern=pattern(PREFIX)),
        CallbackQueryHandler(whole, pattern=pattern(SHOW_ALL, TIMELINE)),
    ]
