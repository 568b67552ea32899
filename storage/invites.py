"""The invites repository: one-time join codes, kept only as hashes."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable, Row, Transaction

_COLUMNS = "id, role, area_id, created_by, created_at, expires_at, used_by, used_at"


@dataclass(frozen=True)
class Invite:
    """An invite to join as ``role`` in ``area_id``."""

    id: int
    role: str
    area_id: int
    created_by: int | None
    created_at: str
    expires_at: str
    used_by: int | None
    used_at: str | None


def _invite(row: Row) -> Invite:
    return Invite(
        id=row["id"],
        role=row["role"],
        area_id=row["area_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_by=row["used_by"],
        used_at=row["used_at"],
    )


async def insert(
    q: Queryable,
    *,
    code_hash: str,
    role: str,
    area_id: int,
    created_by: int | None,
    now: str,
    expires_at: str,
) -> int:
    """Store a new invite; return its id."""
    return await q.execute(
        "INSERT INTO invites (code_hash, role, area_id, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (code_hash, role, area_id, created_by, now, expires_at),
    )


async def by_hash(q: Queryable, code_hash: str) -> Invite | None:
    """The invite whose code hashes to ``code_hash``, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM invites WHERE code_hash = ?", (code_hash,))
    return None if row is None else _invite(row)


async def mark_used(tx: Transaction, invite_id: int, member_id: int, now: str) -> bool:
    """Spend an unused invite; False when someone spent it first."""
    changed = await tx.execute_rowcount(
        "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ? AND used_at IS NULL",
        (member_id, now, invite_id),
    )
    return changed == 1


async def open_of_role(q: Queryable, role: str, now: str) -> list[Invite]:
    """Unused, unexpired invites for ``role`` anywhere, the one expiring last first."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM invites WHERE role = ? AND used_at IS NULL AND expires_at > ?"
        " ORDER BY expires_at DESC, id DESC",
        (role, now),
    )
    return [_invite(r) for r in rows]
