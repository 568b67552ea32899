"""The buttons on a case: admins' actions on their alert, and the reporter's answers.

One-press actions (accept, escalate, a reject reason, an assignee) call the lifecycle
service at once; the steps that need typing (the reason "other", what was done and
the mediation record, a note, why it is not fixed) run in the persistent conversation
``case_input`` (see case_input.mmd). Every button carries the case id and the version
it was drawn at; the service refuses a stale, forged or replayed one, and the person
gets a short answer while nothing changes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.services import cases, typed_text
from bot.services.cases import MAX_TEXT, CaseRefused, MediationRecord, Rating, RejectReason
from bot.services.categories import Category
from bot.services.members import Member
from handlers.access import require_admin, require_button, require_member
from handlers.callbacks import BadCallback, answer_stale, number, pack
from handlers.case_alerts import ADMIN, REPORTER, card_message
from handlers.context import GridContext
from handlers.conversation import cancel_drop, explain
from handlers.flows import flow_conversation

DRAFT = "case_input"
(REASON, RESOLUTION, PHOTO, PARTIES, FACTS, AGREEMENT, FULFILMENT, NOTE, NOT_FIXED) = range(9)
ASSIGNEES_SHOWN = 12


def parse(data: str | None, prefix: str) -> tuple[int, int, str, str | None]:
    """(case id, version, action, argument) of a case button; BadCallback if malformed."""
    parts = (data or "").split(":")
    if len(parts) not in (4, 5) or parts[0] != prefix:
        raise BadCallback(data or "")
    return number(parts[1]), number(parts[2]), parts[3], parts[4] if len(parts) == 5 else None


async def _refused(update: Update, lang: str, refused: CaseRefused) -> None:
    query = update.callback_query
    text = t(lang, f"handling.refused.{refused.reason.value}")
    if query is not None:
        await query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def redraw(update: Update, context: GridContext, member: Member, case_id: int) -> None:
    """Show the pressed card as the case is now (its outbox edit then changes nothing)."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    drawn = await card_message(
        context.runtime, case_id, member.language, member=member, recipient=str(chat.id)
    )
    if drawn is None:
        return
    text, markup = drawn
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


# ---------------------------------------------------------------------- one-press actions


