"""The buttons on a case: the handlers', supervisors' and assignee's actions, and the
reporter's answers.

One-press actions (accept, a reject reason, an assignee, urge, take over) call the
lifecycle service at once; the steps that need typing (the reason "other", what was
done and the mediation record, a note, a reason to escalate, to send back or to give
back, why it is not fixed) run in the persistent conversation ``case_input`` (see
case_input.mmd). Every button carries the case id and the version it was drawn at; the
service refuses a stale, forged or replayed one, and the person gets a short answer
while nothing changes. A typed step is checked against the case as it is when the
typing ends: if the action is no longer allowed, the member is told what happened, and
what they typed is shown back and kept as a note, never thrown away.

A card redrawn after a press is drawn for the chat it is in: in a group chat for the
group (its least-privileged audience), never with the presser's rights.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import has, t
from bot.services import cases, typed_text
from bot.services.cases import MAX_TEXT, Card, CaseRefused, MediationRecord, Rating, RejectReason
from bot.services.cases.rules import Act
from bot.services.categories import Category
from bot.services.members import Member
from bot.telegram.texts_fit import TEXT_LIMIT
from handlers.common import text_keys as keys
from handlers.common.access import require_button, require_member
from handlers.common.callbacks import (
    NUMBER,
    BadCallback,
    answer_stale,
    any_of,
    exact,
    fields,
    is_for,
    number,
    pack,
    pattern,
)
from handlers.common.context import GridContext
from handlers.common.conversation import cancel_drop, explain
from handlers.common.flows import flow_conversation
from handlers.common.menu import any_label
from handlers.messages.case_cards import (
    ADMIN,
    REPORTER,
    card_message,
    drawn_card,
    edit_key,
    rating_buttons,
)

DRAFT = "case_input"
(
    REASON,
    RESOLUTION,
    PHOTO,
    PARTIES,
    FACTS,
    AGREEMENT,
    FULFILMENT,
    NOTE,
    NOT_FIXED,
    ESCALATE_REASON,
    SENDBACK_REASON,
    RETURN_REASON,
) = range(12)
ASSIGNEES_SHOWN = 12
# What a typed draft holds, in the order it was asked (shown back if it cannot be applied).
TYPED_FIELDS = ("text", "resolution", "parties", "facts", "agreement", "fulfilment")


def parse(data: str | None, prefix: str) -> tuple[int, int, str, str | None]:
    """(case id, version, action, argument) of a case button; BadCallback if malformed."""
    parts = fields(data, prefix)
    if len(parts) not in (3, 4):
        raise BadCallback(data or "")
    return number(parts[0]), number(parts[1]), parts[2], parts[3] if len(parts) == 4 else None


async def _refused(update: Update, lang: str, refused: CaseRefused) -> None:
    query = update.callback_query
    text = t(lang, keys.REFUSED(refused.reason.value))
    if query is not None:
        await query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def _audience(update: Update, member: Member) -> Member | None:
    """Whom a card in this chat is drawn for: the member in private, the group otherwise."""
    chat = update.effective_chat
    return member if chat is not None and chat.type == ChatType.PRIVATE else None


async def redraw(
    update: Update,
    context: GridContext,
    member: Member,
    case_id: int,
    *,
    moved: bool = False,
    fresh: int | None = None,
) -> None:
    """Show the pressed card as the case is now, for the chat it is in.

    ``moved``: the press moved the case, so the outbox refreshes every copy; the pressed
    one is then left alone by it if it shows what was drawn here (one edit per press).
    ``fresh``: the version the press's action committed (its card drawn then is used).
    """
    query = update.callback_query
    if query is None or query.message is None:
        return
    message_id = query.message.message_id

    async def edit(text: str, markup: InlineKeyboardMarkup | None) -> None:
        assert query is not None
        await query.edit_message_text(text, reply_markup=markup)

    await _show_card(update, context, member, case_id, message_id, edit, moved=moved, fresh=fresh)


Edit = Callable[[str, InlineKeyboardMarkup | None], Awaitable[object]]


async def _show_card(
    update: Update,
    context: GridContext,
    member: Member,
    case_id: int,
    message_id: int,
    edit: Edit,
    *,
    moved: bool,
    fresh: int | None = None,
) -> Card | None:
    """Draw the case's card into message ``message_id`` of this chat with ``edit``; the
    card drawn (None if there is no such case).

    In a group it is drawn as the outbox draws the group's copy: for the group, in the
    group's language (the default), never with the presser's rights or language. With
    ``moved``, the outbox's refresh of the copy kept in this chat (if this is it) is closed
    with the update's save, so it makes no second call; if the edit fails, nothing is
    closed and the outbox's refresh puts the copy right.
    """
    chat = update.effective_chat
    if chat is None:
        return None
    runtime = context.runtime
    audience = _audience(update, member)
    lang = member.language if audience is not None else runtime.config.locale.default_language
    drawn = await drawn_card(
        runtime, case_id, lang, member=audience, recipient=str(chat.id), fresh=fresh
    )
    if drawn is None:
        return None
    card, text, markup = drawn
    try:
        await edit(text, markup)
    except BadRequest as error:
        reason = error.message.lower()
        if "not modified" not in reason:
            if "can't be edited" in reason or "not found" in reason:
                return card  # too old, or deleted: the outbox's refresh (or a new copy) follows
            raise
    if moved:
        recipient = str(chat.id)
        settle = cases.copy_drawn(
            runtime.clock, card, recipient, edit_key(case_id, recipient), chat.id, message_id
        )
        context.write_with_update(update, settle)
    return card


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


# ---------------------------------------------------------------------- one-press actions


async def admin_button(update: Update, context: GridContext) -> None:
    """A button on a case card (handlers, supervisors, the assignee: the service decides)."""
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, admin = pressed
    lang = admin.language
    runtime = context.runtime
    db, clock = runtime.db, runtime.clock
    try:
        case_id, version, action, arg = parse(query.data, ADMIN)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "accept" and arg is None:
            case = await cases.accept(db, clock, admin, case_id, version)
            done = t(lang, "handling.done.accepted", number=case.number)
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
        elif action == "urge" and arg is None:
            case = await cases.urge(db, clock, admin, case_id, version)
            done = t(lang, "handling.done.urged", number=case.number)
        elif action == "takeover" and arg is None:
            case = await cases.take_over(db, clock, admin, case_id, version)
            area = await cases.responsible_area(db, case)
            done = t(
                lang,
                "handling.done.taken_over",
                number=case.number,
                area=area.name if area else "-",
            )
        elif action == "escalate" and arg is None:
            # 升级 asks first: the case stays here, the level above will supervise it.
            case = await cases.check_act(db, admin, case_id, version, Act.ESCALATE)
            area = await cases.responsible_area(db, case)
            ask = t(
                lang,
                "handling.ask.escalate_confirm",
                number=case.number,
                area=area.name if area else "-",
            )
            await query.answer(ask, show_alert=True)
            rows = [
                [
                    (
                        t(lang, "handling.button.confirm_escalate"),
                        pack(ADMIN, case.id, case.version, "escalate", "yes"),
                    )
                ],
                [(t(lang, "handling.button.back"), pack(ADMIN, case.id, case.version, "back"))],
            ]
            await query.edit_message_reply_markup(_keyboard(rows))
            return
        elif action == "reject" and arg is None:
            case = await cases.check_act(db, admin, case_id, version, Act.REJECT)
            await query.answer()
            await query.edit_message_reply_markup(_reasons(case.id, case.version, lang))
            return
        elif action == "assign" and arg is None:
            case = await cases.check_act(db, admin, case_id, version, Act.ASSIGN)
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
            drawn = await card_message(
                runtime, case.id, lang, member=_audience(update, admin), recipient=str(chat.id)
            )
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
    await redraw(update, context, admin, case_id, moved=True, fresh=case.version)


def _reasons(case_id: int, version: int, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [(t(lang, keys.REJECT_REASON(r.value)), pack(ADMIN, case_id, version, "reason", r.value))]
        for r in RejectReason
    ]
    rows.append([(t(lang, "handling.button.back"), pack(ADMIN, case_id, version, "back"))])
    return _keyboard(rows)


def _assignees(case_id: int, version: int, lang: str, people: list[Member]) -> InlineKeyboardMarkup:
    shown = people[:ASSIGNEES_SHOWN]
    buttons = [
        (f"{p.name} · {t(lang, keys.ROLE(p.role))}", pack(ADMIN, case_id, version, "to", p.id))
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
            done = t(lang, "handling.done.rated", rating=t(lang, keys.RATING(rating.value)))
        else:
            raise BadCallback(query.data or "")
    except BadCallback:
        await answer_stale(query, lang)
        return
    except CaseRefused as refused:
        await _refused(update, lang, refused)
        return
    await query.answer()
    # One call in the chat (issue 14): the question keeps its text, loses its buttons and
    # gains the answer; if it cannot take it, the buttons go and the answer is sent.
    if action == "fixed":
        # The closing and its rating question, in the same message: the message that says
        # so, queued for the reporter, is then not sent (if this edit fails, it is).
        asked = t(lang, "handling.done.confirmed_rate", number=case.number)
        rate = rating_buttons(case.id, case.version, lang)
        if await _close_in_place(query, asked, rate):
            context.write_with_update(update, cases.closing_shown(runtime.clock, case))
            return
    elif await _close_in_place(query, done):
        return
    await query.edit_message_reply_markup(None)
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, done)


async def _close_in_place(
    query: CallbackQuery, done: str, markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Edit the pressed question into itself and ``done``, with ``markup`` (none: no
    buttons); False when it cannot take it (no text, or too long): then nothing was sent."""
    message = query.message
    if not isinstance(message, Message) or message.text is None:
        return False
    combined = f"{message.text_html}\n\n{done}"
    # The HTML source is never shorter than what it renders: within Telegram's limit.
    if len(combined.encode("utf-16-le")) // 2 > TEXT_LIMIT:
        return False
    await query.edit_message_text(combined, reply_markup=markup)
    return True


