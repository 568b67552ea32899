"""Members: joining with an invite, what a member may change, and whether they can be reached.

A member who blocked the bot (Telegram answers 403) is *unreachable*, not removed:
what is queued for them is held, their admins are told once, and as soon as they
unblock the bot or write to it again they are reachable and what was held goes out.
*Inactive* is an operator's decision (``python -m bot members``): an inactive member
may do nothing, not even change their settings, until reactivated.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.cases import MEMBER_BLOCKED
from bot.services.cases.routing import responsible_admins
from bot.services.invites import InviteUsed, check_invite
from bot.services.notify import notify_member, queued
from bot.services.roster import PhoneMismatch, check_join
from bot.services.typed_text import ZWJ, clean_text
from storage import areas as area_repo
from storage import counters, outbox
from storage import invites as invite_repo
from storage import members as member_repo
from storage.db import Database, Queryable, Statement, Transaction
from storage.members import Member
from storage.times import to_db

__all__ = [
    "CHANGED",
    "AlreadyMember",
    "BadName",
    "Inactive",
    "LanguageChange",
    "Member",
    "PhoneMismatch",
    "change_language",
    "clean_name",
    "clean_phone",
    "current",
    "register",
    "set_language",
]

# The commit mark of a change to any member (see storage.members.CHANGED).
CHANGED = member_repo.CHANGED
MAX_NAME = 32
_PHONE = re.compile(r"^\+?\d{5,20}$")


class AlreadyMember(Exception):
    """This Telegram user is registered already."""

    def __init__(self, member: Member) -> None:
        super().__init__(member.work_id)
        self.member = member


class Inactive(Exception):
    """The member was deactivated by an operator and may change nothing."""


class BadName(Exception):
    """A name that cannot be used; the message is the reason: empty, too_long, invalid."""


def clean_name(text: str) -> str:
    """A person's name as typed, tidied; :class:`BadName` if unusable."""
    name = " ".join(clean_text(text).split())
    if not name:
        raise BadName("empty")
    if len(name) > MAX_NAME:
        raise BadName("too_long")
    # What clean_text leaves of the format characters is the ZWJ of an emoji sequence.
    visible = name.replace(ZWJ, "")
    if any(unicodedata.category(ch).startswith("C") for ch in visible) or name.startswith("/"):
        raise BadName("invalid")
    return name


def clean_phone(text: str) -> str | None:
    """A phone number reduced to digits and a leading '+', or None if it is not one."""
    phone = re.sub(r"[\s()-]", "", text)
    return phone if _PHONE.match(phone) else None


async def current(
    q: Queryable, tg_user_id: int, *, todo_statuses: tuple[str, ...] = ()
) -> Member | None:
    """The member behind a Telegram user, or None if they have not joined; with
    ``todo_statuses``, whether cases are theirs to handle too (:attr:`Member.todo`)."""
    return await member_repo.by_tg_user(q, tg_user_id, todo_statuses=todo_statuses)


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
    typed_name = clean_name(name)
    now = clock.now()

    async def run(tx: Transaction) -> Member | None:
        existing = await member_repo.by_tg_user(tx, tg_user_id)
        if existing is not None:
            raise AlreadyMember(existing)
        invite, _area = await check_invite(tx, clock, code)
        listed = await check_join(tx, invite.id, phone)
        year = now.astimezone(tz).year
        number = await counters.next_value(tx, f"work_id:{year}")
        name, work_id = typed_name, f"{grid_code}-{year}-{number:05d}"
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
        return await member_repo.get(tx, member_id)

    member = await db.run_transaction(run)
    assert member is not None
    return member


@dataclass(frozen=True)
class LanguageChange:
    """A member's new language: the member as they will be, and the write that stores it
    (with the save of the update that chose it), with the topics it concerns."""

    member: Member
    write: Statement
    marks: frozenset[str] = frozenset({member_repo.CHANGED})


