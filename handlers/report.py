"""/report: a leader or assistant reports a case in four taps and one message (issue 15).

The menu button (or /report), the category, the kind, then one message saying what
happened (text, a voice message, or photos with or without a caption; an album is
one message), and 提交 on the summary. The summary holds what the bot assumes (the
place is the leader's own building or village group, the urgency 一般, no photos,
no parties, not anonymous) and changes any of it with one tap, editing itself in
place: 📍 改地点, 🔴 标为紧急, 📷 加照片, ➕ 当事双方 (disputes), 🙈 匿名 (opinions).
Whatever is sent on the way is kept: text or voice sent at the summary is added to
the description, photos are taken at any step, a location is the place, and a text
over its limit is kept and shown back to be shortened. The next question is always
the first unanswered one (bot/services/report_draft.py). See report.mmd.

Buttons carry the draft's id (``rep:<flow>:<action>:<value>``); a button of an
older draft, or of a step already answered, is stale. An idle draft is ended by
the ``sweep:drafts`` job, which also ends the conversation here.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Callable, Coroutine
from contextlib import suppress
from datetime import timedelta
from typing import Any
from weakref import WeakKeyDictionary

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Html, escape, t
from bot.services import report_flow, typed_text
from bot.services.categories import Category, offered_kinds
from bot.services.members import Member
from bot.services.report_draft import (
    MAX_ADDRESS,
    MAX_PARTIES,
    BadText,
    Draft,
    DraftIncomplete,
    Mode,
    Step,
    add_description,
    add_photo,
    add_voice,
    changeable,
    choose_category,
    choose_kind,
    clean_text,
    first_of_album,
    next_step,
    place_at,
    place_with_address,
    place_with_location,
    reopen,
    toggle_anonymous,
    toggle_urgent,
)
from bot.services.reporting import ReportRefused
from bot.telegram.texts_fit import TEXT_LIMIT
from handlers.common import text_keys as keys
from handlers.common.access import require_leader
from handlers.common.callbacks import (
    BadCallback,
    fields,
    new_flow_id,
    number,
    pack,
    pattern,
    unpack,
)
from handlers.common.context import GridContext
from handlers.common.flows import end_flow, flow_conversation
from handlers.common.menu import any_label, label_filter

NAME = "report"  # the conversation's name
DRAFT = "report"  # user_data key of the draft
PREFIX = "rep"

# One conversation state per question. The numbers are those the questions had before
# the four-tap flow, so a draft persisted then is still met by its handlers.
STATE: dict[Step, int] = {Step.CATEGORY: 0, Step.KIND: 1, Step.DESCRIPTION: 4, Step.SUMMARY: 8}
LEGACY_STATES = (2, 3, 5, 6, 7)  # the questions that became the summary's defaults

# The button actions each question accepts; "resume" (continue or start over?) at any.
ACTIONS: dict[Step, frozenset[str]] = {
    Step.CATEGORY: frozenset({"cat"}),
    Step.KIND: frozenset({"kind"}),
    Step.DESCRIPTION: frozenset(),
    Step.SUMMARY: frozenset({"sum", "chg", "place"}),
}
ANYTIME = frozenset({"resume"})
SUMMARY_VALUES = frozenset(
    {"ok", "place", "urgent", "photos", "parties", "anon", "change", "cancel", "drop", "back"}
)
# The summary's screens a button opens.
OPENS: dict[str, Mode] = {
    "place": Mode.PLACE,
    "photos": Mode.PHOTOS,
    "parties": Mode.PARTIES,
    "change": Mode.CHANGE,
    "cancel": Mode.CANCEL,
}

# What a wrong kind of message is told, per question.
WRONG: dict[Step, str] = {
    Step.CATEGORY: "report.wrong.buttons",
    Step.KIND: "report.wrong.buttons",
    Step.DESCRIPTION: "report.wrong.description",
    Step.SUMMARY: "report.wrong.summary",
}


# One update of a member's draft at a time: a second message sent while the bot still
# answers the first (updates handled concurrently) waits, then finds the draft the first
# left, so it is added rather than lost. A cache of locks, not state: nothing to persist.
# Kept per Application (each runs on its own event loop, to which its locks belong).
_LOCKS: WeakKeyDictionary[object, defaultdict[int, asyncio.Lock]] = WeakKeyDictionary()

Callback = Callable[[Update, GridContext], Coroutine[Any, Any, int]]


def _one_at_a_time(callback: Callback) -> Callback:
    @functools.wraps(callback)
    async def run(update: Update, context: GridContext) -> int:
        user = update.effective_user
        if user is None:
            return await callback(update, context)
        locks = _LOCKS.setdefault(context.application, defaultdict(asyncio.Lock))
        async with locks[user.id]:
            return await callback(update, context)

    return run


def _button(label: str, flow: str, action: str, value: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(PREFIX, flow, action, value))


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _load(context: GridContext) -> Draft | None:
    return Draft.from_json(context.store.get(DRAFT))


def _save(context: GridContext, draft: Draft) -> None:
    context.store[DRAFT] = draft.to_json()


def _seconds(duration: object) -> int:
    if isinstance(duration, timedelta):
        return int(duration.total_seconds())
    return int(duration) if isinstance(duration, int | float) else 0


async def _screen(
    context: GridContext, member: Member, draft: Draft
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the draft's open question (at the summary, its open screen)."""
    lang = member.language
    flow = draft.flow
    limits = context.runtime.config.reports
    category = t(lang, keys.CATEGORY(draft.category)) if draft.category else ""
    back = [_button(t(lang, "report.button.back"), flow, "sum", "back")]
    match next_step(draft), draft.open_mode:
        case Step.CATEGORY, _:
            buttons = [_button(t(lang, keys.CATEGORY(c)), flow, "cat", c.value) for c in Category]
            return t(lang, "report.choose_category"), InlineKeyboardMarkup(_rows(buttons))
        case Step.KIND, _:
            assert draft.category is not None
            # Only the kinds met where the reporter lives (no stairwell in a village).
            kinds = offered_kinds(draft.category, member.area_kind)
            buttons = [
                _button(t(lang, keys.SUBCATEGORY(draft.category, k)), flow, "kind", k)
                for k in kinds
            ]
            key = (
                "report.choose_topic"
                if draft.category == Category.OPINION
                else "report.choose_kind"
            )
            return t(lang, key, category=category), InlineKeyboardMarkup(_rows(buttons))
        case Step.DESCRIPTION, _:
            return t(lang, "report.ask_description", limit=limits.description_max_chars), None
        case _, Mode.PLACE:
            places = await report_flow.place_choices(context.runtime.db, member)
            buttons = [
                _button(
                    t(lang, "report.button.whole_area", name=area.name)
                    if index == 0 and len(places) > 1
                    else area.name,
                    flow,
                    "place",
                    area.id,
                )
                for index, area in enumerate(places)
            ]
            rows = [*_rows(buttons, 3), back]
            place = await _place(context, member, draft)
            return t(lang, "report.ask_place", place=place), InlineKeyboardMarkup(rows)
        case _, Mode.PARTIES:
            return t(lang, "report.ask_parties"), InlineKeyboardMarkup([back])
        case _, Mode.PHOTOS:
            text = t(lang, "report.ask_photos", limit=limits.max_photos, count=len(draft.photos))
            return text, InlineKeyboardMarkup([back])
        case _, Mode.DESCRIBE:
            text = t(lang, "report.ask_describe_again", limit=limits.description_max_chars)
            return text, InlineKeyboardMarkup([back])
        case _, Mode.CHANGE:
            fields = [
                _button(t(lang, keys.REPORT_FIELD(s)), flow, "chg", s.value)
                for s in changeable(draft)
            ]
            return t(lang, "report.choose_change"), InlineKeyboardMarkup([*_rows(fields), back])
        case _, Mode.CANCEL:
            return t(lang, "report.confirm_cancel"), _confirm_cancel_buttons(lang, flow)
        case _:
            return await _summary(context, member, draft), _summary_buttons(context, lang, draft)