# ---------------------------------------------------------------------- typed steps


def _draft(context: GridContext) -> dict[str, Any] | None:
    draft = context.store.get(DRAFT)
    return draft if isinstance(draft, dict) else None


async def _say(update: Update, context: GridContext, text: str, markup: Any = None) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text, reply_markup=markup)


# (the button's action and argument) -> (draft kind, state, question, the act it needs)
_TYPED: dict[tuple[str, str | None], tuple[str, int, str, Act]] = {
    ("reason", "other"): ("reject", REASON, "handling.ask.reject_other", Act.REJECT),
    ("resolve", None): ("resolve", RESOLUTION, "handling.ask.resolve_text", Act.RESOLVE),
    ("note", None): ("note", NOTE, "handling.ask.note", Act.NOTE),
    ("escalate", "yes"): (
        "escalate",
        ESCALATE_REASON,
        "handling.ask.escalate_reason",
        Act.ESCALATE,
    ),
    ("sendback", None): (
        "sendback",
        SENDBACK_REASON,
        "handling.ask.sendback_reason",
        Act.SEND_BACK,
    ),
    ("return", None): ("return", RETURN_REASON, "handling.ask.return_reason", Act.RETURN),
}


async def begin_input(update: Update, context: GridContext) -> int:
    """A button that needs typing: reject 'other', resolve, note, escalate, send back, give
    back, or the reporter's 未解决."""
    pressed = await require_button(update, context)
    if pressed is None:
        return ConversationHandler.END
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        if is_for(query.data, REPORTER):
            case_id, version, action, arg = parse(query.data, REPORTER)
            case = await cases.check_reporter(runtime.db, member, case_id, version)
            kind, state, ask = "not_fixed", NOT_FIXED, "handling.ask.reopen_reason"
        else:
            case_id, version, action, arg = parse(query.data, ADMIN)
            typed = _TYPED.get((action, arg))
            if typed is None:
                raise BadCallback(query.data or "")
            kind, state, ask, act = typed
            case = await cases.check_act(runtime.db, member, case_id, version, act)
    except BadCallback:
        await answer_stale(query, lang)
        return ConversationHandler.END
    except CaseRefused as refused:
        await _refused(update, lang, refused)
        return ConversationHandler.END
    await query.answer()
    # One call in the chat (issue 14): the question. The card pressed keeps its keyboard
    # (升级's confirmation: pressed again it asks again) until the typing ends or /cancel,
    # which redraw it.
    context.store[DRAFT] = {
        "case_id": case.id,
        "version": case.version,
        "kind": kind,
        "number": case.number,
        "dispute": case.category == Category.DISPUTE,
    }
    if kind != "not_fixed" and query.message is not None:
        # The card pressed: shown as the case is then when the typing ends (a copy opened
        # from /cases or /todo is not one the outbox keeps in step).
        context.store[DRAFT]["card"] = query.message.message_id
    if kind == "not_fixed" and query.message is not None:
        # The question 问题解决了吗？ loses its buttons once the answer is in (see below).
        context.store[DRAFT]["question"] = query.message.message_id
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
        await message.reply_text(
            t(member.language, "handling.ask.too_long", limit=MAX_TEXT, over=len(text) - MAX_TEXT)
        )
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


