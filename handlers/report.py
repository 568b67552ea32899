"""/report: a leader or assistant reports a case in a few taps and one message.

Category, then the details of that category (kind; for a dispute the parties, for
an opinion whether the name is withheld), the description as text or voice,
photos (optional; one by one or an album), the place (a button, a shared location
or a typed address), urgency, and a summary to submit, change or cancel. The next
question is always the first unanswered one (bot/services/report_draft.py), so
changing a field at the summary asks just that field again. See report.mmd.

Buttons carry the draft's id (``rep:<flow>:<action>:<value>``); a button of an
older draft, or of a step already answered, is stale. An idle draft is ended by
the ``sweep:drafts`` job, which also ends the conversation here.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import Any

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
from bot.outgoing import OutboxRow, Outgoing, Renderer
from bot.runtime import Runtime
from bot.services import report_flow, typed_text
from bot.services.categories import SUBCATEGORIES, Category
from bot.services.members import Member
from bot.services.report_draft import (
    BadText,
    Draft,
    DraftIncomplete,
    Step,
    add_photo,
    changeable,
    choose_category,
    choose_kind,
    clean_text,
    first_of_album,
    next_step,
    reopen,
)
from bot.services.report_flow import DRAFT_EXPIRED
from bot.services.reporting import ReportRefused
from handlers.access import require_leader
from handlers.callbacks import BadCallback, new_flow_id, number, pack, pattern, unpack
from handlers.context import GridContext
from handlers.menu import any_label, label_filter

NAME = "report"  # the conversation's name
DRAFT = "report"  # user_data key of the draft
PREFIX = "rep"

# One conversation state per question, named after it.
STATE: dict[Step, int] = {step: index for index, step in enumerate(Step)}

# The button actions each question accepts.
ACTIONS: dict[Step, frozenset[str]] = {
    Step.CATEGORY: frozenset({"cat"}),
    Step.KIND: frozenset({"kind"}),
    Step.PARTIES: frozenset({"parties"}),
    Step.ANONYMOUS: frozenset({"anon"}),
    Step.DESCRIPTION: frozenset(),
    Step.PHOTOS: frozenset({"photos"}),
    Step.PLACE: frozenset({"place"}),
    Step.URGENCY: frozenset({"urg"}),
    Step.SUMMARY: frozenset({"sum", "chg"}),
}

# What a wrong kind of message is told, per question.
WRONG: dict[Step, str] = {
    Step.PARTIES: "report.wrong.parties",
    Step.DESCRIPTION: "report.wrong.description",
    Step.PHOTOS: "report.wrong.photos",
    Step.PLACE: "report.wrong.place",
}


def _button(label: str, flow: str, action: str, value: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(PREFIX, flow, action, value))


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _load(context: GridContext) -> Draft | None:
    return Draft.from_json(context.store.get(DRAFT))


def _save(context: GridContext, draft: Draft) -> None:
    context.store[DRAFT] = draft.to_json()


async def _question(
    context: GridContext, member: Member, draft: Draft
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the draft's next question."""
    lang = member.language
    flow = draft.flow
    limits = context.runtime.config.reports
    step = next_step(draft)
    category = t(lang, f"category.{draft.category}") if draft.category else ""
    match step:
        case Step.CATEGORY:
            buttons = [_button(t(lang, f"category.{c}"), flow, "cat", c.value) for c in Category]
            return t(lang, "report.choose_category"), InlineKeyboardMarkup(_rows(buttons))
        case Step.KIND:
            assert draft.category is not None
            kinds = SUBCATEGORIES[Category(draft.category)]
            buttons = [
                _button(t(lang, f"subcategory.{draft.category}.{k}"), flow, "kind", k)
                for k in kinds
            ]
            key = (
                "report.choose_topic"
                if draft.category == Category.OPINION
                else "report.choose_kind"
            )
            return t(lang, key, category=category), InlineKeyboardMarkup(_rows(buttons))
        case Step.PARTIES:
            skip = [[_button(t(lang, "report.button.skip"), flow, "parties", "skip")]]
            return t(lang, "report.ask_parties"), InlineKeyboardMarkup(skip)
        case Step.ANONYMOUS:
            buttons = [
                _button(t(lang, "report.button.hide_name"), flow, "anon", 1),
                _button(t(lang, "report.button.show_name"), flow, "anon", 0),
            ]
            return t(lang, "report.ask_anonymous"), InlineKeyboardMarkup([buttons])
        case Step.DESCRIPTION:
            return t(lang, "report.ask_description", limit=limits.description_max_chars), None
        case Step.PHOTOS:
            return t(lang, "report.ask_photos", limit=limits.max_photos), _photo_buttons(
                lang, draft
            )
        case Step.PLACE:
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
            return t(lang, "report.ask_place"), InlineKeyboardMarkup(_rows(buttons, 3))
        case Step.URGENCY:
            buttons = [
                _button(t(lang, "urgency.normal"), flow, "urg", 0),
                _button(t(lang, "urgency.urgent"), flow, "urg", 1),
            ]
            return t(lang, "report.ask_urgency"), InlineKeyboardMarkup([buttons])
        case Step.SUMMARY:
            return await _summary(context, member, draft), _summary_buttons(lang, flow)


