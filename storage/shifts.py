"""The duty repository: posts (a gate checkpoint, a patrol route), shifts and sign-ups."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable, Row


@dataclass(frozen=True)
class Post:
    """A duty post of an area."""

    id: int
    area_id: int
    name: str


@dataclass(frozen=True)
class Shift:
    """A shift at a post, with how many people it needs and who is on it."""

    id: int
    post_id: int
    post_name: str
    area_id: int
    starts_at: str
    ends_at: str
    needed: int
    created_by: int | None
    created_at: str
    staff: tuple[int, ...]

    @property
    def open_places(self) -> int:
        """How many more people it needs."""
        return max(0, self.needed - len(self.staff))


_SHIFT = (
    "SELECT s.id, s.post_id, p.name AS post_name, p.area_id, s.starts_at, s.ends_at, s.needed,"
    " s.created_by, s.created_at, (SELECT group_concat(member_id) FROM shift_assignments a"
    " WHERE a.shift_id = s.id) AS staff FROM shifts s JOIN duty_posts p ON p.id = s.post_id"
)


def _shift(row: Row) -> Shift:
    values = dict(row)
    staff = values.pop("staff")
    return Shift(**values, staff=tuple(int(x) for x in staff.split(",")) if staff else ())


async def add_post(q: Queryable, area_id: int, name: str, by: int, now: str) -> int | None:
    """Add a post; None if the area has one of that name."""
    row_id = await q.fetchval(
        "INSERT INTO duty_posts (area_id, name, created_by, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (area_id, name) DO NOTHING RETURNING id",
        (area_id, name, by, now),
    )
    return None if row_id is None else int(row_id)


async def get_post(q: Queryable, post_id: int) -> Post | None:
    """The post with this id, or None."""
    row = await q.fetchone("SELECT id, area_id, name FROM duty_posts WHERE id = ?", (post_id,))
    return None if row is None else Post(**dict(row))


async def posts_in(q: Queryable, id_path: str) -> list[Post]:
    """The posts of the area with ``id_path`` and below."""
    rows = await q.fetchall(
        "SELECT p.id, p.area_id, p.name FROM duty_posts p JOIN areas a ON a.id = p.area_id"
        " WHERE a.id_path LIKE ? ORDER BY p.id",
        (id_path + "%",),
    )
    return [Post(**dict(r)) for r in rows]


async def add_shift(
    q: Queryable, post_id: int, starts_at: str, ends_at: str, needed: int, by: int, now: str
) -> int:
    """Add a shift to a post; return its id."""
    return await q.execute(
        "INSERT INTO shifts (post_id, starts_at, ends_at, needed, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (post_id, starts_at, ends_at, needed, by, now),
    )


async def get_shift(q: Queryable, shift_id: int) -> Shift | None:
    """The shift with this id, or None."""
    row = await q.fetchone(f"{_SHIFT} WHERE s.id = ?", (shift_id,))
    return None if row is None else _shift(row)


async def shifts_starting(q: Queryable, since: str, until: str) -> list[Shift]:
    """Shifts starting in [since, until], in order."""
    rows = await q.fetchall(
        f"{_SHIFT} WHERE s.starts_at >= ? AND s.starts_at <= ? ORDER BY s.starts_at, s.id",
        (since, until),
    )
    return [_shift(r) for r in rows]


async def assign(q: Queryable, shift_id: int, member_id: int, by: int | None, now: str) -> bool:
    """Put a member on a shift; False if they were on it already."""
    row_id = await q.fetchval(
        "INSERT INTO shift_assignments (shift_id, member_id, assigned_by, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (shift_id, member_id) DO NOTHING RETURNING rowid",
        (shift_id, member_id, by, now),
    )
    return row_id is not None


async def unassign(q: Queryable, shift_id: int, member_id: int) -> bool:
    """Take a member off a shift; False if they were not on it."""
    gone = await q.fetchval(
        "DELETE FROM shift_assignments WHERE shift_id = ? AND member_id = ? RETURNING member_id",
        (shift_id, member_id),
    )
    return gone is not None


async def record_notice(
    q: Queryable, shift_id: int, member_id: int, kind: str, outcome: str, now: str
) -> bool:
    """Record a shift reminder or unstaffed alert; False if it was recorded before."""
    row_id = await q.fetchval(
        "INSERT INTO shift_notices (shift_id, member_id, kind, outcome, at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (shift_id, member_id, kind) DO NOTHING RETURNING rowid",
        (shift_id, member_id, kind, outcome, now),
    )
    return row_id is not None