async def _kept(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any]
) -> None:
    """The action could not be applied: say what happened, keep and show what was typed."""
    runtime = context.runtime
    lang = member.language
    case = await cases.get(runtime.db, draft["case_id"])
    typed = [str(draft[f]) for f in TYPED_FIELDS if draft.get(f)]
    if case is None:
        await _say(update, context, t(lang, "handling.refused.missing"))
    else:
        kind, name, area = await cases.last_change(runtime.db, case)
        key = keys.KEPT(kind) if has(keys.KEPT(kind)) else "handling.kept.other"
        what = t(
            lang, key, name=name or "-", area=area or "-", status=t(lang, keys.STATUS(case.status))
        )
        stored = False
        if typed and await cases.may_note(runtime.db, member, case.id):
            body = "\n".join(typed)
            for start in range(0, len(body), MAX_TEXT):
                await cases.note(
                    runtime.db, runtime.clock, member, case.id, body[start : start + MAX_TEXT]
                )
            stored = True
        intro = t(lang, "handling.kept.noted" if stored else "handling.kept.shown")
        await _say(update, context, f"{what}\n{intro}" if typed else what)
    for text in typed:  # each at most MAX_TEXT characters: one message each
        await _say(update, context, t(lang, "handling.kept.text", text=text))


async def _finish(
    update: Update, context: GridContext, member: Member, action: Any, done_key: str
) -> int:
    """Run the service call; answer with ``done_key``, or keep what was typed; end."""
    lang = member.language
    draft = context.store.pop(DRAFT, None) or {}
    try:
        case = await action
    except CaseRefused as refused:
        query = update.callback_query
        if query is not None:  # the question tapped (跳过) is answered below: no buttons
            with contextlib.suppress(BadRequest):
                await query.edit_message_reply_markup(None)
        if refused.reason is cases.Refusal.BAD_INPUT:
            await _refused(update, lang, refused)
        else:
            await _kept(update, context, member, draft)
        return ConversationHandler.END
    area = await cases.responsible_area(context.runtime.db, case)
    await _redraw_card(update, context, member, draft, case.id, fresh=case.version)
    await _tell(
        update, context, t(lang, done_key, number=case.number, area=area.name if area else "-")
    )
    return ConversationHandler.END


