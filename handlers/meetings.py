"""/meetings: upcoming meetings with 参加/请假/签到 buttons; admins manage them.

A member sees the meetings they are expected at, answers (attend, or excused with
a reason), and checks in with one tap while the meeting is on. An admin also sees
the meetings of their area with buttons for the answers so far, the minutes,
moving or cancelling one occurrence, changing or cancelling the whole series, and
a button that starts the create flow (handlers/meeting_create.py). The
one-question flows (a reason, the minutes, a new time, a series change) are small
conversations of their own: meeting_excuse.mmd, meeting_minutes.mmd,
meeting_move.mmd, meeting_series.mmd; cancelling asks for a confirmation first
(meeting_cancel.mmd). A meeting that has begun is read-only. Reminders, summaries
and notices are drawn in handlers/messages/meetings.py; the reminder sweep and the
named one-shot timer live here (scheduled from bot/jobs.py).
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Html, escape, t
from bot.runtime import Runtime
from bot.services import meetings
from bot.services.grid import is_admin
from bot.services.meetings import MeetingError, OccurrenceView
from bot.services.members import Member
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button, require_member
from handlers.common.callbacks import (
    BadCallback,
    answer_stale,
    is_for,
    number,
    pack,
    pattern,
    unpack,
)
from handlers.common.context import GridContext
from handlers.common.date_examples import dated
from handlers.common.menu import label_filter
from handlers.common.text_question import Act, Begin, text_question
from handlers.messages.meetings import (
    PREFIX,
    _card,
    answer_buttons,
    full_answers,
    summary_message,
    when,
)

MAX_TEXT = 500

DRAFT = "meeting"  # prefix of the one-question flows' keys in the user's store


# ---------------------------------------------------------------------- jobs

NEXT_JOB = "meetings:next"


async def sweep(context: GridContext) -> None:
    """``sweep:meetings``: queue the reminders and summaries that are due, then aim the timer."""
    runtime = context.runtime
    await meetings.remind_due(
        runtime.db, runtime.clock, runtime.config.tz, runtime.config.meetings.grace_minutes
    )
    await schedule_next(context)


async def schedule_next(context: GridContext) -> None:
    """Rebuild the reminder timer after a change or a sweep (see :func:`build_jobs`)."""
    await build_jobs(context.application)


async def build_jobs(app: Any) -> None:
    """One named one-shot job at the next reminder's moment, replaced whenever rebuilt.

    Built when the bot starts and rebuilt after each change and sweep. The sweep alone
    would be up to its interval late; this job fires on time. Both record each reminder
    before queueing it, so running both (or either twice) sends nothing twice.
    """
    jobs = app.job_queue
    if jobs is None:
        return
    for job in jobs.get_jobs_by_name(NEXT_JOB):
        job.schedule_removal()
    runtime: Runtime = app.runtime
    due = await meetings.next_due(runtime.db, runtime.clock, runtime.config.tz)
    if due is not None:
        seconds = (due - runtime.clock.now()).total_seconds()
        jobs.run_once(_fire, when=max(seconds, 1.0), name=NEXT_JOB)


async def _fire(context: GridContext) -> None:
    await sweep(context)
    app = context.application
    delivery = getattr(app, "delivery", None)
    if delivery is not None:
        delivery.kick()


# ---------------------------------------------------------------------- the list


async def show(update: Update, context: GridContext) -> None:
    """/meetings: the upcoming meetings, each with the buttons this member may use."""
    message = update.effective_message
    member = await require_member(update, context)
    if member is None or message is None:
        return
    runtime = context.runtime
    lang, tz = member.language, runtime.config.tz
    now = runtime.clock.now()
    items = await meetings.upcoming_for(runtime.db, runtime.clock, tz, member)
    admin = is_admin(member.role)
    if admin:
        head = t(lang, "meetings.admin_head", count=len(items))
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(t(lang, "meetings.btn_new"), callback_data=pack(PREFIX, "new"))]]
        )
        await message.reply_text(head, reply_markup=keyboard)
    else:
        came, expected = await meetings.attendance_rate(runtime.db, runtime.clock, member)
        rate = f"{came}/{expected}" if expected else "-"
        await message.reply_text(t(lang, "meetings.member_head", count=len(items), rate=rate))
    for current, got in items[:8]:
        occurrence_id = current.occurrence.id
        lines = [_card(lang, tz, current)]
        if current.cancelled:
            lines.append(t(lang, "meetings.state_cancelled"))
        elif got is not None and got.answer is not None:
            lines.append(t(lang, keys.MEETING_STATE(got.answer)))
        if got is not None and got.checked_in_at is not None:
            lines.append(t(lang, "meetings.state_checked_in"))
        rows: list[list[InlineKeyboardButton]] = []
        if not current.cancelled:
            expected_here = member.role in current.series.roles
            if expected_here and now < current.ends:
                answered = got.answer if got is not None else None
                rows.append(answer_buttons(lang, occurrence_id, answered))
            if expected_here and meetings.check_in_open(current, now):
                rows.append(
                    [
                        InlineKeyboardButton(
                            t(lang, "meetings.btn_check_in"),
                            callback_data=pack(PREFIX, "c", occurrence_id),
                        )
                    ]
                )
            if admin:
                rows.extend(_admin_rows(lang, occurrence_id, started=current.started(now)))
        await message.reply_text(
            "\n".join(lines),
            reply_markup=InlineKeyboardMarkup(rows) if rows else None,
        )


def _admin_rows(
    lang: str, occurrence_id: int, *, started: bool
) -> list[list[InlineKeyboardButton]]:
    def button(key: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            t(lang, keys.MEETING_BUTTON(key)), callback_data=pack(PREFIX, action, occurrence_id)
        )

    # A meeting that has begun is kept as it was: no moving or cancelling it, only its
    # minutes; the series can still be changed or stopped for the meetings ahead.
    if started:
        return [
            [button("summary", "s"), button("minutes", "m")],
            [button("change_series", "e")],
            [button("cancel_series", "K")],
        ]
    return [
        [button("summary", "s"), button("move", "v")],
        [button("change_series", "e")],
        [button("cancel_one", "k"), button("cancel_series", "K")],
    ]


# ---------------------------------------------------------------------- buttons


CONFIRM = {"k": "ky", "K": "Ky"}  # 取消本次 / 取消整个系列 -> the confirmation's button


async def on_button(update: Update, context: GridContext) -> None:
    """Attend, check in, the answers, and cancelling (one occurrence or the series).

    Cancelling asks first: 取消本次 / 取消整个系列 send a question with a button to
    confirm and one to keep the meeting; only the confirmation cancels.
    """
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        action, value = unpack(query.data, PREFIX, 2)
        occurrence_id = number(value)
        if action not in ("a", "c", "s", "f", "k", "K", "ky", "Ky", "n"):
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "a":
            await meetings.answer(runtime.db, runtime.clock, member, occurrence_id, "attend")
            await query.answer(t(lang, "meetings.answered_attend"))
            await _mark(query, t(lang, "meetings.state_attend"), lang, "attend")
        elif action == "c":
            fresh = await meetings.check_in(runtime.db, runtime.clock, member, occurrence_id)
            await query.answer(
                t(lang, "meetings.checked_in" if fresh else "meetings.checked_in_before")
            )
            if fresh:
                await _mark(query, t(lang, "meetings.state_checked_in"), lang)
        else:
            if not is_admin(member.role):
                raise MeetingError("access.admins_only")
            current = await meetings.admin_view(runtime.db, member, occurrence_id)
            await _admin_button(update, context, member, current, action)
    except MeetingError as error:
        await query.answer(t(lang, error.key), show_alert=True)


async def _admin_button(
    update: Update, context: GridContext, admin: Member, current: OccurrenceView, action: str
) -> None:
    """An admin's button on a meeting: answers, the full answers, cancel (ask, then do)."""
    query = update.callback_query
    assert query is not None
    lang = admin.language
    runtime = context.runtime
    occurrence_id = current.occurrence.id
    chat_id = query.message.chat.id if query.message is not None else admin.tg_user_id
    if action == "s":
        await query.answer()
        text, more = await summary_message(runtime, lang, occurrence_id)
        if text is not None:
            await context.bot.send_message(chat_id, text, reply_markup=more)
    elif action == "f":
        await query.answer()
        for part in await full_answers(runtime, lang, occurrence_id):
            await context.bot.send_message(chat_id, part)
    elif action in CONFIRM:
        whole = action == "K"
        await meetings.check_cancel(
            runtime.db, runtime.clock, admin, occurrence_id, whole_series=whole
        )
        await query.answer()
        card = Html(_card(lang, runtime.config.tz, current))
        question = t(
            lang,
            "meetings.confirm_cancel_series" if whole else "meetings.confirm_cancel_one",
            card=card,
            title=current.series.title,
        )
        yes = "meetings.btn_confirm_cancel_series" if whole else "meetings.btn_confirm_cancel_one"
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t(lang, yes), callback_data=pack(PREFIX, CONFIRM[action], occurrence_id)
                    )
                ],
                [
                    InlineKeyboardButton(
                        t(lang, "meetings.btn_keep"), callback_data=pack(PREFIX, "n", occurrence_id)
                    )
                ],
            ]
        )
        await context.bot.send_message(chat_id, question, reply_markup=keyboard)
    elif action == "n":
        await query.answer()
        await query.edit_message_text(t(lang, "meetings.kept"))
    elif action == "ky":
        await meetings.cancel_occurrence(runtime.db, runtime.clock, admin, occurrence_id)
        await schedule_next(context)
        await query.answer(t(lang, "meetings.cancelled_one"), show_alert=True)
        await query.edit_message_text(t(lang, "meetings.cancelled_one"))
    else:  # "Ky"
        await meetings.cancel_series(runtime.db, runtime.clock, admin, occurrence_id)
        await schedule_next(context)
        await query.answer(t(lang, "meetings.cancelled_series"), show_alert=True)
        await query.edit_message_text(t(lang, "meetings.cancelled_series"))


