"""Invites: one-time codes that let a person join as a role in an area.

A code is 22 URL-safe characters from 16 random bytes (128 bits), short enough for
a ``t.me/<bot>?start=<code>`` deep link (64 characters at most). Only its SHA-256 is
stored, so a copy of the database cannot be used to join. A code expires, and is
spent by the first registration that uses it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.services.grid import ADMIN_ROLES, LEVEL, ROLE_AREA_KINDS, AreaKind, Role, role_fits
from bot.services.permissions import Action, may
from storage import areas as area_repo
from storage import invites as invite_repo
from storage.areas import Area
from storage.db import Database, Queryable
from storage.invites import Invite
from storage.members import Member
from storage.times import from_db, to_db

CODE_BYTES = 16
_CODE = re.compile(r"^[A-Za-z0-9_-]{22}$")


class InviteError(Exception):
    """An invite code cannot be used; ``reason`` says why."""

    reason = "unknown"


class InviteUnknown(InviteError):
    """No invite has this code."""

    reason = "unknown"


class InviteUsed(InviteError):
    """The invite was used already."""

    reason = "used"


class InviteExpired(InviteError):
    """The invite is past its expiry."""

    reason = "expired"


class InviteNotAllowed(Exception):
    """The member may not invite this role to this area."""


@dataclass(frozen=True)
class NewInvite:
    """A freshly made invite; ``code`` is shown once and never stored."""

    code: str
    invite_id: int
    role: Role
    area: Area
    expires_at: datetime


def hash_code(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def looks_like_code(text: str) -> bool:
    """Whether ``text`` has the shape of an invite code."""
    return bool(_CODE.match(text))


def invitable_roles(member: Member | None) -> list[Role]:
    """The roles ``member`` may invite (None: an operator, who may invite any)."""
    if member is None:
        return list(Role)
    if member.role not in ADMIN_ROLES:
        return []
    own_level = LEVEL[AreaKind(member.area_kind)]
    return [
        role for role in Role if all(LEVEL[kind] >= own_level for kind in ROLE_AREA_KINDS[role])
    ]


async def create_invite(
    db: Database,
    clock: Clock,
    *,
    role: Role,
    area: Area,
    by: Member | None,
    ttl_days: int,
) -> NewInvite:
    """Make an invite for ``role`` in ``area``; ``by`` None means an operator made it.

    Raises :class:`InviteNotAllowed` if ``by`` may not invite there, or if the role
    does not fit the kind of area.
    """
    if not role_fits(role, area.kind):
        raise InviteNotAllowed(f"a {role.value} is not appointed to a {area.kind}")
    if by is not None and (not may(by, Action.INVITE, area) or role not in invitable_roles(by)):
        raise InviteNotAllowed(f"member {by.id} may not invite a {role.value} to {area.path}")
    now = clock.now()
    expires = now + timedelta(days=ttl_days)
    code = secrets.token_urlsafe(CODE_BYTES)
    invite_id = await invite_repo.insert(
        db,
        code_hash=hash_code(code),
        role=role.value,
        area_id=area.id,
        created_by=None if by is None else by.id,
        now=to_db(now),
        expires_at=to_db(expires),
    )
    return NewInvite(code=code, invite_id=invite_id, role=role, area=area, expires_at=expires)


async def check_invite(q: Queryable, clock: Clock, code: str) -> tuple[Invite, Area]:
    """The invite behind ``code`` and its area, if it can still be used.

    Raises :class:`InviteUnknown`, :class:`InviteUsed` or :class:`InviteExpired`.
    """
    if not looks_like_code(code):
        raise InviteUnknown(code)
    invite = await invite_repo.by_hash(q, hash_code(code))
    if invite is None:
        raise InviteUnknown(code)
    if invite.used_at is not None:
        raise InviteUsed(code)
    if from_db(invite.expires_at) <= clock.now():
        raise InviteExpired(code)
    area = await area_repo.get(q, invite.area_id)
    if area is None:  # areas are never deleted; a dangling invite is a bug
        raise InviteUnknown(code)
    return invite, area


async def open_invites(q: Queryable, clock: Clock, role: Role) -> list[Invite]:
    """Invites for ``role`` that can still be used (not spent, not expired), newest expiry first.

    The operator's ``init`` asks this so that running it again does not make a second
    invite for the first district admin while one is still waiting to be used.
    """
    return await invite_repo.open_of_role(q, role.value, to_db(clock.now()))