async def _tell(update: Update, context: GridContext, text: str) -> None:
    """Say ``text``: after a tap (跳过), in the question tapped, which loses its buttons
    (one call, issue 14); after typing, as a new message."""
    query = update.callback_query
    if query is not None:
        if await _close_in_place(query, text):
            return
        await query.edit_message_reply_markup(None)
    await _say(update, context, text)


async def _redraw_card(
    update: Update,
    context: GridContext,
    member: Member,
    draft: dict[str, Any],
    case_id: int,
    *,
    moved: bool = True,
    fresh: int | None = None,
) -> Card | None:
    """Redraw the card whose button began the typed step, so its buttons are current
    (``moved``: the step moved the case, see :func:`_show_card`; ``fresh``: the version
    the step's action committed); the card drawn, None if none was."""
    chat = update.effective_chat
    card = draft.get("card")
    if chat is None or not isinstance(card, int):
        return None

    async def edit(text: str, markup: InlineKeyboardMarkup | None) -> None:
        assert chat is not None and isinstance(card, int)
        await context.bot.edit_message_text(
            text, chat_id=chat.id, message_id=card, reply_markup=markup
        )

    with contextlib.suppress(BadRequest):  # the same already (the kept copy), or gone
        return await _show_card(
            update, context, member, case_id, card, edit, moved=moved, fresh=fresh
        )
    return None


