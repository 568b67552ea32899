"""📄 查看全文 under a case's card: the card again, every field whole, in parts.

Pressed in a private chat, the card is built for the presser; in a group, for the
group (its least-privileged members), never for whoever pressed. Only a member who
may see the case gets it; an old or forged button changes nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.i18n import t
from bot.services import cases
from bot.services.cases import CaseRefused
from handlers.common import text_keys as keys
from handlers.common.access import require_button
from handlers.common.callbacks import BadCallback, answer_stale, number, pattern, unpack
from handlers.common.context import GridContext
from handlers.common.show_all import CARD, PREFIX, send_whole
from handlers.messages.case_cards import whole_card


async def show_whole_card(update: Update, context: GridContext) -> None:
    """Send the pressed card whole, as this chat may see it."""
    pressed = await require_button(update, context)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    chat = update.effective_chat
    try:
        what, item = unpack(query.data, PREFIX, 2)
        if what != CARD or chat is None:
            raise BadCallback(query.data or "")
        case_id = number(item)
        await cases.check_see(context.runtime.db, member, case_id)
    except BadCallback:
        await answer_stale(query, lang)
        return
    except CaseRefused as refused:
        await query.answer(t(lang, keys.REFUSED(refused.reason.value)), show_alert=True)
        return
    in_group = chat.type != "private"
    text = await whole_card(
        context.runtime,
        case_id,
        lang,
        member=None if in_group else member,
        recipient=str(chat.id),
    )
    await query.answer()
    if text is not None:
        await send_whole(context.bot, chat.id, text)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The 📄 查看全文 button of case cards."""
    return [CallbackQueryHandler(show_whole_card, pattern=pattern(PREFIX, CARD))]