def _photo_buttons(lang: str, draft: Draft) -> InlineKeyboardMarkup:
    if draft.photos:
        button = _button(t(lang, "report.button.photos_done"), draft.flow, "photos", "done")
    else:
        button = _button(t(lang, "report.button.no_photos"), draft.flow, "photos", "none")
    return InlineKeyboardMarkup([[button]])


def _summary_buttons(lang: str, flow: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(t(lang, "report.button.submit"), flow, "sum", "ok")],
            [
                _button(t(lang, "report.button.change"), flow, "sum", "change"),
                _button(t(lang, "report.button.cancel"), flow, "sum", "cancel"),
            ],
        ]
    )


async def _summary(context: GridContext, member: Member, draft: Draft) -> str:
    lang = member.language
    assert draft.category is not None
    details = ""
    if draft.category == Category.DISPUTE and draft.parties:
        details += t(lang, "report.summary_parties", parties=draft.parties)
    if draft.category == Category.OPINION:
        hidden = "report.name_hidden" if draft.anonymous else "report.name_shown"
        details += t(lang, "report.summary_anonymous", anonymous=t(lang, hidden))
    if draft.description is not None:
        description = draft.description
    else:
        description = t(lang, "report.voice", seconds=draft.voice_duration or 0)
    place = draft.place_text or ""
    if draft.place_area_id is not None:
        area = await report_flow.place_area(context.runtime.db, member, draft.place_area_id)
        place = area.path if area is not None else "-"
    elif draft.latitude is not None and draft.longitude is not None:
        place = t(
            lang,
            "report.coordinates",
            latitude=f"{draft.latitude:.5f}",
            longitude=f"{draft.longitude:.5f}",
        )
    return t(
        lang,
        "report.summary",
        category=t(lang, f"category.{draft.category}"),
        kind=t(lang, f"subcategory.{draft.category}.{draft.kind}"),
        details=Html(details),
        description=description,
        photos=len(draft.photos),
        place=place,
        urgency=t(lang, "urgency.urgent" if draft.urgent else "urgency.normal"),
    )


async def _ask(
    update: Update, context: GridContext, member: Member, draft: Draft, lead: str | None = None
) -> int:
    """Send the next question (after ``lead``, an explanation); return its state."""
    chat = update.effective_chat
    assert chat is not None
    text, markup = await _question(context, member, draft)
    if lead:
        text = f"{lead}\n\n{text}"
    await _retire_keyboard(context, chat.id, draft)
    sent = await context.bot.send_message(chat.id, text, reply_markup=markup)
    draft.keyboard_message = sent.message_id if markup is not None else None
    _save(context, draft)
    return STATE[next_step(draft)]


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


async def begin(update: Update, context: GridContext) -> int:
    """/report or the menu button: start a new draft and ask the category."""
    member = await require_leader(update, context)
    if member is None or update.effective_message is None:
        return ConversationHandler.END
    draft = Draft(flow=new_flow_id(), photos_allowed=context.runtime.config.reports.max_photos > 0)
    _save(context, draft)
    runtime = context.runtime
    await report_flow.begin(runtime.db, runtime.clock, member, draft.flow)
    return await _ask(update, context, member, draft)


async def _current(update: Update, context: GridContext) -> tuple[Member, Draft] | int:
    """The member and their live draft, or the state to return (the draft was ended)."""
    member = await require_leader(update, context)
    if member is None:
        context.store.pop(DRAFT, None)
        return ConversationHandler.END
    draft = _load(context)
    runtime = context.runtime
    if draft is None or not await report_flow.touch(runtime.db, runtime.clock, member, draft):
        context.store.pop(DRAFT, None)
        text = t(member.language, "report.expired_here")
        query = update.callback_query
        if query is not None:
            await query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
        return ConversationHandler.END
    return member, draft