async def admin_button(update: Update, context: GridContext) -> None:
    """An admin's button on a case card."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return
    query, admin = pressed
    lang = admin.language
    runtime = context.runtime
    db, clock, config = runtime.db, runtime.clock, runtime.config
    try:
        case_id, version, action, arg = parse(query.data, ADMIN)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "accept" and arg is None:
            case = await cases.accept(db, clock, admin, case_id, version)
            done = t(lang, "handling.done.accepted", number=case.number)
        elif action == "escalate" and arg is None:
            case = await cases.escalate(db, clock, config, admin, case_id, version)
            area = await cases.responsible_area(db, case)
            done = t(
                lang,
                "handling.done.escalated",
                number=case.number,
                area=area.path if area else "-",
            )
        elif action == "reason" and arg in {r.value for r in RejectReason} and arg != "other":
            case = await cases.reject(db, clock, admin, case_id, version, RejectReason(arg))
            done = t(lang, "handling.done.rejected", number=case.number)
        elif action == "to" and arg is not None:
            case = await cases.assign(db, clock, admin, case_id, version, number(arg))
            assignee = await cases.member(db, number(arg))
            done = t(
                lang,
                "handling.done.assigned",
                number=case.number,
                name=assignee.name if assignee else "-",
            )
        elif action == "reject" and arg is None:
            case = await cases.check_handle(db, admin, case_id, version)
            await query.answer()
            await query.edit_message_reply_markup(_reasons(case.id, case.version, lang))
            return
        elif action == "assign" and arg is None:
            case = await cases.check_handle(db, admin, case_id, version)
            people = await cases.assignees(db, case)
            if not people:
                await query.answer(t(lang, "handling.ask.no_assignees"), show_alert=True)
                return
            await query.answer()
            await query.edit_message_reply_markup(_assignees(case.id, case.version, lang, people))
            return
        elif action == "open" and arg is None:
            case = await cases.check_see(db, admin, case_id)
            await query.answer()
            chat = update.effective_chat
            assert chat is not None
            drawn = await card_message(runtime, case.id, lang, member=admin, recipient=str(chat.id))
            if drawn is not None:
                await context.bot.send_message(chat.id, drawn[0], reply_markup=drawn[1])
            return
        elif action == "back" and arg is None:
            await query.answer()
            await redraw(update, context, admin, case_id)
            return
        else:
            raise BadCallback(query.data or "")
    except BadCallback:
        await answer_stale(query, lang)
        return
    except CaseRefused as refused:
        await _refused(update, lang, refused)
        if refused.case is not None and refused.reason is not cases.Refusal.NOT_ALLOWED:
            await redraw(update, context, admin, refused.case.id)
        return
    await query.answer(done)
    await redraw(update, context, admin, case_id)


def _reasons(case_id: int, version: int, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [(t(lang, f"handling.reason.{r.value}"), pack(ADMIN, case_id, version, "reason", r.value))]
        for r in RejectReason
    ]
    rows.append([(t(lang, "handling.button.back"), pack(ADMIN, case_id, version, "back"))])
    return _keyboard(rows)


def _assignees(case_id: int, version: int, lang: str, people: list[Member]) -> InlineKeyboardMarkup:
    shown = people[:ASSIGNEES_SHOWN]
    buttons = [
        (f"{p.name} · {t(lang, f'role.{p.role}')}", pack(ADMIN, case_id, version, "to", p.id))
        for p in shown
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(t(lang, "handling.button.back"), pack(ADMIN, case_id, version, "back"))])
    return _keyboard(rows)


async def reporter_button(update: Update, context: GridContext) -> None:
    """The reporter's 已解决 button, or a rating."""
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        case_id, version, action, arg = parse(query.data, REPORTER)
        if action == "fixed" and arg is None:
            case = await cases.confirm(runtime.db, runtime.clock, member, case_id, version)
            done = t(lang, "handling.done.confirmed", number=case.number)
        elif action == "rate" and arg in {r.value for r in Rating}:
            rating = Rating(arg)
            case = await cases.rate(runtime.db, runtime.clock, member, case_id, version, rating)
            done = t(lang, "handling.done.rated", rating=t(lang, f"rating.{rating.value}"))
        else:
            raise BadCallback(query.data or "")
    except BadCallback:
        await answer_stale(query, lang)
        return
    except CaseRefused as refused:
        await _refused(update, lang, refused)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, done)


# ---------------------------------------------------------------------- typed steps


def _draft(context: GridContext) -> dict[str, Any] | None:
    draft = context.store.get(DRAFT)
    return draft if isinstance(draft, dict) else None


async def _say(update: Update, context: GridContext, text: str, markup: Any = None) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text, reply_markup=markup)


async def begin_input(update: Update, context: GridContext) -> int:
    """A button that needs typing: reject 'other', resolve, note, or the reporter's 未解决."""
    pressed = await require_button(update, context)
    if pressed is None:
        return ConversationHandler.END
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        if (query.data or "").startswith(REPORTER):
            case_id, version, action, arg = parse(query.data, REPORTER)
            case = await cases.check_reporter(runtime.db, member, case_id, version)
            kind, state, ask = "not_fixed", NOT_FIXED, "handling.ask.reopen_reason"
        else:
            case_id, version, action, arg = parse(query.data, ADMIN)
            case = await cases.check_handle(runtime.db, member, case_id, version)
            if action == "reason" and arg == "other":
                kind, state, ask = "reject", REASON, "handling.ask.reject_other"
            elif action == "resolve" and arg is None:
                if case.status not in cases.WORKING:
                    raise CaseRefused(cases.Refusal.HANDLED, case)
                kind, state, ask = "resolve", RESOLUTION, "handling.ask.resolve_text"
            elif action == "note" and arg is None:
                kind, state, ask = "note", NOTE, "handling.ask.note"
            else:
                raise BadCallback(query.data or "")
    except BadCallback:
        await answer_stale(query, lang)
        return ConversationHandler.END
    except CaseRefused as refused:
        await _refused(update, lang, refused)
        return ConversationHandler.END
    await query.answer()
    context.store[DRAFT] = {
        "case_id": case.id,
        "version": case.version,
        "kind": kind,
        "number": case.number,
        "dispute": case.category == Category.DISPUTE.value,
    }
    await _say(update, context, t(lang, ask, number=case.number))
    return state