def _summary_buttons(context: GridContext, lang: str, draft: Draft) -> InlineKeyboardMarkup:
    flow = draft.flow

    def button(key: str, value: str) -> InlineKeyboardButton:
        return _button(t(lang, keys.REPORT_BUTTON(key)), flow, "sum", value)

    urgent = button("normal" if draft.urgent else "urgent", "urgent")
    extras = []
    if context.runtime.config.reports.max_photos > 0:
        extras.append(button("photos", "photos"))
    if draft.category == Category.DISPUTE:
        extras.append(button("parties", "parties"))
    if draft.category == Category.OPINION:
        extras.append(button("named" if draft.anonymous else "anonymous", "anon"))
    rows = [
        [button("submit", "ok")],
        [button("place", "place"), urgent],
        *_rows(extras),
        [button("change", "change"), button("cancel", "cancel")],
    ]
    return InlineKeyboardMarkup([row for row in rows if row])


def _confirm_cancel_buttons(lang: str, flow: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t(lang, "report.button.cancel_yes"), flow, "sum", "drop")],
            [_button(t(lang, "report.button.cancel_no"), flow, "sum", "back")],
        ]
    )


def _resume_buttons(lang: str, flow: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t(lang, "report.button.resume"), flow, "resume", "go")],
            [_button(t(lang, "report.button.restart"), flow, "resume", "new")],
            [_button(t(lang, "report.button.drop"), flow, "resume", "drop")],
        ]
    )


