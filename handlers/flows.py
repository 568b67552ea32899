"""One conversation at a time: a member in the middle of one flow is not pulled into another.

All of gridbot's conversations share handler group 0, where the first handler that
wants an update gets it. Without a guard, a member filling in a report who taps
the meetings button would start a second conversation beside the first, and their
next typed message would land in whichever was registered first. The guard runs in
an earlier group: while a member is in a conversation, a command, a menu button or
another flow's entry button that the current conversation does not take is answered
with "finish this first, or /cancel", and goes no further. /help, /lang and /cancel
always pass, so help is never out of reach and /cancel reaches the conversation.

Each conversation's name has a text ``flow.<name>`` for that answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ConversationHandler

from bot.i18n import t
from handlers.context import GridContext
from handlers.menu import is_menu_label

# Handler group of the guard: before group 0, where the conversations are.
GROUP_GUARD = -10

# Commands that never interrupt a conversation and so always pass.
PASS_THROUGH = frozenset({"help", "lang", "cancel"})


def _state(conversation: ConversationHandler[Any], update: Update) -> object | None:
    try:
        key = conversation._get_key(update)
    except RuntimeError:  # no chat or user to key on (e.g. an inline query)
        return None
    return conversation._conversations.get(key)


def _takes(handler: BaseHandler[Any, Any, Any], update: Update) -> bool:
    check = handler.check_update(update)
    return check is not None and check is not False


def _command(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    words = message.text[1:].split(maxsplit=1)
    return words[0].split("@", 1)[0].lower() if words else ""


class ConversationGuard(BaseHandler[Update, GridContext, None]):
    """Answers a member who tries to start something else in the middle of a conversation."""

    def __init__(self, conversations: Sequence[ConversationHandler[Any]]) -> None:
        super().__init__(self._busy)
        self.conversations = tuple(c for c in conversations if c.name)

    def check_update(self, update: object) -> str | None:
        """The name of the conversation that holds the sender, if this update would leave it."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        active = [c for c in self.conversations if _state(c, update) is not None]
        if not active or any(_takes(c, update) for c in active):
            return None
        command = _command(update)
        if command is not None:
            return None if command in PASS_THROUGH else active[0].name
        message = update.message
        if message is not None and message.text and is_menu_label(message.text):
            return active[0].name
        # A button or message that would start another conversation.
        others = (c for c in self.conversations if c not in active)
        if any(_takes(c, update) for c in others):
            return active[0].name
        return None

    async def _busy(self, update: Update, context: GridContext) -> None:
        raise AssertionError("handled in handle_update")  # pragma: no cover

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Any,
        check_result: str,
        context: GridContext,
    ) -> None:
        """Say which flow is running and stop the update here."""
        lang = await context.lang(update)
        text = t(lang, "common.busy_flow", flow=t(lang, f"flow.{check_result}"))
        query = update.callback_query
        if query is not None:
            await query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
        raise ApplicationHandlerStop


def conversations_in(
    handlers: Sequence[BaseHandler[Any, Any, Any]],
) -> list[ConversationHandler[Any]]:
    """The named conversations among ``handlers``."""
    return [h for h in handlers if isinstance(h, ConversationHandler) and h.name]
