"""The members repository: leaders, assistants and admins, each tied to an area."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Queryable, Row, Statement

# The commit mark of every write to a member (storage.db.Database.on_commit): whoever keeps
# a member read earlier (the member of the update in hand) knows it may be out of date.
CHANGED = "members"

_SELECT = (
    "SELECT m.id, m.tg_user_id, m.name, m.phone, m.role, m.area_id, m.work_id, m.active,"
    " m.language, m.joined_at, m.unreachable_since, a.path AS area_path, a.id_path AS area_id_path,"
    " a.kind AS area_kind FROM members m JOIN areas a ON a.id = m.area_id"
)


@dataclass(frozen=True)
class Member:
    """A registered person, with where they sit in the grid."""

    id: int
    tg_user_id: int
    name: str
    phone: str | None
    role: str
    area_id: int
    work_id: str
    active: bool
    language: str
    joined_at: str
    area_path: str
    area_id_path: str
    area_kind: str
    # When the member was found to have blocked the bot (None: reachable).
    unreachable_since: str | None = None
    # Whether cases are assigned to them to handle (我的待办), when read with the member
    # (by_tg_user with todo_statuses); None: not read.
    todo: bool | None = None

    @property
    def reachable(self) -> bool:
        """Whether messages can reach the member (they have not blocked the bot)."""
        return self.unreachable_since is None


def _member(row: Row) -> Member:
    return Member(
        id=row["id"],
        tg_user_id=row["tg_user_id"],
        name=row["name"],
        phone=row["phone"],
        role=row["role"],
        area_id=row["area_id"],
        work_id=row["work_id"],
        active=bool(row["active"]),
        language=row["language"],
        joined_at=row["joined_at"],
        area_path=row["area_path"],
        area_id_path=row["area_id_path"],
        area_kind=row["area_kind"],
        unreachable_since=row["unreachable_since"],
        # sqlite3.Row's "in" looks at the values: its keys are asked for by name.
        todo=bool(row["todo"]) if "todo" in row.keys() else None,  # noqa: SIM118
    )


async def insert(
    q: Queryable,
    *,
    tg_user_id: int,
    name: str,
    phone: str | None,
    role: str,
    area_id: int,
    work_id: str,
    language: str,
    invited_by: int | None,
    now: str,
) -> int:
    """Add a member; return its id."""
    member_id = await q.execute(
        "INSERT INTO members (tg_user_id, name, phone, role, area_id, work_id, language,"
        " invited_by, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (tg_user_id, name, phone, role, area_id, work_id, language, invited_by, now),
    )
    _changed(q, member_id)
    return member_id


def _memo(q: Queryable) -> dict[Hashable, Any] | None:
    """The transaction's memo of what it read (None outside a transaction: never kept)."""
    memo = getattr(q, "memo", None)
    return memo if isinstance(memo, dict) else None


def _changed(q: Queryable, member_id: int | None) -> None:
    """A write to members: its hooks on commit, and no memo of the member written."""
    q.mark(CHANGED)
    memo = _memo(q)
    if memo is not None:
        if member_id is None:
            memo.clear()
        else:
            memo.pop(("member", member_id), None)


async def get(q: Queryable, member_id: int) -> Member | None:
    """The member with this id, or None (as read before in the same transaction, if it
    was: by :func:`get_many`, say, with the others of a case's people)."""
    memo = _memo(q)
    key = ("member", member_id)
    if memo is not None and key in memo:
        known: Member | None = memo[key]
        return known
    row = await q.fetchone(f"{_SELECT} WHERE m.id = ?", (member_id,))
    member = None if row is None else _member(row)
    if memo is not None:
        memo[key] = member
    return member