async def _typed(update: Update, context: GridContext) -> tuple[Member, dict[str, Any], str] | None:
    """The member, their draft and the text they typed, or None after saying what is wrong."""
    message = update.effective_message
    member = await require_member(update, context)
    draft = _draft(context)
    if member is None or draft is None or message is None or message.text is None:
        return None
    text = typed_text.clean_text(message.text).strip()
    if len(text) > MAX_TEXT:
        await message.reply_text(t(member.language, "handling.ask.too_long", limit=MAX_TEXT))
        return None
    return member, draft, text


TextStep = Callable[[Update, GridContext, Member, dict[str, Any], str], Awaitable[int | None]]


def _text_step(step: TextStep) -> Callable[[Update, GridContext], Awaitable[int | None]]:
    """A typed step's handler: ``step`` gets the member, the draft and the checked text."""

    @functools.wraps(step)
    async def handler(update: Update, context: GridContext) -> int | None:
        got = await _typed(update, context)
        if got is None:
            return None
        return await step(update, context, *got)

    return handler


async def _finish(
    update: Update, context: GridContext, member: Member, action: Any, done_key: str
) -> int:
    """Run the service call; answer with ``done_key`` or why it was refused; end."""
    lang = member.language
    context.store.pop(DRAFT, None)
    try:
        case = await action
    except CaseRefused as refused:
        await _refused(update, lang, refused)
        return ConversationHandler.END
    await _say(update, context, t(lang, done_key, number=case.number))
    return ConversationHandler.END


@_text_step
async def reason_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The reason 'other' for not taking the case up."""
    runtime = context.runtime
    call = cases.reject(
        runtime.db,
        runtime.clock,
        member,
        draft["case_id"],
        draft["version"],
        RejectReason.OTHER,
        text,
    )
    return await _finish(update, context, member, call, "handling.done.rejected")


@_text_step
async def note_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """An internal note."""
    runtime = context.runtime
    context.store.pop(DRAFT, None)
    try:
        await cases.note(runtime.db, runtime.clock, member, draft["case_id"], text)
    except CaseRefused as refused:
        await _refused(update, member.language, refused)
        return ConversationHandler.END
    await _say(update, context, t(member.language, "handling.done.noted"))
    return ConversationHandler.END


@_text_step
async def not_fixed_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The reporter's reason why it is not fixed: the case reopens."""
    runtime = context.runtime
    call = cases.reopen(
        runtime.db,
        runtime.clock,
        runtime.config,
        member,
        draft["case_id"],
        draft["version"],
        text,
    )
    return await _finish(update, context, member, call, "handling.done.reopened")


@_text_step
async def resolution_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """What was done: then an optional photo."""
    draft["resolution"] = text
    skip = _keyboard(
        [
            [
                (
                    t(member.language, "handling.button.skip"),
                    pack(ADMIN, draft["case_id"], draft["version"], "skip"),
                )
            ]
        ]
    )
    await _say(update, context, t(member.language, "handling.ask.resolve_photo"), skip)
    return PHOTO


async def photo_sent(update: Update, context: GridContext) -> int | None:
    """The photo of the result."""
    message = update.effective_message
    draft = _draft(context)
    member = await require_member(update, context)
    if member is None or draft is None or message is None or not message.photo:
        return None
    best = message.photo[-1]
    draft["photo"] = [best.file_id, best.file_unique_id]
    return await _after_photo(update, context, member, draft)