async def _place(context: GridContext, member: Member, draft: Draft) -> Html:
    """The place as the leader reads it: the building or unit, and an address or location."""
    lang = member.language
    area = None
    if draft.place_area_id is not None:
        area = await report_flow.place_area(context.runtime.db, member, draft.place_area_id)
    path = area.path if area is not None else "-"
    if draft.place_text:  # a typed address, in that building
        return Html(t(lang, "report.place_address", area=path, address=draft.place_text))
    if draft.latitude is not None and draft.longitude is not None:
        return Html(
            t(
                lang,
                "report.place_location",
                area=path,
                latitude=f"{draft.latitude:.5f}",
                longitude=f"{draft.longitude:.5f}",
            )
        )
    return escape(path)


async def _summary(context: GridContext, member: Member, draft: Draft) -> str:
    """The summary, as a sentence or two an older person checks at a glance.

    Its parts are bounded (description, parties and address by their limits), so it
    fits Telegram's 4096 characters by construction.
    """
    lang = member.language
    assert draft.category is not None
    said = []
    if draft.description is not None:
        said.append(escape(draft.description))
    voices = [draft.voice_duration or 0] if draft.voice_file_id else []
    voices += [_seconds(seconds) for _, seconds in draft.more_voices]
    said += [Html(t(lang, "report.voice", seconds=seconds)) for seconds in voices]
    if not said:
        said.append(Html(t(lang, "report.see_photos")))
    details = ""
    if draft.category == Category.DISPUTE:
        parties = (
            t(lang, "report.parties_given", parties=draft.parties)
            if draft.parties
            else t(lang, "report.parties_none")
        )
        details = t(lang, "report.summary_parties", parties=Html(parties))
    if draft.category == Category.OPINION:
        who = "report.name_hidden" if draft.anonymous else "report.name_shown"
        details = t(lang, "report.summary_anonymous", anonymous=t(lang, who))
    photos = (
        t(lang, "report.photos_count", count=len(draft.photos))
        if draft.photos
        else t(lang, "report.photos_none")
    )
    return t(
        lang,
        "report.summary",
        place=await _place(context, member, draft),
        category=t(lang, keys.CATEGORY(draft.category)),
        kind=t(lang, keys.SUBCATEGORY(draft.category, draft.kind)),
        urgency=t(lang, "report.summary_urgent" if draft.urgent else "report.summary_normal"),
        description=Html(t(lang, "report.said_separator").join(said)),
        photos=photos,
        details=Html(details),
    )


async def _ask(
    update: Update,
    context: GridContext,
    member: Member,
    draft: Draft,
    lead: str | None = None,
    replace: bool = False,
) -> int:
    """Send the open question (after ``lead``, an explanation); return its state.

    The previous question loses its buttons; with ``replace`` (a summary sent again
    below what the leader just sent) it is deleted, so one summary is in the chat.
    """
    chat = update.effective_chat
    assert chat is not None
    text, markup = await _screen(context, member, draft)
    draft.lead = lead
    if lead:
        text = f"{lead}\n\n{text}"
    if replace:
        await _delete_keyboard(context, chat.id, draft)
    else:
        await _retire_keyboard(context, chat.id, draft)
    sent = await context.bot.send_message(chat.id, text, reply_markup=markup)
    draft.keyboard_message = sent.message_id if markup is not None else None
    _save(context, draft)
    return STATE[next_step(draft)]


async def _redraw(query: CallbackQuery, context: GridContext, member: Member, draft: Draft) -> int:
    """Show the open screen in place of the message whose button was pressed."""
    text, markup = await _screen(context, member, draft)
    draft.lead = None
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
    message = query.message
    if message is not None:
        draft.keyboard_message = message.message_id
    _save(context, draft)
    return STATE[next_step(draft)]


