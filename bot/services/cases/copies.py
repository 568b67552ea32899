"""A holder's kept copy of a case card, redrawn in place by the handler of a press on it.

A press on a card redraws that card at once (the presser sees the result in the message
they pressed), and the same change queues an edit of every copy for the outbox. Once the
handler has redrawn the pressed copy, the outbox's edit of it is owed no more: it is
closed as sent in the transaction that records the update as handled, so the pressed
copy is edited once and that costs no commit of its own. A redraw that failed, or a kill
before the update was saved, leaves the row pending: the outbox's edit still comes.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.services.cases.alerts import refresh_key
from bot.services.cases.card import Card
from storage import case_copies as copy_repo
from storage import outbox as outbox_repo
from storage.db import Queryable, Statement
from storage.times import to_db


def copy_drawn(
    clock: Clock, card: Card, recipient: str, kept_under: str, chat_id: int, message_id: int
) -> Statement:
    """The write that closes the outbox's refresh of ``recipient``'s copy (kept under
    ``kept_under``) for the latest event ``card`` shows, if message (``chat_id``,
    ``message_id``) is that copy (a card opened from a list is not: the kept copy is then
    edited as usual). For the update's save (``GridApplication.write_with_update``)."""
    return outbox_repo.settle_copy_statement(
        refresh_key(card.view.case.id, card.last_event_id, recipient),
        kept_under,
        chat_id,
        message_id,
        to_db(clock.now()),
    )


async def kept_copy(q: Queryable, edit_key: str) -> tuple[int, int] | None:
    """(chat id, message id) of the copy kept under ``edit_key`` to edit, or None."""
    return await copy_repo.message_ref(q, edit_key)