def change_language(member: Member, language: str) -> LanguageChange:
    """``member`` chose ``language`` (read active in this update): the change to store with
    the update's save; :class:`Inactive` if they are deactivated. A deactivation committed
    before that save keeps their old language (the write skips an inactive member)."""
    if not member.active:
        raise Inactive(member.work_id)
    return LanguageChange(
        replace(member, language=language),
        member_repo.set_language_statement(member.id, language),
    )


async def set_language(db: Database, member: Member, language: str) -> Member:
    """Remember ``member``'s language; :class:`Inactive` if they were deactivated.

    Returns the member as committed (read under the write lock, so nothing else changed it
    in between), for the caller to go on with instead of reading it again.
    """

    async def run(tx: Transaction) -> Member:
        now = await member_repo.get(tx, member.id)
        if now is None or not now.active:
            raise Inactive(member.work_id)
        await member_repo.set_language(tx, member.id, language)
        return replace(now, language=language)

    return await db.run_transaction(run)


async def blocked(db: Database, clock: Clock, member_id: int) -> bool:
    """The member blocked the bot: mark them unreachable and tell their admins, once.

    Their queued messages stay pending and are held (see :func:`storage.outbox.due`)
    until :func:`reachable_again`. Returns False if they were marked already (or are
    unknown), so a second 403 or a second "blocked" update tells nobody again.
    """
    now = to_db(clock.now())

    async def run(tx: Transaction) -> bool:
        member = await member_repo.get(tx, member_id)
        if member is None or not member.reachable:
            return False
        await member_repo.set_unreachable(tx, member_id, now)
        area = await area_repo.get(tx, member.area_id)
        admins = [] if area is None else await responsible_admins(tx, area)
        for admin in admins:
            if admin.id != member_id:
                await notify_member(
                    tx,
                    admin,
                    MEMBER_BLOCKED,
                    {"member_id": member_id},
                    now=now,
                    dedupe_key=f"blocked:{member_id}:{now}:{admin.id}",
                )
        return True

    return await db.run_transaction(run)


async def reachable_again(db: Database, clock: Clock, member: Member) -> int | None:
    """The member unblocked the bot or wrote to it: release what was held for them.

    Returns how many held messages are now due (None if they were reachable already).
    """
    if member.reachable:
        return None
    now = to_db(clock.now())

    async def run(tx: Transaction) -> int:
        await member_repo.set_unreachable(tx, member.id, None)
        queued(tx)
        return await outbox.release_held(tx, member.id, now)

    return await db.run_transaction(run)


async def listing(
    q: Queryable, *, inactive: bool = False, unreachable: bool = False
) -> list[Member]:
    """Members for the operator's list, optionally only the inactive or unreachable ones."""
    return await member_repo.listing(q, inactive=inactive, unreachable=unreachable)


async def reactivate(db: Database, clock: Clock, member_id: int) -> Member | None:
    """Make a member active (and reachable) again; None if there is no such member.

    What was held for them is due at once: an operator reactivates someone they have
    spoken to.
    """
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Member | None:
        member = await member_repo.get(tx, member_id)
        if member is None:
            return None
        await member_repo.set_active(tx, member_id, True)
        await member_repo.set_unreachable(tx, member_id, None)
        await outbox.release_held(tx, member_id, now)
        queued(tx)
        return await member_repo.get(tx, member_id)

    return await db.run_transaction(run)


async def deactivate(db: Database, member_id: int) -> Member | None:
    """Make a member inactive (they left); None if there is no such member.

    An inactive member may do nothing and is left out of alerts, meetings and routing.
    """

    async def run(tx: Transaction) -> Member | None:
        member = await member_repo.get(tx, member_id)
        if member is None:
            return None
        await member_repo.set_active(tx, member_id, False)
        return await member_repo.get(tx, member_id)

    return await db.run_transaction(run)


async def has_role(q: Queryable, role: str) -> bool:
    """Whether any active member has ``role``."""
    return await member_repo.count_with_role(q, role) > 0