async def _refresh(context: GridContext, chat_id: int, member: Member, draft: Draft) -> None:
    """Bring the summary showing up to date (after another photo of an album), in place."""
    if draft.keyboard_message is None:
        return
    text, markup = await _screen(context, member, draft)
    if draft.lead:
        text = f"{draft.lead}\n\n{text}"
    with suppress(BadRequest):  # unchanged, or gone: the next summary will be right
        await context.bot.edit_message_text(
            text, chat_id=chat_id, message_id=draft.keyboard_message, reply_markup=markup
        )


async def _retire_keyboard(context: GridContext, chat_id: int, draft: Draft) -> None:
    """Take the buttons off the draft's previous question: only the open one has buttons."""
    message_id, draft.keyboard_message = draft.keyboard_message, None
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        # Gone or unchanged: either way it has no buttons to press.
        if "not modified" not in str(error).lower() and "not found" not in str(error).lower():
            raise


async def _delete_keyboard(context: GridContext, chat_id: int, draft: Draft) -> None:
    """Delete the previous question (an older summary); if it cannot be, take its buttons off."""
    message_id = draft.keyboard_message
    if message_id is None:
        return
    try:
        await context.bot.delete_message(chat_id, message_id)
    except BadRequest:
        await _retire_keyboard(context, chat_id, draft)
    draft.keyboard_message = None


async def begin(update: Update, context: GridContext) -> int:
    """/report or the menu button: start a new draft and ask the category."""
    member = await require_leader(update, context)
    if member is None or update.effective_message is None:
        return ConversationHandler.END
    return await _start(update, context, member)


async def _start(update: Update, context: GridContext, member: Member) -> int:
    # The place defaults to the leader's own building (or village group).
    draft = Draft(flow=new_flow_id(), place_area_id=member.area_id)
    context.write_with_update(update, report_flow.begin(context.runtime.clock, member, draft))
    _save(context, draft)
    return await _ask(update, context, member, draft)


async def _current(
    update: Update, context: GridContext, category: str | None = None, *, ending: bool = False
) -> tuple[Member, Draft] | int:
    """The member and their live draft, or the state to return (the draft was ended).

    ``category``: the one a category tap chooses, stored with the same touch (it is what
    the message ending an abandoned draft names, so it is stored before it is shown).
    ``ending``: the tap files the draft, which removes it: it is checked by that removal, in
    the case's own transaction (report_flow.submit), not here.
    """
    member = await require_leader(update, context)
    if member is None:
        context.store.pop(DRAFT, None)
        return ConversationHandler.END
    draft = _load(context)
    runtime = context.runtime
    if draft is not None and next_step(draft) is not Step.CATEGORY:
        category = None  # not the open question: the tap is refused below, not stored
    if draft is None:
        live = False
    elif ending:
        live = True  # checked as it is filed (see _submit)
    else:
        live = await report_flow.touch(
            runtime.db,
            runtime.clock,
            member,
            draft,
            category=category,
            later=functools.partial(context.write_with_update, update),
        )
    if not live:
        return await _ended(update, context, member, draft)
    assert draft is not None  # live
    return member, draft


async def _ended(update: Update, context: GridContext, member: Member, draft: Draft | None) -> int:
    """The draft is no longer alive: say so (or, if it was filed, end with its number)."""
    context.store.pop(DRAFT, None)
    filed = None
    if draft is not None:
        filed = await report_flow.case_of_draft(context.runtime.db, member, draft.flow)
    if draft is not None and filed is not None:
        # Filed, but the step that filed it was cut short (a restart after the case
        # was stored and before the conversation's state was): end it as it would
        # have ended, with the number, instead of calling it expired.
        return await _filed(update, context, member, draft, filed.number)
    text = t(member.language, "report.expired_here")
    query = update.callback_query
    if query is not None:
        await query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return ConversationHandler.END


def _check(draft: Draft, step: Step, data: str | None) -> tuple[str, str]:
    """The action and value of a button of this draft valid now; :class:`BadCallback` if not."""
    flow, action, value = unpack(data, PREFIX, 3)
    if flow != draft.flow or action not in ACTIONS[step] | ANYTIME:
        raise BadCallback(data)
    valid = {
        "resume": value in ("go", "new", "drop"),
        "cat": action != "cat" or choose_category(draft, value),
        "kind": action != "kind" or choose_kind(draft, value),
        "sum": value in SUMMARY_VALUES,
        "chg": value in {s.value for s in changeable(draft)},
        "place": True,  # checked against the member's areas by the caller
    }[action]
    if not valid:
        raise BadCallback(data)
    if action == "sum" and value == "drop" and draft.open_mode is not Mode.CANCEL:
        raise BadCallback(data)  # discarding is only ever the answer to "are you sure?"
    if action == "sum" and value == "parties" and draft.category != Category.DISPUTE:
        raise BadCallback(data)
    if action == "sum" and value == "anon" and draft.category != Category.OPINION:
        raise BadCallback(data)
    return action, value


