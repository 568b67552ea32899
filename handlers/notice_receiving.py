"""What a recipient of a notice presses: ✅ 已传达 (then about how many households told), or
👌 已读. Buttons ``ntr:<notice>:ok|read|h:<n>``; the notice itself is drawn in
handlers/messages/notices.py."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
)

from bot.i18n import t
from bot.runtime import Runtime
from bot.services import notices as service
from bot.services.duties import HOUSEHOLDS
from bot.services.grid import is_leader
from bot.services.notices import Notice, NoticeError
from handlers.common.access import require_button, require_member
from handlers.common.callbacks import BadCallback, answer_stale, fields, number, pattern, unpack
from handlers.common.context import GridContext
from handlers.messages.notices import (
    RECEIVE,
    households_buttons,
    local_when,
    notice_text,
)


async def _answered_text(runtime: Runtime, lang: str, notice: Notice, footer: str) -> str | None:
    author = await service.author_of(runtime.db, notice)
    if author is None:
        return None
    return f"{await notice_text(runtime, lang, notice, author)}\n\n{footer}"


async def receive_button(update: Update, context: GridContext) -> None:
    """✅ 已传达, a household count, or 👌 已读, from someone the notice reached."""
    pressed = await require_button(update, context, require_member)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        if len(fields(query.data, RECEIVE)) == 3:
            notice_text_id, action, count = unpack(query.data, RECEIVE, 3)
            households = number(count)
            if action != "h" or households not in HOUSEHOLDS:
                raise BadCallback(query.data)
        else:
            notice_text_id, action = unpack(query.data, RECEIVE, 2)
            households = 0
            if action not in ("ok", "read"):
                raise BadCallback(query.data)
        notice_id = number(notice_text_id)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "read":
            answer = await service.mark_read(runtime.db, runtime.clock, member, notice_id)
            footer = t(lang, "notices.read_done", time=local_when(runtime, answer.delivery.read_at))
            markup = None
        elif action == "ok":
            answer = await service.relay(runtime.db, runtime.clock, member, notice_id)
            when_ = local_when(runtime, answer.delivery.relayed_at)
            if is_leader(member.role) and answer.delivery.outreach_id is None:
                footer = t(lang, "notices.relayed_ask_households", time=when_)
                markup = households_buttons(lang, notice_id)
            else:
                footer = t(lang, "notices.relayed_done", time=when_)
                markup = None
        else:
            answer = await service.households(
                runtime.db, runtime.clock, member, notice_id, households
            )
            if not answer.created:
                await query.answer(t(lang, "notices.already_answered"), show_alert=True)
                return
            footer = t(
                lang,
                "notices.households_done",
                n=households,
                time=local_when(runtime, answer.delivery.relayed_at),
            )
            markup = None
    except NoticeError as error:
        await query.answer(t(lang, error.code, **error.values), show_alert=True)
        return
    await query.answer(t(lang, "notices.thanks"))
    text = await _answered_text(runtime, lang, answer.notice, footer)
    if text is not None:
        await query.edit_message_text(text, reply_markup=markup)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """A recipient's buttons on a notice."""
    return [CallbackQueryHandler(receive_button, pattern=pattern(RECEIVE))]