async def button(update: Update, context: GridContext) -> int:
    """A button of the draft: the answer to the current question, or a summary action."""
    query = update.callback_query
    assert query is not None
    found = await _current(update, context)
    if isinstance(found, int):
        return found
    member, draft = found
    lang = member.language
    step = next_step(draft)
    db = context.runtime.db
    try:
        flow, action, value = unpack(query.data, PREFIX, 3)
        if flow != draft.flow or action not in ACTIONS[step]:
            raise BadCallback(query.data)
        if action == "cat" and not choose_category(draft, value):
            raise BadCallback(query.data)
        if action == "kind" and not choose_kind(draft, value):
            raise BadCallback(query.data)
        if action == "parties":
            if value != "skip":
                raise BadCallback(query.data)
            draft.parties, draft.parties_done = None, True
        if action in ("anon", "urg"):
            if value not in ("0", "1"):
                raise BadCallback(query.data)
            if action == "anon":
                draft.anonymous = value == "1"
            else:
                draft.urgent = value == "1"
        if action == "photos":
            if value not in ("none", "done"):
                raise BadCallback(query.data)
            draft.photos_done = True
        if action == "place":
            area = await report_flow.place_area(db, member, number(value))
            if area is None:
                raise BadCallback(query.data)
            reopen(draft, Step.PLACE)
            draft.place_area_id = area.id
        if action == "chg" and value not in {"back", *(s.value for s in changeable(draft))}:
            raise BadCallback(query.data)
        if action == "sum" and value not in ("ok", "change", "cancel"):
            raise BadCallback(query.data)
    except BadCallback:
        await query.answer(await _stale_text(context, member, query.data), show_alert=True)
        return STATE[step]
    await query.answer()
    if action == "sum" and value == "ok":
        return await _submit(update, context, member, draft)
    if action == "sum" and value == "cancel":
        return await _cancel(update, context, member, draft)
    if action == "sum":  # change: which field?
        fields = [
            _button(t(lang, f"report.field.{s}"), draft.flow, "chg", s.value)
            for s in changeable(draft)
        ]
        fields.append(_button(t(lang, "report.button.back"), draft.flow, "chg", "back"))
        await query.edit_message_text(
            t(lang, "report.choose_change"), reply_markup=InlineKeyboardMarkup(_rows(fields))
        )
        return STATE[step]
    if action != "chg":
        await _echo_choice(query, draft)
    if action == "chg" and value != "back":
        reopen(draft, Step(value))
    if action in ("cat", "chg"):
        # the category is what the message ending an abandoned draft names
        await report_flow.touch(context.runtime.db, context.runtime.clock, member, draft)
    return await _ask(update, context, member, draft)


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
    parts = (data or "").split(":")
    if len(parts) == 4 and parts[2:] == ["sum", "ok"]:
        case = await report_flow.case_of_draft(context.runtime.db, member, parts[1])
        if case is not None:
            return t(member.language, "report.already_filed", number=case.number)
    return t(member.language, "common.stale_button")


async def _submit(update: Update, context: GridContext, member: Member, draft: Draft) -> int:
    runtime = context.runtime
    lang = member.language
    try:
        opened = await report_flow.submit(runtime.db, runtime.clock, runtime.config, member, draft)
    except DraftIncomplete:
        return await _ask(update, context, member, draft)
    except ReportRefused:
        opened = None
    context.store.pop(DRAFT, None)
    chat = update.effective_chat
    assert chat is not None
    await _retire_keyboard(context, chat.id, draft)
    if opened is None:  # e.g. the member was moved to another area since the draft began
        await report_flow.discard(runtime.db, member, draft.flow)
        await context.bot.send_message(chat.id, t(lang, "report.refused"))
        return ConversationHandler.END
    await context.bot.send_message(chat.id, t(lang, "report.filed", number=opened.case.number))
    return ConversationHandler.END


async def _cancel(update: Update, context: GridContext, member: Member, draft: Draft) -> int:
    context.store.pop(DRAFT, None)
    await report_flow.discard(context.runtime.db, member, draft.flow)
    chat = update.effective_chat
    assert chat is not None
    await _retire_keyboard(context, chat.id, draft)
    await context.bot.send_message(chat.id, t(member.language, "report.cancelled"))
    return ConversationHandler.END


