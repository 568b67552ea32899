"""The report drafts repository: which members have a /report draft alive, and since when."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable, Statement, Transaction


@dataclass(frozen=True)
class DraftRow:
    """A draft in progress, as tracked (its content is in the member's conversation data)."""

    member_id: int
    tg_user_id: int
    flow: str
    category: str | None
    started_at: str
    touched_at: str


_COLUMNS = "member_id, tg_user_id, flow, category, started_at, touched_at"


def put_statement(*, member_id: int, tg_user_id: int, flow: str, now: str) -> Statement:
    """The statement that starts tracking draft ``flow`` of a member, replacing any earlier
    draft of theirs (for ``Database.write_batch``)."""
    return (
        "INSERT INTO report_drafts (member_id, tg_user_id, flow, category, started_at,"
        " touched_at) VALUES (?, ?, ?, NULL, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
        " tg_user_id = excluded.tg_user_id, flow = excluded.flow, category = NULL,"
        " started_at = excluded.started_at, touched_at = excluded.touched_at",
        (member_id, tg_user_id, flow, now, now),
    )


def touch_statement(*, member_id: int, flow: str, category: str | None, now: str) -> Statement:
    """The statement :func:`touch` runs, for a batch (its answer is not needed there)."""
    return (
        "UPDATE report_drafts SET touched_at = ?, category = coalesce(?, category)"
        " WHERE member_id = ? AND flow = ?",
        (now, category, member_id, flow),
    )


async def touch(q: Queryable, *, member_id: int, flow: str, category: str | None, now: str) -> bool:
    """Mark draft ``flow`` as active now; False if it is not tracked (ended or replaced).

    One statement: atomic on its own, so it needs no transaction around it.
    """
    changed = await q.execute_rowcount(
        *touch_statement(member_id=member_id, flow=flow, category=category, now=now)
    )
    return changed > 0


async def remove(tx: Transaction, *, member_id: int, flow: str) -> bool:
    """Stop tracking draft ``flow``; False if it was not tracked."""
    changed = await tx.execute_rowcount(
        "DELETE FROM report_drafts WHERE member_id = ? AND flow = ?", (member_id, flow)
    )
    return changed > 0


async def idle_since(q: Queryable, before: str, limit: int = 100) -> list[DraftRow]:
    """Drafts last touched before ``before``, oldest first."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM report_drafts WHERE touched_at < ? ORDER BY touched_at LIMIT ?",
        (before, limit),
    )
    return [DraftRow(*tuple(r)) for r in rows]


async def get(q: Queryable, member_id: int) -> DraftRow | None:
    """The draft a member has in progress, or None."""
    row = await q.fetchone(
        f"SELECT {_COLUMNS} FROM report_drafts WHERE member_id = ?", (member_id,)
    )
    return None if row is None else DraftRow(*tuple(row))
