"""Outgoing messages: what an outbox row becomes on Telegram, and who makes it.

Services queue outbox rows of a *kind* with a payload of plain values
(``bot/services/notify.py``). Each feature module that queues kinds exports
``RENDERERS``, a mapping from kind to a :data:`Renderer`; the composition root
hands all of them to the delivery worker, which calls the renderer when the row is
due, in the recipient's language, and sends the result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.runtime import Runtime
from storage.outbox import OutboxRow as OutboxRow  # re-exported for renderers


@dataclass(frozen=True)
class Outgoing:
    """One message to send: HTML text, optional buttons, photos and a voice message."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    # Telegram file ids, sent before the text (one photo, or an album of several).
    photos: tuple[str, ...] = ()
    # A voice message's file id, sent after the text.
    voice: str | None = None
    # A shared place (latitude, longitude), sent last as a location pin (a case's place).
    location: tuple[float, float] | None = None
    # A document's file id (a notice's PDF or Word file), sent after the photos.
    document: str | None = None
    # Send with allow_paid_broadcast (notices.paid_broadcast: beyond 30 a second, for Stars).
    paid_broadcast: bool = False
    # When set, the ids of the sent text message are kept under this key, so the message
    # can be edited in place later (an admin's alert showing a case's current state).
    edit_key: str | None = None
    # Only edit the message kept under edit_key; if there is none (the first copy was never
    # sent), there is nothing to do: the first copy shows the current state when it goes.
    edit_only: bool = False


# (runtime, the outbox row, the recipient's language) -> the message, or None when there
# is nothing to send any more (the meeting was cancelled, the case is gone).
Renderer = Callable[[Runtime, OutboxRow, str], Awaitable[Outgoing | None]]
Renderers = Mapping[str, Renderer]


def shown_digest(text: str, markup: InlineKeyboardMarkup | None) -> str:
    """A short digest of what a message shows (its text and buttons), to tell whether an
    edit would change it without asking Telegram."""
    buttons = None if markup is None else markup.to_dict()
    whole = json.dumps([text, buttons], ensure_ascii=False, sort_keys=True)
    return hashlib.blake2b(whole.encode("utf-8"), digest_size=12).hexdigest()