CATEGORIES = frozenset(c.value for c in Category)


def _tapped(data: str | None) -> tuple[str, str] | None:
    """A draft button's action and value, read before the draft is (checked against it later)."""
    try:
        parts = fields(data, PREFIX)
    except BadCallback:
        return None
    return (parts[1], parts[2]) if len(parts) == 3 else None


@_one_at_a_time
async def button(update: Update, context: GridContext) -> int:
    """A button of the draft: the answer to the open question, or a change at the summary."""
    query = update.callback_query
    assert query is not None
    tapped = _tapped(query.data)
    found = await _current(
        update,
        context,
        tapped[1] if tapped and tapped[0] == "cat" and tapped[1] in CATEGORIES else None,
        ending=tapped == ("sum", "ok"),
    )
    if isinstance(found, int):
        return found
    member, draft = found
    step = next_step(draft)
    db = context.runtime.db
    try:
        action, value = _check(draft, step, query.data)
        if action == "kind" and value not in offered_kinds(draft.category or "", member.area_kind):
            raise BadCallback(query.data)  # a kind this reporter is not offered
        area = None
        if action == "place":
            area = await report_flow.place_area(db, member, number(value))
            if area is None:
                raise BadCallback(query.data)
    except BadCallback:
        await query.answer(await _stale_text(context, member, query.data), show_alert=True)
        return STATE[step]
    await query.answer()
    if action == "resume":
        return await _resume(update, context, member, draft, value)
    if action in ("cat", "kind"):
        # One call in the chat: the answer under its question, the next one below it,
        # in the same message (issue 14); else as before, echoed and sent anew.
        asked = await _ask_in_place(query, context, member, draft)
        if asked is not None:
            return asked
        await _echo_choice(query, draft)
        return await _ask(update, context, member, draft)
    if action == "sum" and value == "ok":
        return await _submit(update, context, member, draft)
    if action == "sum" and value == "drop":
        return await _cancel(update, context, member, draft)
    draft.mode = None
    if area is not None:
        place_at(draft, area.id)
    elif action == "chg":
        if value == Step.DESCRIPTION:
            draft.mode = Mode.DESCRIBE  # the old description stays until a new one comes
        else:
            reopen(draft, Step(value))
            await report_flow.touch(db, context.runtime.clock, member, draft)
    elif value == "urgent":
        toggle_urgent(draft)
    elif value == "anon":
        toggle_anonymous(draft)
    elif value in OPENS:
        draft.mode = OPENS[value]
    return await _redraw(query, context, member, draft)


async def _resume(
    update: Update, context: GridContext, member: Member, draft: Draft, choice: str
) -> int:
    """The answer to "continue this report or start over?"."""
    if choice == "new":
        await report_flow.discard(context.runtime.db, member, draft.flow)
        chat = update.effective_chat
        assert chat is not None
        await _retire_keyboard(context, chat.id, draft)
        return await _start(update, context, member)
    if choice == "drop":
        return await _cancel(update, context, member, draft, "report.dropped")
    draft.mode = None
    return await _ask(update, context, member, draft)


@_one_at_a_time
async def interrupted(update: Update, context: GridContext) -> int:
    """/report or a menu button in the middle of a report: continue it or start over?

    Nothing is thrown away without the member saying so (issue 9).
    """
    draft = _load(context)
    if draft is None:  # the conversation outlived its draft: a fresh start
        return await begin(update, context)
    found = await _current(update, context)
    if isinstance(found, int):
        return found
    member, draft = found
    lang = member.language
    chat = update.effective_chat
    assert chat is not None
    what = t(lang, "report.expired_unknown")
    if draft.category is not None:
        what = t(lang, keys.CATEGORY(draft.category))
    await _retire_keyboard(context, chat.id, draft)
    sent = await context.bot.send_message(
        chat.id,
        t(lang, "report.interrupted", category=what),
        reply_markup=_resume_buttons(lang, draft.flow),
    )
    draft.keyboard_message = sent.message_id
    _save(context, draft)
    return STATE[next_step(draft)]