async def get_many(q: Queryable, member_ids: Sequence[int]) -> dict[int, Member]:
    """The members with these ids, by id (one statement; unknown ids are left out). In a
    transaction they are kept for :func:`get` (the ids not found too) while it lasts."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = await q.fetchall(f"{_SELECT} WHERE m.id IN ({','.join('?' * len(ids))})", ids)
    found = {member.id: member for member in map(_member, rows)}
    memo = _memo(q)
    if memo is not None:
        for member_id in ids:
            memo[("member", member_id)] = found.get(member_id)
    return found


async def by_tg_user(
    q: Queryable, tg_user_id: int, *, todo_statuses: tuple[str, ...] = ()
) -> Member | None:
    """The member behind a Telegram user id, or None.

    With ``todo_statuses``, :attr:`Member.todo` says in the same statement whether a case
    in one of them is assigned to the member (through the assignee index, migration 0014).
    """
    select: str = _SELECT
    params: tuple[object, ...] = (tg_user_id,)
    if todo_statuses:
        marks = ", ".join("?" * len(todo_statuses))
        select = _SELECT.replace(
            " FROM members m",
            ", EXISTS (SELECT 1 FROM cases c WHERE c.assignee_id = m.id"
            f" AND c.status IN ({marks})) AS todo FROM members m",
            1,
        )
        params = (*todo_statuses, tg_user_id)
    row = await q.fetchone(f"{select} WHERE m.tg_user_id = ?", params)
    return None if row is None else _member(row)


def set_language_statement(member_id: int, language: str) -> Statement:
    """The statement that remembers an active member's language, for a batch
    (``Database.write_batch``, marked :data:`CHANGED`); a deactivated member's is kept."""
    return (
        "UPDATE members SET language = ? WHERE id = ? AND active = 1",
        (language, member_id),
    )


async def set_language(q: Queryable, member_id: int, language: str) -> None:
    """Remember the member's language."""
    await q.execute("UPDATE members SET language = ? WHERE id = ?", (language, member_id))
    _changed(q, member_id)


async def set_active(q: Queryable, member_id: int, active: bool) -> None:
    """Mark a member active or inactive (inactive: an operator's decision)."""
    await q.execute("UPDATE members SET active = ? WHERE id = ?", (int(active), member_id))
    _changed(q, member_id)


async def set_unreachable(q: Queryable, member_id: int, since: str | None) -> None:
    """Record that the member blocked the bot at ``since``, or (None) that they are back."""
    await q.execute("UPDATE members SET unreachable_since = ? WHERE id = ?", (since, member_id))
    _changed(q, member_id)


async def listing(
    q: Queryable, *, inactive: bool = False, unreachable: bool = False
) -> list[Member]:
    """Every member by area and name; only the inactive or unreachable ones if asked."""
    sql = f"{_SELECT} WHERE 1 = 1"
    if inactive:
        sql += " AND m.active = 0"
    if unreachable:
        sql += " AND m.unreachable_since IS NOT NULL"
    return [_member(r) for r in await q.fetchall(sql + " ORDER BY a.path, m.name, m.id")]


async def in_subtree(
    q: Queryable, id_path: str, roles: Sequence[str] = (), *, active_only: bool = True
) -> list[Member]:
    """Members in the area with ``id_path`` and below, optionally of some roles."""
    sql = f"{_SELECT} WHERE a.id_path LIKE ?"
    params: list[object] = [id_path + "%"]
    if roles:
        sql += f" AND m.role IN ({','.join('?' * len(roles))})"
        params.extend(roles)
    if active_only:
        sql += " AND m.active = 1"
    return [_member(r) for r in await q.fetchall(sql + " ORDER BY a.path, m.name", params)]


async def at_areas(
    q: Queryable, area_ids: Sequence[int], roles: Sequence[str], *, active_only: bool = True
) -> list[Member]:
    """Members sitting exactly at one of ``area_ids`` with one of ``roles``."""
    if not area_ids or not roles:
        return []
    sql = (
        f"{_SELECT} WHERE m.area_id IN ({','.join('?' * len(area_ids))})"
        f" AND m.role IN ({','.join('?' * len(roles))})"
    )
    if active_only:
        sql += " AND m.active = 1"
    return [_member(r) for r in await q.fetchall(sql + " ORDER BY m.id", [*area_ids, *roles])]


async def count_with_role(q: Queryable, role: str, *, active_only: bool = True) -> int:
    """How many members have ``role``."""
    sql = "SELECT count(*) FROM members WHERE role = ?"
    if active_only:
        sql += " AND active = 1"
    return int(await q.fetchval(sql, (role,)))
