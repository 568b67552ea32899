"""The digest repository: the cases of an area for a period, and the digests sent."""

from __future__ import annotations

from collections.abc import Mapping

from storage.cases import overdue_where
from storage.db import Queryable

# A case belongs to the community it was reported in, wherever escalation has moved it.
_IN_AREA = "community_id IN (SELECT id FROM areas WHERE id_path LIKE ?)"


async def new_cases(q: Queryable, id_path: str, since: str, until: str) -> list[int]:
    """Ids of the cases of the area (and below) created in [since, until), oldest first."""
    rows = await q.fetchall(
        f"SELECT id FROM cases WHERE {_IN_AREA} AND created_at >= ? AND created_at < ?"
        " ORDER BY created_at, id",
        (id_path + "%", since, until),
    )
    return [int(r["id"]) for r in rows]


async def ended_cases(q: Queryable, id_path: str, status: str, since: str, until: str) -> list[int]:
    """Ids of the cases of the area (and below) that ended in [since, until) as ``status``.

    ``closed`` (办结 and confirmed, or closed by itself) and ``rejected`` (不予受理) both
    set ``closed_at``; the digest reports them apart.
    """
    rows = await q.fetchall(
        f"SELECT id FROM cases WHERE {_IN_AREA} AND status = ? AND closed_at >= ?"
        " AND closed_at < ? ORDER BY closed_at, id",
        (id_path + "%", status, since, until),
    )
    return [int(r["id"]) for r in rows]


async def overdue_cases(
    q: Queryable, id_path: str, now: str, stage_due: Mapping[str, str]
) -> list[int]:
    """Ids of the cases of the area (and below) overdue now, oldest first.

    ``stage_due`` is the lifecycle's one definition of overdue; supervision (督办) hands
    out no fresh time limits, so an overdue case stays overdue until it is handled.
    """
    late, params = overdue_where(stage_due, now)
    rows = await q.fetchall(
        f"SELECT id FROM cases WHERE {_IN_AREA} AND {late} ORDER BY created_at, id",
        (id_path + "%", *params),
    )
    return [int(r["id"]) for r in rows]


async def last_until(q: Queryable, member_id: int) -> str | None:
    """The end of the period of the member's last digest, or None."""
    value = await q.fetchval("SELECT max(until) FROM digests WHERE member_id = ?", (member_id,))
    return None if value is None else str(value)


async def record(
    q: Queryable, member_id: int, local_date: str, since: str, until: str, sent: bool
) -> bool:
    """Record the member's digest of a local date; False if there was one already."""
    row_id = await q.fetchval(
        "INSERT INTO digests (member_id, local_date, since, until, sent) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (member_id, local_date) DO NOTHING RETURNING rowid",
        (member_id, local_date, since, until, int(sent)),
    )
    return row_id is not None