@_text_step
async def reason_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The reason 'other' for not taking the case up."""
    runtime = context.runtime
    draft["text"] = text
    call = cases.reject(
        runtime.db, runtime.clock, member, draft["case_id"], None, RejectReason.OTHER, text
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
    except CaseRefused:
        draft["text"] = text
        await _kept(update, context, member, draft)
        return ConversationHandler.END
    await _redraw_card(update, context, member, draft, draft["case_id"])
    await _say(update, context, t(member.language, "handling.done.noted"))
    return ConversationHandler.END


@_text_step
async def escalate_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The reason for 升级: the level above is asked to supervise."""
    runtime = context.runtime
    draft["text"] = text
    call = cases.escalate(
        runtime.db, runtime.clock, runtime.config, member, draft["case_id"], None, reason=text
    )
    lang = member.language
    context.store.pop(DRAFT, None)
    try:
        case = await call
    except CaseRefused as refused:
        if refused.reason is cases.Refusal.TOP:
            await _refused(update, lang, refused)
        else:
            await _kept(update, context, member, draft)
        return ConversationHandler.END
    # The card the escalation drew in its transaction, redrawn; read only if no card was.
    card = await _redraw_card(update, context, member, draft, case.id, fresh=case.version)
    if card is None:
        card = await cases.read_card(runtime.db, case.id)
    # Supervisors are listed from the top down: the level just added is the first.
    upper = card.supervisors[0].path if card is not None and card.supervisors else "-"
    await _say(update, context, t(lang, "handling.done.escalated", number=case.number, area=upper))
    return ConversationHandler.END


@_text_step
async def sendback_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The reason for 退回 by the upper level: the case goes back to its community."""
    runtime = context.runtime
    draft["text"] = text
    call = cases.send_back(runtime.db, runtime.clock, member, draft["case_id"], None, text)
    return await _finish(update, context, member, call, "handling.done.sent_back")


@_text_step
async def return_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The assignee's reason for giving the case back to the admins."""
    runtime = context.runtime
    draft["text"] = text
    call = cases.give_back(runtime.db, runtime.clock, member, draft["case_id"], None, text)
    return await _finish(update, context, member, call, "handling.done.returned")


@_text_step
async def not_fixed_typed(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """The reporter's reason why it is not fixed, typed: the case reopens."""
    draft["text"] = text
    return await _not_fixed(update, context, member, draft, text, None)


async def not_fixed_spoken(update: Update, context: GridContext) -> int | None:
    """The reporter's reason, said in a voice message (older reporters speak rather than
    type): the case reopens with it, and the admins get the voice with their notice."""
    message = update.effective_message
    member = await require_member(update, context)
    draft = _draft(context)
    if member is None or draft is None or message is None or message.voice is None:
        return None
    length = message.voice.duration  # seconds, or a timedelta (PTB's time-period setting)
    seconds = int(length.total_seconds()) if isinstance(length, timedelta) else int(length)
    voice = (message.voice.file_id, seconds)
    return await _not_fixed(update, context, member, draft, "", voice)


async def _not_fixed(
    update: Update,
    context: GridContext,
    member: Member,
    draft: dict[str, Any],
    text: str,
    voice: tuple[str, int] | None,
) -> int | None:
    runtime = context.runtime
    call = cases.reopen(
        runtime.db,
        runtime.clock,
        runtime.config,
        member,
        draft["case_id"],
        draft["version"],
        text,
        voice=voice,
    )
    question = draft.get("question")
    ended = await _finish(update, context, member, call, "handling.done.reopened")
    reopened = await cases.get(runtime.db, draft["case_id"])
    chat = update.effective_chat
    # Answered (the case is no longer waiting for it): 👍/👎 there would only be refused.
    answered = reopened is not None and reopened.status != "resolved"
    if isinstance(question, int) and chat is not None and answered:
        with contextlib.suppress(BadRequest):  # gone or bare already: nothing to take away
            await context.bot.edit_message_reply_markup(chat.id, question, reply_markup=None)
    return ended


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


@_text_step
async def text_at_photo(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any], text: str
) -> int | None:
    """More text where a photo is asked for: added to the result, never thrown away."""
    joined = f"{draft.get('resolution', '')}\n{text}".strip()
    if len(joined) > MAX_TEXT:
        over = len(joined) - MAX_TEXT
        too_long = t(member.language, "handling.ask.too_long", limit=MAX_TEXT, over=over)
        await _say(update, context, too_long)
        return None
    draft["resolution"] = joined
    await _say(update, context, t(member.language, "handling.ask.resolution_added"))
    return None


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
    return await _after_photo(update, context, member, draft)  # the question loses 跳过 there