async def _mark(query: Any, state: str, lang: str, answered: str | None = None) -> None:
    """Show the member's answer or check-in under the message they pressed it on.

    On a reminder or notice (only answer buttons), the buttons become the one that
    changes the new answer.
    """
    message = query.message
    if message is None or not getattr(message, "text", None):
        return
    markup = message.reply_markup
    buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
    only_answers = bool(buttons) and all(
        is_for(str(b.callback_data), PREFIX, "a") or is_for(str(b.callback_data), PREFIX, "x")
        for b in buttons
    )
    if answered is not None and only_answers:
        _action, value = unpack(str(buttons[0].callback_data), PREFIX, 2)
        markup = InlineKeyboardMarkup([answer_buttons(lang, number(value), answered)])
    if state in message.text and markup == message.reply_markup:
        return
    text = escape(message.text)
    if state not in message.text:
        text = Html(f"{text}\n\n{state}")
    await query.edit_message_text(text, reply_markup=markup)


# ---------------------------------------------------------------------- one-question flows


def _occurrence_question(prompt: str, *, admin_only: bool) -> Begin:
    """Begin a question about the occurrence on the button: check it, ask ``prompt``."""

    async def begin(context: GridContext, member: Member, data: str | None) -> tuple[int, str]:
        action, value = unpack(data, PREFIX, 2)
        occurrence_id = number(value)
        db = context.runtime.db
        if admin_only:
            current = await meetings.admin_view(db, member, occurrence_id)
        else:
            current = await meetings.expected_view(db, member, occurrence_id)
        if current.cancelled:
            raise MeetingError("meetings.was_cancelled")
        if action == "v" and current.started(context.runtime.clock.now()):
            raise MeetingError("meetings.already_held")  # a held meeting keeps its time
        lang = member.language
        question = dated(
            context.runtime,
            lang,
            prompt,
            title=current.series.title,
            when=when(lang, context.runtime.config.tz, current.starts),
        )
        return occurrence_id, question

    return begin


