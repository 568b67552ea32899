"""Outgoing messages: what an outbox row becomes on Telegram, and who makes it.

Services queue outbox rows of a *kind* with a payload of plain values
(``bot/services/notify.py``). Each feature module that queues kinds exports
``RENDERERS``, a mapping from kind to a :data:`Renderer`; the composition root
hands all of them to the delivery worker, which calls the renderer when the row is
due, in the recipient's language, and sends the result.

What the rows of one batch of the delivery worker have in common is read and drawn once
for all of them (:class:`RenderPass`): when a case goes to the ten admins of a community,
its card is read once and drawn once per distinct audience, not ten times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from telegram import InlineKeyboardMarkup

from bot.runtime import Runtime
from storage.db import Queryable
from storage.members import Member
from storage.outbox import OutboxRow as OutboxRow  # re-exported for renderers

T = TypeVar("T")


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

# What the renderer of a kind will read for a row, said ahead (a module's BATCH_READS), so
# the delivery reads it for the whole batch in the trip that looks at the outbox: keys
# and reads, run on the database's thread, whose results the batch's RenderPass keeps
# under those keys (the renderer's ``once`` with the same key then finds it). A row's
# kept copy to edit goes under :func:`kept_copy_key`: the delivery takes it once.
ReadAhead = tuple[Hashable, Callable[[Queryable], Awaitable[object]]]
BatchRead = Callable[[OutboxRow], Sequence[ReadAhead]]
BatchReads = Mapping[str, BatchRead]


@dataclass
class RenderPass:
    """What the renderers of one delivery batch share: reads and drawings made once.

    A batch is the rows one look at the outbox found due. Everything kept here was read
    after that look, so it is at least as new as every row of the batch; a change made
    while the batch goes out queues rows of its own (a card's ``case.update``), which come
    in a later batch and are drawn afresh. The members are the batch's recipients, read in
    one statement.
    """

    members: dict[int, Member] = field(default_factory=dict)
    _kept: dict[Hashable, Any] = field(default_factory=dict)

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """``read()``'s result, read the first time ``key`` is asked for in this batch."""
        if key not in self._kept:
            self._kept[key] = await read()
        return cast(T, self._kept[key])

    def take(self, key: Hashable) -> tuple[bool, Any]:
        """(True, what is kept under ``key``), dropped from the batch; (False, None) if
        nothing is. For what this pass may change once read (the copy kept to edit)."""
        if key not in self._kept:
            return False, None
        return True, self._kept.pop(key)

    def keep(self, key: Hashable, value: object) -> None:
        """Keep ``value``, read for the batch ahead of its renderers, under ``key``."""
        self._kept[key] = value

    def holds(self, key: Hashable) -> bool:
        """Whether something is kept under ``key`` already."""
        return key in self._kept

    def drawn(self, key: Hashable, draw: Callable[[], T]) -> T:
        """``draw()``'s result, drawn the first time ``key`` is asked for in this batch."""
        if key not in self._kept:
            self._kept[key] = draw()
        return cast(T, self._kept[key])


_CURRENT: ContextVar[RenderPass | None] = ContextVar("gridbot_render_pass", default=None)


@contextmanager
def rendering(batch: RenderPass) -> Iterator[RenderPass]:
    """Make ``batch`` what :func:`render_pass` gives while its rows are rendered."""
    token = _CURRENT.set(batch)
    try:
        yield batch
    finally:
        _CURRENT.reset(token)


def kept_copy_key(edit_key: str) -> Hashable:
    """The key a row's kept copy (chat id, message id, or None) is read ahead under."""
    return ("kept copy", edit_key)


def render_pass() -> RenderPass:
    """The delivery batch being rendered; outside one (a handler drawing a card), a new,
    empty one, so nothing is shared."""
    return _CURRENT.get() or RenderPass()
