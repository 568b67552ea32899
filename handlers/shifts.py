"""/shifts: duty posts and shifts (自行排班). Admins define and assign; leaders sign up.

An admin sees the posts of their area with buttons to add a post or a shift
(shift_post.mmd, shift_add.mmd: one typed answer each), and the shifts ahead
with a button to assign someone. A leader sees the shifts of their area ahead
and signs up for an open one with one tap. Reminders before a shift and the
unstaffed-shift alert are drawn in handlers/messages/shifts.py.
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

from bot.i18n import Html, join_list, t
from bot.runtime import Runtime
from bot.services import shifts
from bot.services.grid import is_admin
from bot.services.members import Member
from bot.services.shifts import Shift, ShiftError
from handlers.common.access import require_admin, require_button, require_member
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
from handlers.common.date_examples import dated
from handlers.common.menu import label_filter
from handlers.common.text_question import Act, Begin, text_question
from handlers.messages.shifts import (
    PREFIX,
    admin_line,
    shift_button,
    shift_line,
)


async def sweep(context: GridContext) -> None:
    """``sweep:shifts``: queue the shift reminders and unstaffed alerts that are due."""
    runtime = context.runtime
    config = runtime.config.meetings
    await shifts.remind_due(
        runtime.db,
        runtime.clock,
        reminder_minutes=config.shift_reminder_minutes,
        unstaffed_minutes=config.unstaffed_alert_minutes,
        grace_minutes=config.grace_minutes,
    )


async def show(update: Update, context: GridContext) -> None:
    """/shifts: posts and shifts ahead, with the buttons this member may use."""
    message = update.effective_message
    member = await require_member(update, context)
    if member is None or message is None:
        return
    runtime = context.runtime
    lang = member.language
    upcoming = await shifts.upcoming(runtime.db, runtime.clock, member)
    if is_admin(member.role):
        posts = await shifts.posts_of(runtime.db, member)
        rows = [[shift_button(lang, "shifts.btn_new_post", "new")]]
        rows += [
            [shift_button(lang, "shifts.btn_add_shift", "add", p.id, post=Html(p.name))]
            for p in posts
        ]
        names = join_list(lang, (p.name for p in posts)) or "-"
        await message.reply_text(
            t(lang, "shifts.admin_head", posts=names, count=len(upcoming)),
            reply_markup=InlineKeyboardMarkup(rows),
        )
    else:
        await message.reply_text(t(lang, "shifts.member_head", count=len(upcoming)))
    for shift in upcoming[:10]:
        await message.reply_text(
            await _shift_text(lang, runtime, member, shift),
            reply_markup=_shift_buttons(lang, member, shift),
        )


async def _shift_text(lang: str, runtime: Runtime, member: Member, shift: Shift) -> str:
    """A shift in the list: admins see who is on it; a member sees that they are."""
    if is_admin(member.role):
        return await admin_line(lang, runtime, shift)
    if member.id in shift.staff:
        return t(lang, "shifts.signed_up_line", shift=shift_line(lang, runtime, shift))
    return shift_line(lang, runtime, shift)


def _shift_buttons(lang: str, member: Member, shift: Shift) -> InlineKeyboardMarkup | None:
    rows = []
    if is_admin(member.role):
        if shift.open_places:
            rows.append([shift_button(lang, "shifts.btn_assign", "pick", shift.id)])
    elif member.id in shift.staff:
        rows.append([shift_button(lang, "shifts.btn_withdraw", "wd", shift.id)])
    elif shift.open_places:
        rows.append([shift_button(lang, "shifts.btn_sign_up", "up", shift.id)])
    return InlineKeyboardMarkup(rows) if rows else None


async def on_button(update: Update, context: GridContext) -> None:
    """Sign up, withdraw, choose whom to assign, assign."""
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        parts = fields(query.data, PREFIX)
        if len(parts) == 3:
            action, shift_text, member_text = unpack(query.data, PREFIX, 3)
            other = number(member_text)
        else:
            action, shift_text = unpack(query.data, PREFIX, 2)
            other = 0
        shift_id = number(shift_text)
        if action not in ("up", "wd", "pick", "as") or (action == "as") != (len(parts) == 3):
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "up":
            shift = await shifts.sign_up(runtime.db, runtime.clock, member, shift_id)
            await query.answer(t(lang, "shifts.signed_up"))
            await query.edit_message_text(
                t(lang, "shifts.signed_up_line", shift=shift_line(lang, runtime, shift)),
                reply_markup=_shift_buttons(lang, member, shift),
            )
            return
        if action == "wd":
            shift = await shifts.withdraw(runtime.db, runtime.clock, member, shift_id)
            await query.answer(t(lang, "shifts.withdrew"))
            await query.edit_message_text(
                t(lang, "shifts.withdrew_line", shift=shift_line(lang, runtime, shift)),
                reply_markup=_shift_buttons(lang, member, shift),
            )
            return
        if not is_admin(member.role):
            raise ShiftError("access.admins_only")
        if action == "pick":
            people = await shifts.candidates(runtime.db, member, shift_id)
            if not people:
                raise ShiftError("shifts.nobody")
            await query.answer()
            rows = [
                [InlineKeyboardButton(p.name, callback_data=pack(PREFIX, "as", shift_id, p.id))]
                for p in people[:20]
            ]
            await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(rows))
            return
        shift = await shifts.assign(runtime.db, runtime.clock, member, shift_id, other)
        await query.answer(t(lang, "shifts.assigned_ok"))
        await query.edit_message_text(
            await _shift_text(lang, runtime, member, shift),
            reply_markup=_shift_buttons(lang, member, shift),
        )
    except ShiftError as error:
        await query.answer(t(lang, error.key), show_alert=True)


async def _begin_post(context: GridContext, admin: Member, data: str | None) -> tuple[int, str]:
    unpack(data, PREFIX, 1)
    return 0, t(admin.language, "shifts.ask_post", post="")


async def _begin_shift(context: GridContext, admin: Member, data: str | None) -> tuple[int, str]:
    _entry, post_text = unpack(data, PREFIX, 2)
    post = await shifts.post_for_admin(context.runtime.db, admin, number(post_text))
    return post.id, dated(context.runtime, admin.language, "shifts.ask_shift", post=post.name)


def _admin_text_flow(
    *, name: str, entry: str, begin: Begin, act: Act
) -> ConversationHandler[GridContext]:
    """A conversation that asks an admin one thing and acts on the typed answer."""
    return text_question(
        name=name,
        entry=pattern(PREFIX, entry),
        store_key=f"shift_{name}",
        gate=require_admin,
        begin=begin,
        act=act,
        ask_again=(
            "shifts.bad_times",
            "shifts.in_the_past",
            "shifts.bad_name",
            "shifts.post_exists",
        ),
        wrong_key="shifts.type_text",
        limit=200,  # a longer answer is cut, not refused
    )


async def _new_post(context: GridContext, admin: Member, _post_id: int, text: str) -> str:
    runtime = context.runtime
    post = await shifts.create_post(runtime.db, runtime.clock, admin, text)
    return t(admin.language, "shifts.post_created", post=post.name)


async def _new_shift(context: GridContext, admin: Member, post_id: int, text: str) -> str:
    runtime = context.runtime
    shift = await shifts.add_shift(
        runtime.db, runtime.clock, runtime.config.tz, admin, post_id, text
    )
    return t(
        admin.language, "shifts.shift_created", shift=shift_line(admin.language, runtime, shift)
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/shifts, its buttons, and the two admin flows."""
    private = filters.ChatType.PRIVATE
    return [
        _admin_text_flow(name="shift_post", entry="new", begin=_begin_post, act=_new_post),
        _admin_text_flow(name="shift_add", entry="add", begin=_begin_shift, act=_new_shift),
        CommandHandler("shifts", show, filters=private),
        MessageHandler(label_filter("shifts"), show),
        CallbackQueryHandler(on_button, pattern=pattern(PREFIX)),
    ]