async def photo_skipped(update: Update, context: GridContext) -> int | None:
    """The 跳过 button: no photo."""
    pressed = await require_button(update, context)
    draft = _draft(context)
    if pressed is None:
        return ConversationHandler.END
    query, member = pressed
    try:
        case_id, _version, action, _arg = parse(query.data, ADMIN)
        if draft is None or action != "skip" or case_id != draft["case_id"]:
            raise BadCallback(query.data or "")
    except BadCallback:
        await answer_stale(query, member.language)
        return None
    await query.answer()
    await query.edit_message_reply_markup(None)
    return await _after_photo(update, context, member, draft)


async def _after_photo(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any]
) -> int:
    if draft.get("dispute"):
        await _say(update, context, t(member.language, "handling.ask.parties"))
        return PARTIES
    return await _resolve(update, context, member, draft)


async def _resolve(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any]
) -> int:
    runtime = context.runtime
    record = None
    if draft.get("dispute"):
        record = MediationRecord(
            parties=draft["parties"],
            facts=draft["facts"],
            agreement=draft["agreement"],
            fulfilment=draft["fulfilment"],
        )
    photo = draft.get("photo")
    call = cases.resolve(
        runtime.db,
        runtime.clock,
        runtime.config,
        member,
        draft["case_id"],
        draft["version"],
        draft["resolution"],
        photo=(photo[0], photo[1]) if photo else None,
        mediation=record,
    )
    return await _finish(update, context, member, call, "handling.done.resolved")


def _mediation_step(field: str, next_state: int | None, next_ask: str | None) -> Any:
    async def step(
        update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
    ) -> int | None:
        draft[field] = text
        if next_state is None or next_ask is None:
            return await _resolve(update, context, member, draft)
        await _say(update, context, t(member.language, next_ask))
        return next_state

    step.__name__ = f"{field}_typed"
    step.__doc__ = f"The mediation record's {field}."
    return _text_step(step)


# Not a text where a text is asked for; not a photo where a photo (or Skip) is.
wrong_text = explain("handling.ask.text_please")
wrong_photo = explain("handling.ask.photo_please")
# /cancel: drop what was being typed; the case does not change.
cancel = cancel_drop(DRAFT, "handling.ask.cancelled")

INPUT_PATTERN = rf"^({ADMIN}:\d+:\d+:(resolve|note|reason:other)|{REPORTER}:\d+:\d+:not_fixed)$"


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The case_input conversation, then the one-press buttons of admins and reporters."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.StatusUpdate.ALL

    def typed(callback: Any) -> list[BaseHandler[Any, Any, Any]]:
        return [MessageHandler(text, callback), MessageHandler(other, wrong_text)]

    entry: BaseHandler[Any, Any, Any] = CallbackQueryHandler(begin_input, pattern=INPUT_PATTERN)
    conversation = flow_conversation(
        name="case_input",
        entry_points=[entry],
        states={
            REASON: typed(reason_typed),
            RESOLUTION: typed(resolution_typed),
            PHOTO: [
                MessageHandler(filters.PHOTO, photo_sent),
                CallbackQueryHandler(photo_skipped, pattern=rf"^{ADMIN}:\d+:\d+:skip$"),
                MessageHandler(other, wrong_photo),
            ],
            PARTIES: typed(_mediation_step("parties", FACTS, "handling.ask.facts")),
            FACTS: typed(_mediation_step("facts", AGREEMENT, "handling.ask.agreement")),
            AGREEMENT: typed(_mediation_step("agreement", FULFILMENT, "handling.ask.fulfilment")),
            FULFILMENT: typed(_mediation_step("fulfilment", None, None)),
            NOTE: typed(note_typed),
            NOT_FIXED: typed(not_fixed_typed),
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        allow_reentry=True,
    )
    return [
        conversation,
        CallbackQueryHandler(admin_button, pattern=re.compile(rf"^{ADMIN}:")),
        CallbackQueryHandler(reporter_button, pattern=re.compile(rf"^{REPORTER}:")),
    ]
