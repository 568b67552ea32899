"""The buttons of a flow's open question, so they can be taken off when the flow moves on.

A flow keeps the message id of its last question with buttons in its draft (a dict in
the member's persisted store, so a restart keeps it). When a new question is sent, or the
flow ends (/cancel, done, begun anew), those buttons are taken off: a button left below
an old question would only be refused as out of date when pressed.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from telegram import Message
from telegram.error import BadRequest

from handlers.common.context import GridContext

KEY = "prompt"  # draft key: message id of the open question's buttons


def remember(draft: MutableMapping[str, Any], message: Message | None, has_buttons: bool) -> None:
    """Note ``message`` as the draft's open question (forgotten if it has no buttons)."""
    draft[KEY] = message.message_id if message is not None and has_buttons else None


def forget(draft: MutableMapping[str, Any]) -> None:
    """The open question's buttons are already gone (taken off in place)."""
    draft[KEY] = None


async def retire(context: GridContext, chat_id: int, draft: object) -> None:
    """Take the buttons off the draft's open question, if it has one."""
    if not isinstance(draft, MutableMapping):
        return
    message_id = draft.get(KEY)
    draft[KEY] = None
    if not isinstance(message_id, int):
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as error:
        # Gone or unchanged: either way it has no buttons to press.
        text = str(error).lower()
        if "not modified" not in text and "not found" not in text:
            raise
