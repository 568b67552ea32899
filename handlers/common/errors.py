"""The central error handler: log everything, tell the user only that it went wrong.

A button press is answered once: with an alert, unless the handler answered it
before failing; then the user is told in a message in the chat.
"""

from __future__ import annotations

import json
import logging
import sqlite3

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import t
from bot.telegram.answered import AnsweredQueries
from handlers.common.context import GridContext

log = logging.getLogger(__name__)


def _is_locked(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


async def on_error(update: object, context: GridContext) -> None:
    """Log the error with the update; answer the user in their language, without details."""
    error = context.error
    shown = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error(
        "error while handling an update: %s",
        json.dumps(shown, ensure_ascii=False, default=str)[:4000],
        exc_info=error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    key = "error.busy" if _is_locked(error) else "error.generic"
    try:
        lang = await context.lang(update)
    except Exception:  # the database may be what failed; answer in the default language
        lang = context.runtime.config.locale.default_language
    query = update.callback_query
    limiter = context.bot.rate_limiter
    # A press takes one answer; if the handler gave it already, say it in the chat.
    answered = False
    if query is not None and isinstance(limiter, AnsweredQueries):
        answered = limiter.answered(query.id)
    try:
        if query is not None and not answered:
            await query.answer(t(lang, key), show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, t(lang, key))
    except TelegramError:
        log.warning("could not tell the user about the error", exc_info=True)
