"""Alert copies of cases: who holds one (case_watchers) and where each message went
(message_refs), so that every copy is edited in place when the case moves; and what a
copy shows when a handler has just redrawn it (``shown``), so the outbox does not edit
it a second time."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable

# ---------------------------------------------------------------------- alert copies


@dataclass(frozen=True)
class Watcher:
    """Someone holding an alert of a case: a member, or a group chat (member_id None)."""

    recipient: str
    member_id: int | None
    area_id: int


async def add_watcher(
    q: Queryable, case_id: int, recipient: str, member_id: int | None, area_id: int, now: str
) -> bool:
    """Record that ``recipient`` holds an alert of the case; False if it did already."""
    row = await q.fetchval(
        "INSERT INTO case_watchers (case_id, recipient, member_id, area_id, added_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
        (case_id, recipient, member_id, area_id, now),
    )
    return row is not None


async def watchers(q: Queryable, case_id: int) -> list[Watcher]:
    """Everyone holding an alert of the case, in the order they got it."""
    rows = await q.fetchall(
        "SELECT recipient, member_id, area_id FROM case_watchers WHERE case_id = ? ORDER BY rowid",
        (case_id,),
    )
    return [Watcher(r[0], r[1], r[2]) for r in rows]


async def remember_message(
    q: Queryable, edit_key: str, chat_id: int, message_id: int, now: str
) -> None:
    """Keep the message sent under ``edit_key``, to edit it later."""
    await q.execute(
        "INSERT INTO message_refs (edit_key, chat_id, message_id, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (edit_key) DO UPDATE SET chat_id = excluded.chat_id,"
        " message_id = excluded.message_id, updated_at = excluded.updated_at",
        (edit_key, chat_id, message_id, now),
    )


async def message_ref(q: Queryable, edit_key: str) -> tuple[int, int] | None:
    """(chat id, message id) of the message kept under ``edit_key``, or None.

    (Its ``shown`` column, of migration 0012, is no longer used: a copy a handler redrew
    has its outbox row closed instead, see bot/services/cases/copies.py.)
    """
    row = await q.fetchone(
        "SELECT chat_id, message_id FROM message_refs WHERE edit_key = ?", (edit_key,)
    )
    return None if row is None else (int(row[0]), int(row[1]))
