"""The digest repository: the cases of an area for a period, and the digests sent.

The period's cases are read with their community's id path, so one read serves every
admin of a sweep: each takes the rows under their own area (see bot/services/digest.py).
Each query goes through an index that starts at the community (``cases_community``,
``cases_community_ended``) or at the due time (``cases_status_*_due``), so a digest
reads the period's cases, not the area's history.
"""

from __future__ import annotations

from collections.abc import Mapping

from storage.cases import overdue_where, subtree_range
from storage.db import Queryable

# A case belongs to the community it was reported in, wherever escalation has moved it.
_IN_AREA = "c.community_id IN (SELECT id FROM areas WHERE id_path >= ? AND id_path < ?)"
_SELECT = "SELECT c.id, a.id_path FROM cases c JOIN areas a ON a.id = c.community_id"

# (case id, id path of its community), in the section's order
Rows = list[tuple[int, str]]


async def new_rows(q: Queryable, id_path: str, since: str, until: str) -> Rows:
    """The cases of the area (and below) created in [since, until), oldest first."""
    rows = await q.fetchall(
        f"{_SELECT} WHERE {_IN_AREA} AND c.created_at >= ? AND c.created_at < ?"
        " ORDER BY c.created_at, c.id",
        (*subtree_range(id_path), since, until),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def ended_rows(q: Queryable, id_path: str, status: str, since: str, until: str) -> Rows:
    """The cases of the area (and below) that ended in [since, until) as ``status``.

    ``closed`` (办结 and confirmed, or closed by itself) and ``rejected`` (不予受理) both
    set ``closed_at``; the digest reports them apart.
    """
    rows = await q.fetchall(
        f"{_SELECT} WHERE {_IN_AREA} AND c.status = ? AND c.closed_at >= ?"
        " AND c.closed_at < ? ORDER BY c.closed_at, c.id",
        (*subtree_range(id_path), status, since, until),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def overdue_rows(q: Queryable, id_path: str, now: str, stage_due: Mapping[str, str]) -> Rows:
    """The cases of the area (and below) overdue now, oldest first.

    ``stage_due`` is the lifecycle's one definition of overdue; supervision (督办) hands
    out no fresh time limits, so an overdue case stays overdue until it is handled.
    """
    late, params = overdue_where(stage_due, now, "c.")
    rows = await q.fetchall(
        f"{_SELECT} WHERE {_IN_AREA} AND {late} ORDER BY c.created_at, c.id",
        (*subtree_range(id_path), *params),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def new_cases(q: Queryable, id_path: str, since: str, until: str) -> list[int]:
    """Ids of the cases of the area (and below) created in [since, until), oldest first."""
    return [case_id for case_id, _ in await new_rows(q, id_path, since, until)]


async def ended_cases(q: Queryable, id_path: str, status: str, since: str, until: str) -> list[int]:
    """Ids of the cases of the area (and below) that ended in [since, until) as ``status``."""
    return [case_id for case_id, _ in await ended_rows(q, id_path, status, since, until)]


async def overdue_cases(
    q: Queryable, id_path: str, now: str, stage_due: Mapping[str, str]
) -> list[int]:
    """Ids of the cases of the area (and below) overdue now, oldest first."""
    return [case_id for case_id, _ in await overdue_rows(q, id_path, now, stage_due)]


async def last_until(q: Queryable, member_id: int) -> str | None:
    """The end of the period of the member's last digest, or None.

    The latest local date's (periods follow each other), read through the primary key:
    one row, however many digests the member has had.
    """
    value = await q.fetchval(
        "SELECT until FROM digests WHERE member_id = ? ORDER BY local_date DESC LIMIT 1",
        (member_id,),
    )
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
