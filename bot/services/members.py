"""Members: joining with an invite, and what a member may change about themselves."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.invites import InviteUsed, check_invite
from bot.services.roster import PhoneMismatch, check_join
from storage import counters
from storage import invites as invite_repo
from storage import members as member_repo
from storage.db import Database, Queryable
from storage.members import Member
from storage.times import to_db

__all__ = [
    "AlreadyMember",
    "BadName",
    "Member",
    "PhoneMismatch",
    "clean_name",
    "clean_phone",
    "current",
    "register",
    "set_language",
]

MAX_NAME = 32
_PHONE = re.compile(r"^\+?\d{5,20}$")


class AlreadyMember(Exception):
    """This Telegram user is registered already."""

    def __init__(self, member: Member) -> None:
        super().__init__(member.work_id)
        self.member = member


class BadName(Exception):
    """A name that cannot be used; the message is the reason: empty, too_long, invalid."""


def clean_name(text: str) -> str:
    """A person's name as typed, tidied; :class:`BadName` if unusable."""
    name = " ".join(text.split())
    if not name:
        raise BadName("empty")
    if len(name) > MAX_NAME:
        raise BadName("too_long")
    if any(unicodedata.category(ch).startswith("C") for ch in name) or name.startswith("/"):
        raise BadName("invalid")
    return name


def clean_phone(text: str) -> str | None:
    """A phone number reduced to digits and a leading '+', or None if it is not one."""
    phone = re.sub(r"[\s()-]", "", text)
    return phone if _PHONE.match(phone) else None


async def current(q: Queryable, tg_user_id: int) -> Member | None:
    """The member behind a Telegram user, or None if they have not joined."""
    return await member_repo.by_tg_user(q, tg_user_id)


async def register(
    db: Database,
    clock: Clock,
    *,
    code: str,
    tg_user_id: int,
    name: str,
    phone: str | None,
    language: str,
    grid_code: str,
    tz: ZoneInfo,
) -> Member:
    """Join with an invite: spend it and create the member, in one transaction.

    The member gets a work ID number (工作证号) such as ``YH-2026-00017``. Raises the
    invite errors of :func:`bot.services.invites.check_invite`, :class:`AlreadyMember`,
    :class:`BadName`, or :class:`PhoneMismatch` when the invite was made from a roster for
    another phone (a roster's invite also brings the roster's name and work ID number).
    """
    name = clean_name(name)
    now = clock.now()
    async with db.transaction() as tx:
        existing = await member_repo.by_tg_user(tx, tg_user_id)
        if existing is not None:
            raise AlreadyMember(existing)
        invite, _area = await check_invite(tx, clock, code)
        listed = await check_join(tx, invite.id, phone)
        year = now.astimezone(tz).year
        number = await counters.next_value(tx, f"work_id:{year}")
        work_id = f"{grid_code}-{year}-{number:05d}"
        if listed is not None:
            name, work_id = listed.name, listed.work_id or work_id
        member_id = await member_repo.insert(
            tx,
            tg_user_id=tg_user_id,
            name=name,
            phone=phone,
            role=invite.role,
            area_id=invite.area_id,
            work_id=work_id,
            language=language,
            invited_by=invite.created_by,
            now=to_db(now),
        )
        if not await invite_repo.mark_used(tx, invite.id, member_id, to_db(now)):
            raise InviteUsed(code)
        member = await member_repo.get(tx, member_id)
    assert member is not None
    return member


async def set_language(db: Database, member: Member, language: str) -> None:
    """Remember ``member``'s language."""
    await member_repo.set_language(db, member.id, language)


async def has_role(q: Queryable, role: str) -> bool:
    """Whether any active member has ``role``."""
    return await member_repo.count_with_role(q, role) > 0