async def _after_photo(
    update: Update, context: GridContext, member: Member, draft: dict[str, Any]
) -> int:
    if draft.get("dispute"):
        await _tell(update, context, t(member.language, "handling.ask.parties"))
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
    # No version: whatever moved meanwhile (supervision, a note), resolving is checked
    # against the case's state now; if it is no longer allowed, the typing is kept.
    call = cases.resolve(
        runtime.db,
        runtime.clock,
        runtime.config,
        member,
        draft["case_id"],
        None,
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
_drop = cancel_drop(DRAFT, "handling.ask.cancelled")


async def cancel(update: Update, context: GridContext) -> int:
    """/cancel: the typed step ends, the case unchanged; the card pressed shows its
    actions again (not the reasons or the confirmation it was opened on)."""
    draft = _draft(context)
    member = await require_member(update, context)
    if draft is not None and member is not None and isinstance(draft.get("case_id"), int):
        await _redraw_card(update, context, member, draft, draft["case_id"], moved=False)
    return await _drop(update, context)


INPUT_PATTERN = any_of(
    *(exact(ADMIN, NUMBER, NUMBER, a) for a in ("resolve", "note", "sendback", "return")),
    exact(ADMIN, NUMBER, NUMBER, "reason", "other"),
    exact(ADMIN, NUMBER, NUMBER, "escalate", "yes"),
    exact(REPORTER, NUMBER, NUMBER, "not_fixed"),
)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The case_input conversation, then the one-press buttons of admins and reporters."""
    # A menu button pressed meanwhile is not what was asked for: it does what it does,
    # and the question stays open (its answer can still come).
    text = filters.TEXT & ~filters.COMMAND & ~any_label()
    other = ~filters.COMMAND & ~filters.StatusUpdate.ALL & ~any_label()

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
                CallbackQueryHandler(photo_skipped, pattern=exact(ADMIN, NUMBER, NUMBER, "skip")),
                *typed(text_at_photo)[:1],  # the text handler alone: photos are asked for
                MessageHandler(other, wrong_photo),
            ],
            PARTIES: typed(_mediation_step("parties", FACTS, "handling.ask.facts")),
            FACTS: typed(_mediation_step("facts", AGREEMENT, "handling.ask.agreement")),
            AGREEMENT: typed(_mediation_step("agreement", FULFILMENT, "handling.ask.fulfilment")),
            FULFILMENT: typed(_mediation_step("fulfilment", None, None)),
            NOTE: typed(note_typed),
            NOT_FIXED: [MessageHandler(filters.VOICE, not_fixed_spoken), *typed(not_fixed_typed)],
            ESCALATE_REASON: typed(escalate_typed),
            SENDBACK_REASON: typed(sendback_typed),
            RETURN_REASON: typed(return_typed),
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        allow_reentry=True,
    )
    return [
        conversation,
        CallbackQueryHandler(admin_button, pattern=pattern(ADMIN)),
        CallbackQueryHandler(reporter_button, pattern=pattern(REPORTER)),
    ]