def _text_flow(
    *, name: str, action: str, prompt: str, admin_only: bool, act: Act
) -> ConversationHandler[GridContext]:
    """A conversation that asks one question about an occurrence and acts on the typed answer."""
    return text_question(
        name=name,
        entry=pattern(PREFIX, action),
        store_key=f"{DRAFT}_{name}",
        gate=require_admin if admin_only else require_member,
        answer_gate=require_member,  # the service checks an admin's right again
        begin=_occurrence_question(prompt, admin_only=admin_only),
        act=act,
        ask_again=("meetings.bad_datetime", "meetings.in_the_past", "meetings.bad_change"),
        wrong_key="meetings.type_text",
        limit=MAX_TEXT,
        too_long_key="meetings.too_long",
    )


async def _excuse(context: GridContext, member: Member, occ: int, text: str) -> str:
    runtime = context.runtime
    await meetings.answer(runtime.db, runtime.clock, member, occ, "excused", text)
    return t(member.language, "meetings.answered_excused", reason=text)


async def _minutes(context: GridContext, member: Member, occ: int, text: str) -> str:
    runtime = context.runtime
    await meetings.record_minutes(runtime.db, runtime.clock, member, occ, text)
    return t(member.language, "meetings.minutes_saved")


async def _move(context: GridContext, member: Member, occ: int, text: str) -> str:
    runtime = context.runtime
    moved = await meetings.move_occurrence(
        runtime.db, runtime.clock, runtime.config.tz, member, occ, text
    )
    await schedule_next(context)
    return t(
        member.language,
        "meetings.moved",
        when=when(member.language, runtime.config.tz, moved.starts),
    )


async def _change(context: GridContext, member: Member, occ: int, text: str) -> str:
    runtime = context.runtime
    tz = runtime.config.tz
    what, following = await meetings.change_series(runtime.db, runtime.clock, tz, member, occ, text)
    await schedule_next(context)
    return t(
        member.language,
        keys.SERIES_CHANGED(what),
        when=when(member.language, tz, following.starts),
        place=following.place,
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/meetings, its buttons and the one-question flows (the create flow: meeting_create)."""
    private = filters.ChatType.PRIVATE
    return [
        _text_flow(
            name="meeting_excuse",
            action="x",
            prompt="meetings.ask_reason",
            admin_only=False,
            act=_excuse,
        ),
        _text_flow(
            name="meeting_minutes",
            action="m",
            prompt="meetings.ask_minutes",
            admin_only=True,
            act=_minutes,
        ),
        _text_flow(
            name="meeting_series",
            action="e",
            prompt="meetings.ask_change",
            admin_only=True,
            act=_change,
        ),
        _text_flow(
            name="meeting_move", action="v", prompt="meetings.ask_move", admin_only=True, act=_move
        ),
        CommandHandler("meetings", show, filters=private),
        MessageHandler(label_filter("meetings"), show),
        CallbackQueryHandler(on_button, pattern=pattern(PREFIX)),
    ]