async def _ask_in_place(
    query: CallbackQuery, context: GridContext, member: Member, draft: Draft
) -> int | None:
    """Edit the answered question into: itself, the answer, the next question with its
    buttons; its state. None when that message cannot take it (then nothing was sent)."""
    message = query.message
    if not isinstance(message, Message) or message.text is None or message.reply_markup is None:
        return None
    if draft.keyboard_message != message.message_id:
        return None  # not the open question: the old path retires the right one
    label = next(
        (
            b.text
            for row in message.reply_markup.inline_keyboard
            for b in row
            if b.callback_data == query.data
        ),
        None,
    )
    if label is None:
        return None
    text, markup = await _screen(context, member, draft)
    combined = f"{message.text_html}\n<b>👉 {escape(label)}</b>\n\n{text}"
    # The HTML source is never shorter than what it renders: within Telegram's limit.
    if len(combined.encode("utf-16-le")) // 2 > TEXT_LIMIT:
        return None
    draft.lead = None
    await query.edit_message_text(combined, reply_markup=markup)
    draft.keyboard_message = message.message_id if markup is not None else None
    _save(context, draft)
    return STATE[next_step(draft)]


async def _echo_choice(query: CallbackQuery, draft: Draft) -> None:
    """Write the answer under its question and take the buttons off, for the chat's record."""
    message = query.message
    if not isinstance(message, Message) or message.text is None or message.reply_markup is None:
        return
    label = next(
        (
            b.text
            for row in message.reply_markup.inline_keyboard
            for b in row
            if b.callback_data == query.data
        ),
        None,
    )
    if label is None:
        return
    await query.edit_message_text(f"{message.text_html}\n<b>👉 {escape(label)}</b>")
    if draft.keyboard_message == message.message_id:
        draft.keyboard_message = None


async def _stale_text(context: GridContext, member: Member, data: str | None) -> str:
    """What a stale button is told: that its report was filed, if it was a submit."""
    try:
        parts = fields(data, PREFIX)
    except BadCallback:
        parts = []
    if len(parts) == 3 and parts[1:] == ["sum", "ok"]:
        case = await report_flow.case_of_draft(context.runtime.db, member, parts[0])
        if case is not None:
            return t(member.language, "report.already_filed", number=case.number)
    return t(member.language, "common.stale_button")


async def _submit(update: Update, context: GridContext, member: Member, draft: Draft) -> int:
    runtime = context.runtime
    lang = member.language
    ended = False
    try:
        opened = await report_flow.submit(runtime.db, runtime.clock, runtime.config, member, draft)
    except report_flow.DraftEnded:  # the sweep ended it meanwhile: nothing was filed
        opened, ended = None, True
    except DraftIncomplete:
        return await _ask(update, context, member, draft)
    except ReportRefused:
        opened = None
    context.store.pop(DRAFT, None)
    chat = update.effective_chat
    assert chat is not None
    if ended:
        outcome = t(lang, "report.expired_here")
    elif opened is None:  # e.g. the member was moved to another area since the draft began
        await report_flow.discard(runtime.db, member, draft.flow)
        outcome = t(lang, "report.refused")
    else:
        outcome = t(lang, "report.filed", number=opened.case.number)
    # One call in the chat: the summary keeps its text, loses its buttons and gains the
    # outcome (issue 14); else as before, the buttons taken off and the outcome sent.
    if not await _close_in_place(update.callback_query, draft, outcome):
        await _retire_keyboard(context, chat.id, draft)
        await context.bot.send_message(chat.id, outcome)
    return ConversationHandler.END


async def _filed(
    update: Update, context: GridContext, member: Member, draft: Draft, number: str
) -> int:
    """Tell the member their draft is filed as case ``number``, as its submit would have."""
    outcome = t(member.language, "report.filed", number=number)
    query = update.callback_query
    if query is not None:
        await query.answer()
    if not await _close_in_place(query, draft, outcome):
        chat = update.effective_chat
        assert chat is not None
        await _retire_keyboard(context, chat.id, draft)
        await context.bot.send_message(chat.id, outcome)
    return ConversationHandler.END


async def _close_in_place(query: CallbackQuery | None, draft: Draft, outcome: str) -> bool:
    """Edit the pressed summary into itself and ``outcome``, without buttons; False
    when it cannot take it (not the open question, or too long): nothing was sent."""
    message = None if query is None else query.message
    if query is None or not isinstance(message, Message) or message.text is None:
        return False
    if draft.keyboard_message != message.message_id:
        return False
    combined = f"{message.text_html}\n\n{outcome}"
    # The HTML source is never shorter than what it renders: within Telegram's limit.
    if len(combined.encode("utf-16-le")) // 2 > TEXT_LIMIT:
        return False
    await query.edit_message_text(combined, reply_markup=None)
    draft.keyboard_message = None
    return True


