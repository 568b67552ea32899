"""The duty logs repository: policy outreach (政策宣讲) and patrol check-ins (巡逻打卡)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable


@dataclass(frozen=True)
class OutreachLog:
    """A topic explained to residents."""

    id: int
    member_id: int
    area_id: int
    topic: str
    households: int
    at: str


@dataclass(frozen=True)
class PatrolLog:
    """A patrol walked."""

    id: int
    member_id: int
    area_id: int
    at: str
    latitude: float | None
    longitude: float | None


async def add_outreach(
    q: Queryable,
    *,
    member_id: int,
    area_id: int,
    topic: str,
    households: int,
    at: str,
    idempotency_key: str,
) -> int | None:
    """Log an outreach; None if ``idempotency_key`` was logged before."""
    row_id = await q.fetchval(
        "INSERT INTO outreach_logs (member_id, area_id, topic, households, at, idempotency_key)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        (member_id, area_id, topic, households, at, idempotency_key),
    )
    return None if row_id is None else int(row_id)


async def outreach_by_key(q: Queryable, idempotency_key: str) -> OutreachLog | None:
    """The outreach logged with ``idempotency_key``, or None."""
    row = await q.fetchone(
        "SELECT id, member_id, area_id, topic, households, at FROM outreach_logs"
        " WHERE idempotency_key = ?",
        (idempotency_key,),
    )
    return None if row is None else OutreachLog(*tuple(row))


async def outreach_of_member(q: Queryable, member_id: int) -> list[OutreachLog]:
    """A member's outreach logs, newest first."""
    rows = await q.fetchall(
        "SELECT id, member_id, area_id, topic, households, at FROM outreach_logs"
        " WHERE member_id = ? ORDER BY id DESC",
        (member_id,),
    )
    return [OutreachLog(*tuple(r)) for r in rows]


async def add_patrol(q: Queryable, *, member_id: int, area_id: int, at: str) -> int:
    """Log a patrol without a location; return its id."""
    return await q.execute(
        "INSERT INTO patrol_logs (member_id, area_id, at) VALUES (?, ?, ?)",
        (member_id, area_id, at),
    )


async def last_patrol(q: Queryable, member_id: int) -> PatrolLog | None:
    """A member's newest patrol log, or None."""
    row = await q.fetchone(
        "SELECT id, member_id, area_id, at, latitude, longitude FROM patrol_logs"
        " WHERE member_id = ? ORDER BY id DESC LIMIT 1",
        (member_id,),
    )
    return None if row is None else PatrolLog(*tuple(row))


async def set_patrol_location(
    q: Queryable, patrol_id: int, latitude: float, longitude: float
) -> None:
    """Attach a shared location to a patrol log."""
    await q.execute(
        "UPDATE patrol_logs SET latitude = ?, longitude = ? WHERE id = ?",
        (latitude, longitude, patrol_id),
    )


async def patrols_of_member(q: Queryable, member_id: int) -> list[PatrolLog]:
    """A member's patrol logs, newest first."""
    rows = await q.fetchall(
        "SELECT id, member_id, area_id, at, latitude, longitude FROM patrol_logs"
        " WHERE member_id = ? ORDER BY id DESC",
        (member_id,),
    )
    return [PatrolLog(*tuple(r)) for r in rows]


async def totals(q: Queryable, id_path: str, since: str, until: str) -> tuple[int, int, int]:
    """(outreach logs, households reached, patrols) in the areas under ``id_path``, since..until."""
    row = await q.fetchone(
        "SELECT"
        " (SELECT count(*) FROM outreach_logs o JOIN areas a ON a.id = o.area_id"
        "   WHERE a.id_path LIKE ? || '%' AND o.at >= ? AND o.at < ?),"
        " (SELECT coalesce(sum(o.households), 0) FROM outreach_logs o"
        "   JOIN areas a ON a.id = o.area_id"
        "   WHERE a.id_path LIKE ? || '%' AND o.at >= ? AND o.at < ?),"
        " (SELECT count(*) FROM patrol_logs p JOIN areas a ON a.id = p.area_id"
        "   WHERE a.id_path LIKE ? || '%' AND p.at >= ? AND p.at < ?)",
        (id_path, since, until) * 3,
    )
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
