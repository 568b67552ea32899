"""Small handlers every conversation needs, built from the text they answer with.

The conversation contract (DESIGN.md) asks each step to answer a wrong kind of
message with a short explanation and to accept /cancel. These answers differ
between conversations only in their text and the draft they drop, so they are
made here rather than written again in each module.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from handlers.common import last_prompt
from handlers.common.context import GridContext


def explain(key: str) -> Callable[[Update, GridContext], Coroutine[Any, Any, None]]:
    """A handler that answers with the text ``key`` and keeps the conversation where it is."""

    async def wrong(update: Update, context: GridContext) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(await context.text(update, key))

    return wrong


def cancel_drop(
    draft: str, key: str, *, retire_prompt: bool = False
) -> Callable[[Update, GridContext], Coroutine[Any, Any, int]]:
    """A /cancel handler: forget ``draft`` in the member's store, say ``key``, end.

    ``retire_prompt``: the flow keeps its open question in the draft (last_prompt), whose
    buttons are taken off first, so nothing of the dropped flow is left to press.
    """

    async def cancel(update: Update, context: GridContext) -> int:
        chat = update.effective_chat
        if retire_prompt and chat is not None:
            await last_prompt.retire(context, chat.id, context.store.get(draft))
        context.store.pop(draft, None)
        if update.effective_message is not None:
            await update.effective_message.reply_text(await context.text(update, key))
        return ConversationHandler.END

    return cancel