async def _cancel(
    update: Update,
    context: GridContext,
    member: Member,
    draft: Draft,
    key: str = "report.cancelled",
) -> int:
    context.store.pop(DRAFT, None)
    await report_flow.discard(context.runtime.db, member, draft.flow)
    chat = update.effective_chat
    assert chat is not None
    await _retire_keyboard(context, chat.id, draft)
    await context.bot.send_message(chat.id, t(member.language, key))
    return ConversationHandler.END


@_one_at_a_time
async def message(update: Update, context: GridContext) -> int:
    """A message during the draft: kept for what the open question (or screen) asks.

    Text and voice before the kind is chosen are the description already; a location
    is the place at any step; photos are taken at any step. Only what cannot be used
    (a sticker, a file) is answered with the same question.
    """
    found = await _current(update, context)
    if isinstance(found, int):
        return found
    member, draft = found
    msg = update.effective_message
    assert msg is not None
    step = next_step(draft)
    mode = draft.open_mode if step is Step.SUMMARY else None
    lang = member.language
    limit = context.runtime.config.reports.description_max_chars
    early = step in (Step.CATEGORY, Step.KIND)  # kept, and the same question asked again
    at_summary = step is Step.SUMMARY
    if msg.photo:
        return await _photo(update, context, member, draft, msg)
    lead: str | None = None
    if msg.location:
        place_with_location(draft, member.area_id, msg.location.latitude, msg.location.longitude)
        lead = t(lang, "report.location_kept" if not at_summary else "report.location_taken")
    elif msg.voice:
        if mode is Mode.DESCRIBE:
            reopen(draft, Step.DESCRIPTION)
        add_voice(draft, msg.voice.file_id, _seconds(msg.voice.duration))
        if early:
            lead = t(lang, "report.kept_early")
        elif at_summary:
            lead = t(lang, "report.replaced" if mode is Mode.DESCRIBE else "report.voice_added")
    elif msg.text:
        typed = typed_text.clean_text(msg.text)
        try:
            if mode is Mode.PARTIES:
                draft.parties = clean_text(typed, MAX_PARTIES)
                lead = t(lang, "report.parties_taken")
            elif mode is Mode.PLACE:
                place_with_address(draft, member.area_id, clean_text(typed, MAX_ADDRESS))
                lead = t(lang, "report.address_taken")
            elif mode is Mode.DESCRIBE:
                text = clean_text(typed, limit)
                reopen(draft, Step.DESCRIPTION)
                add_description(draft, text, limit)
                lead = t(lang, "report.replaced")
            else:
                add_description(draft, typed, limit)
                if early:
                    lead = t(lang, "report.kept_early")
                elif at_summary:
                    lead = t(lang, "report.text_added")
        except BadText as bad:
            return await _bad_text(update, context, member, draft, typed, bad)
        draft.held_text = None
    else:
        album = msg.media_group_id
        if album is not None and not first_of_album(draft, album):
            _save(context, draft)
            return STATE[step]  # an album out of place is explained once, not per item
        return await _ask(update, context, member, draft, t(lang, WRONG[step]), at_summary)
    draft.mode = None
    return await _ask(update, context, member, draft, lead, at_summary)


async def _bad_text(
    update: Update, context: GridContext, member: Member, draft: Draft, text: str, bad: BadText
) -> int:
    """Text that cannot be used as it is: say why; a text too long is kept and shown back."""
    lang = member.language
    at_summary = next_step(draft) is Step.SUMMARY
    if bad.reason != "too_long":
        return await _ask(update, context, member, draft, t(lang, "report.empty"), at_summary)
    draft.held_text = text.strip()
    chat = update.effective_chat
    assert chat is not None
    # Shown back on its own (at most Telegram's 4096, as it came), to copy and shorten.
    await context.bot.send_message(chat.id, escape(draft.held_text))
    cut = bad.length - bad.limit
    lead = t(lang, "report.too_long", length=bad.length, limit=bad.limit, cut=cut)
    return await _ask(update, context, member, draft, lead, at_summary)


