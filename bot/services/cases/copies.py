"""What a holder's kept copy of a case card shows once a handler has redrawn it.

A press on a card redraws that card at once (the presser sees the result in the message
they pressed), and the same change queues an edit of every copy for the outbox. The
handler records what it drew in the kept copy; the outbox's edit of that copy then makes
no call if it would show the same, and edits it if not (the case moved again, or the
handler's redraw never happened). So the pressed copy is edited once, and a failed
redraw loses nothing: the outbox's edit still comes.
"""

from __future__ import annotations

from bot.clock import Clock
from storage import case_copies as copy_repo
from storage.db import Database
from storage.times import to_db


async def copy_drawn(
    db: Database, clock: Clock, edit_key: str, chat_id: int, message_id: int, shown: str
) -> bool:
    """Record that the copy kept under ``edit_key`` now shows ``shown`` (a digest of its
    text and buttons), if the message drawn (``chat_id``, ``message_id``) is that copy;
    False if it is not (a card opened from a list): the kept copy is then edited as usual."""
    return await copy_repo.mark_shown(db, edit_key, chat_id, message_id, shown, to_db(clock.now()))
