"""One-question conversations: a button asks for one typed answer, then acts on it.

Meetings (a reason to be excused, the minutes, a new time, a series change) and
shifts (a new post, a new shift) each ask one thing about one object and act on
the answer. :func:`text_question` builds such a conversation; what differs is
passed in: who may begin and answer, how the button becomes the object and the
question, what the answer does, which refusals ask again, and the length rule.

Every run follows the conversation contract: the button is checked (stale or
forged: a short answer, nothing starts), a refusal is shown, the typed answer is
checked for length, a wrong kind of message gets ``wrong_key`` and the same
question, and /cancel ends it. The object's id is kept in the member's store under
``store_key`` (persisted, like the conversation's state).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.services.errors import KeyedError
from bot.services.members import Member
from handlers.common.access import require_button, require_text
from handlers.common.callbacks import BadCallback, answer_stale
from handlers.common.context import GridContext
from handlers.common.conversation import cancel_drop, explain
from handlers.common.date_examples import dated
from handlers.common.flows import FlowConversation, flow_conversation
from handlers.common.menu import any_label

TEXT = 0  # the single state of a one-question conversation

Gate = Callable[[Update, GridContext], Awaitable[Member | None]]
# From the member and the button's data: the id of the object asked about and the
# question (already in the member's language). Raises BadCallback or a KeyedError.
Begin = Callable[[GridContext, Member, str | None], Awaitable[tuple[int, str]]]
# From the member, the object's id and the typed text: the reply. Raises KeyedError.
Act = Callable[[GridContext, Member, int, str], Awaitable[str]]


def text_question(
    *,
    name: str,
    entry: str,
    store_key: str,
    gate: Gate,
    begin: Begin,
    act: Act,
    ask_again: Collection[str],
    wrong_key: str,
    limit: int,
    too_long_key: str | None = None,
    answer_gate: Gate | None = None,
) -> FlowConversation:
    """A persistent conversation ``name`` that asks one question and acts on the answer.

    ``entry`` is the pattern of the buttons that begin it; ``gate`` checks who presses
    (``answer_gate``, if given, who answers). A refusal whose key is in ``ask_again``
    asks the same question again; any other ends the conversation. An answer longer
    than ``limit`` is refused with ``too_long_key``, or cut to ``limit`` if that is None.
    """
    check_answer = answer_gate or gate

    async def start(update: Update, context: GridContext) -> int:
        pressed = await require_button(update, context, gate)
        if pressed is None:
            return ConversationHandler.END
        query, member = pressed
        lang = member.language
        try:
            subject, question = await begin(context, member, query.data)
        except BadCallback:
            await answer_stale(query, lang)
            return ConversationHandler.END
        except KeyedError as error:
            await query.answer(t(lang, error.key), show_alert=True)
            return ConversationHandler.END
        await query.answer()
        context.store[store_key] = subject
        # Buttons live in the member's private chat, where chat id and user id agree.
        chat_id = query.message.chat.id if query.message is not None else member.tg_user_id
        await context.bot.send_message(chat_id, question)
        return TEXT

    async def typed(update: Update, context: GridContext) -> int | None:
        got = await require_text(update, context, check_answer)
        subject = context.store.get(store_key)
        if got is None or not isinstance(subject, int):
            context.store.pop(store_key, None)
            return ConversationHandler.END
        message, typed_text, member = got
        text = typed_text.strip()
        if len(text) > limit:
            if too_long_key is not None:
                await message.reply_text(t(member.language, too_long_key, limit=limit))
                return None
            text = text[:limit]
        try:
            reply = await act(context, member, subject, text)
        except KeyedError as error:
            await message.reply_text(dated(context.runtime, member.language, error.key))
            if error.key in ask_again:
                return None  # the same question again
            context.store.pop(store_key, None)
            return ConversationHandler.END
        context.store.pop(store_key, None)
        await message.reply_text(reply)
        return ConversationHandler.END

    wrong = explain(wrong_key)
    cancel = cancel_drop(store_key, "common.cancelled")
    private = filters.ChatType.PRIVATE
    return flow_conversation(
        name=name,
        entry_points=[CallbackQueryHandler(start, pattern=entry)],
        states={
            TEXT: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND & ~any_label(), typed),
                MessageHandler(private & ~filters.COMMAND, wrong),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
