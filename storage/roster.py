"""The roster repository: invites made from an imported roster, tied to a name and phone."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable


@dataclass(frozen=True)
class RosterEntry:
    """The person an invite was made for."""

    invite_id: int
    name: str
    phone: str  # the national number, digits only
    work_id: str | None
    source: str


async def add(
    q: Queryable,
    *,
    invite_id: int,
    name: str,
    phone: str,
    work_id: str | None,
    source: str,
    now: str,
) -> None:
    """Tie an invite to the person of a roster row."""
    await q.execute(
        "INSERT INTO roster_invites (invite_id, name, phone, work_id, source, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (invite_id, name, phone, work_id, source, now),
    )


async def entry(q: Queryable, invite_id: int) -> RosterEntry | None:
    """The roster row behind an invite, or None for an ordinary invite."""
    row = await q.fetchone(
        "SELECT invite_id, name, phone, work_id, source FROM roster_invites WHERE invite_id = ?",
        (invite_id,),
    )
    return None if row is None else RosterEntry(*tuple(row))


async def member_phones(q: Queryable) -> dict[str, str]:
    """Every member's phone as stored, with their work ID (to find people already in)."""
    rows = await q.fetchall("SELECT phone, work_id FROM members WHERE phone IS NOT NULL")
    return {str(r[0]): str(r[1]) for r in rows}


async def work_ids(q: Queryable, now: str) -> dict[str, str | None]:
    """Work ID numbers taken: by a member (None), or by a pending roster invite (its phone)."""
    rows = await q.fetchall(
        "SELECT r.work_id, r.phone FROM roster_invites r JOIN invites i ON i.id = r.invite_id"
        " WHERE r.work_id IS NOT NULL AND i.used_at IS NULL AND i.expires_at > ?",
        (now,),
    )
    taken: dict[str, str | None] = {str(r[0]): str(r[1]) for r in rows}
    for row in await q.fetchall("SELECT work_id FROM members"):
        taken[str(row[0])] = None
    return taken


async def supersede(q: Queryable, phone: str, now: str) -> int:
    """Expire the unused roster invites for ``phone`` (a new import replaces them)."""
    cursor_rows = await q.fetchall(
        "SELECT i.id FROM invites i JOIN roster_invites r ON r.invite_id = i.id"
        " WHERE r.phone = ? AND i.used_at IS NULL AND i.expires_at > ?",
        (phone, now),
    )
    for row in cursor_rows:
        await q.execute("UPDATE invites SET expires_at = ? WHERE id = ?", (now, row[0]))
    return len(cursor_rows)