async def message(update: Update, context: GridContext) -> int:
    """A message during the draft: the answer to a typed question, or a wrong kind of input."""
    found = await _current(update, context)
    if isinstance(found, int):
        return found
    member, draft = found
    msg = update.effective_message
    assert msg is not None
    step = next_step(draft)
    lang = member.language
    limits = context.runtime.config.reports
    if step is Step.PHOTOS and msg.photo:
        return await _photo(context, member, draft, msg, limits.max_photos)
    if msg.text and step in (Step.DESCRIPTION, Step.PARTIES, Step.PLACE):
        limit = {
            Step.DESCRIPTION: limits.description_max_chars,
            Step.PARTIES: 200,
            Step.PLACE: 200,
        }[step]
        try:
            text = clean_text(typed_text.clean_text(msg.text), limit)
        except BadText as bad:
            lead = t(lang, f"report.{bad.reason}", length=bad.length, limit=bad.limit)
            return await _ask(update, context, member, draft, lead)
        if step is Step.DESCRIPTION:
            draft.description = text
        elif step is Step.PARTIES:
            draft.parties, draft.parties_done = text, True
        else:
            draft.place_text = text
    elif step is Step.DESCRIPTION and msg.voice:
        draft.voice_file_id = msg.voice.file_id
        duration = msg.voice.duration
        draft.voice_duration = int(
            duration.total_seconds() if isinstance(duration, timedelta) else duration
        )
    elif step is Step.PLACE and msg.location:
        draft.latitude = msg.location.latitude
        draft.longitude = msg.location.longitude
    else:
        album = msg.media_group_id
        if album is not None and not first_of_album(draft, album):
            _save(context, draft)
            return STATE[step]  # an album out of place is explained once, not per photo
        lead = t(lang, WRONG.get(step, "report.wrong.buttons"))
        return await _ask(update, context, member, draft, lead)
    _save(context, draft)
    return await _ask(update, context, member, draft)


async def _photo(
    context: GridContext, member: Member, draft: Draft, msg: Message, limit: int
) -> int:
    """A photo, alone or one of an album: kept, and acknowledged once per album."""
    lang = member.language
    largest = msg.photo[-1]
    kept = add_photo(draft, largest.file_id, largest.file_unique_id, limit)
    album = msg.media_group_id
    first = album is None or first_of_album(draft, album)
    # Said once: an album is acknowledged at its first photo, the limit when first passed.
    if not kept and not draft.full_noted:
        draft.full_noted = True
        text = t(lang, "report.photos_full", limit=limit)
    elif not first or not kept:
        _save(context, draft)
        return STATE[Step.PHOTOS]
    elif album is not None:
        text = t(lang, "report.album_received")
    else:
        text = t(lang, "report.photo_received", count=len(draft.photos), limit=limit)
    await _retire_keyboard(context, msg.chat_id, draft)
    sent = await msg.reply_text(text, reply_markup=_photo_buttons(lang, draft))
    draft.keyboard_message = sent.message_id
    _save(context, draft)
    return STATE[Step.PHOTOS]


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
    conversations = [
        h for h in app.handlers.get(0, []) if isinstance(h, ConversationHandler) and h.name == NAME
    ]
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
        for conversation in conversations:
            # Private chats: the conversation key is (chat id, user id), both the user's.
            conversation._update_state(ConversationHandler.END, (draft.tg_user_id,) * 2)
    await app.update_persistence()
    delivery = getattr(app, "delivery", None)
    if delivery is not None:
        delivery.kick()


async def render_expired(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """The message saying an unfinished report was ended."""
    category = row.payload.get("category")
    name = (
        t(language, f"category.{category}") if category else t(language, "report.expired_unknown")
    )
    return Outgoing(
        text=t(language, "report.expired", category=name, minutes=row.payload.get("minutes", ""))
    )


RENDERERS: dict[str, Renderer] = {DRAFT_EXPIRED: render_expired}


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The report conversation (persistent), and an answer for its buttons once it is over."""
    private = filters.ChatType.PRIVATE
    entry: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler("report", begin, filters=private),
        MessageHandler(label_filter("report"), begin),
    ]
    # Every question takes the same handlers: the draft says which question is open, and
    # each callback checks the answer against it. Menu buttons are left to the guard.
    step_handlers: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(button, pattern=pattern(PREFIX)),
        # Edits of earlier answers are not answers: the summary is where fields change.
        MessageHandler(
            private & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~any_label(), message
        ),
    ]
    conversation: ConversationHandler[GridContext] = ConversationHandler(
        name=NAME,
        persistent=True,
        entry_points=entry,
        states={STATE[step]: step_handlers for step in Step},
        fallbacks=[CommandHandler("cancel", cancel), *entry],
        allow_reentry=True,
    )
    return [conversation, CallbackQueryHandler(stale_button, pattern=pattern(PREFIX))]