async def _photo(
    update: Update, context: GridContext, member: Member, draft: Draft, msg: Message
) -> int:
    """A photo, alone or one of an album, at any step: kept, and acknowledged once per album.

    Photos are the description when nothing else was said; a caption is added to it.
    """
    lang = member.language
    limits = context.runtime.config.reports
    limit = limits.max_photos
    before = next_step(draft)
    largest = msg.photo[-1]
    kept = add_photo(draft, largest.file_id, largest.file_unique_id, limit)
    album = msg.media_group_id
    first = album is None or first_of_album(draft, album)  # remembered before anything fails
    lead: str | None = None
    if msg.caption:
        try:
            add_description(draft, typed_text.clean_text(msg.caption), limits.description_max_chars)
        except BadText as bad:
            if bad.reason == "too_long":
                return await _bad_text(update, context, member, draft, msg.caption, bad)
    if not kept and not draft.full_noted:
        draft.full_noted = True
        lead = t(lang, "report.photos_full", limit=limit) if limit else t(lang, "report.photos_off")
    elif not first:
        # Another photo of an album already answered: the summary showing is brought up to date.
        if (kept or msg.caption) and before is Step.SUMMARY:
            await _refresh(context, msg.chat_id, member, draft)
        _save(context, draft)
        return STATE[next_step(draft)]
    elif not kept:
        _save(context, draft)
        return STATE[next_step(draft)]
    elif before in (Step.CATEGORY, Step.KIND):
        lead = t(lang, "report.photo_kept_early")
    elif before is Step.SUMMARY:
        lead = t(lang, "report.photos_added")
    draft.mode = None
    return await _ask(update, context, member, draft, lead, before is Step.SUMMARY)


async def cancel(update: Update, context: GridContext) -> int:
    """/cancel: drop the draft."""
    draft = _load(context)
    member = await context.member(update)
    if draft is None or member is None:
        context.store.pop(DRAFT, None)
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                await context.text(update, "report.cancelled")
            )
        return ConversationHandler.END
    return await _cancel(update, context, member, draft)


async def stale_button(update: Update, context: GridContext) -> None:
    """A button of a draft that is over: say it was filed, or that it is stale."""
    query = update.callback_query
    assert query is not None
    member = await context.member(update)
    if member is None:
        await query.answer(await context.text(update, "common.stale_button"), show_alert=True)
        return
    await query.answer(await _stale_text(context, member, query.data), show_alert=True)


async def expire_drafts(context: GridContext) -> None:
    """The ``sweep:drafts`` job: end idle drafts, and their conversations with them."""
    runtime = context.runtime
    ended = await report_flow.expire_idle(
        runtime.db, runtime.clock, runtime.config.reports.draft_timeout_minutes
    )
    if not ended:
        return
    app = context.application
    for draft in ended:
        data = app.user_data.get(draft.tg_user_id)
        held = data.get(DRAFT) if isinstance(data, dict) else None
        if isinstance(held, dict) and held.get("flow") not in (None, draft.flow):
            continue  # the member has begun another draft since
        if isinstance(data, dict) and held is not None:
            stale = Draft.from_json(data.pop(DRAFT, None))
            if stale is not None and stale.keyboard_message is not None:
                # Best effort: its buttons would only answer "stale" now.
                with suppress(TelegramError):
                    await app.bot.edit_message_reply_markup(
                        draft.tg_user_id, stale.keyboard_message, reply_markup=None
                    )
            app.mark_data_for_update_persistence(user_ids=[draft.tg_user_id])
        # The flow record and the persisted state go; the conversation then takes only
        # a new /report from this member (see handlers/common/flows.py).
        await end_flow(app, draft.tg_user_id, NAME)
    await app.update_persistence()
    delivery = getattr(app, "delivery", None)
    if delivery is not None:
        delivery.kick()


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The report conversation (persistent), and an answer for its buttons once it is over."""
    private = filters.ChatType.PRIVATE
    entry: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler("report", begin, filters=private),
        MessageHandler(label_filter("report"), begin),
    ]
    # Every question takes the same handlers: the draft says which question is open, and
    # each callback checks the answer against it.
    step_handlers: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(button, pattern=pattern(PREFIX)),
        # /report or a menu button mid-report: asked to continue or start over, never lost.
        CommandHandler("report", interrupted, filters=private),
        MessageHandler(private & any_label(), interrupted),
        # Edits of earlier answers are not answers: the summary is where fields change.
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, message),
    ]
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = dict.fromkeys(
        (*STATE.values(), *LEGACY_STATES), step_handlers
    )
    conversation = flow_conversation(
        name=NAME,
        entry_points=entry,
        states=states,
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [conversation, CallbackQueryHandler(stale_button, pattern=pattern(PREFIX))]
