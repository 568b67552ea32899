"""Duty shifts (自行排班): posts, shifts, sign-ups, assignments, reminders and alerts.

An admin defines duty posts for their area (a gate checkpoint, a patrol route) and
the shifts each needs. Leaders in the area sign up for open shifts, or the admin
assigns them. The sweep reminds each person before their shift and reports a
shift still short of people to the admin who made it. Like meeting reminders,
each notice is recorded with its outbox row in one transaction: never twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.errors import KeyedError
from bot.services.grid import LEADER_ROLES
from bot.services.meetings import parse_local
from bot.services.notify import notify_member
from bot.services.permissions import Action, may
from bot.services.schedule import parse_hhmm
from storage import areas as area_repo
from storage import members as member_repo
from storage import shifts as repo
from storage.db import Database, Queryable, Transaction
from storage.members import Member
from storage.shifts import Post
from storage.shifts import Shift as Shift  # re-exported for handlers
from storage.times import from_db, to_db

log = logging.getLogger(__name__)

SHIFT_REMINDER = "shift.reminder"
SHIFT_UNSTAFFED = "shift.unstaffed"
SHIFT_ASSIGNED = "shift.assigned"
SHIFT_WITHDRAWN = "shift.withdrawn"
AHEAD = timedelta(days=14)


class ShiftError(KeyedError):
    """A shift action that cannot be done; ``key`` names the text to show."""


@dataclass(frozen=True)
class ShiftTimes:
    """A shift's start, end and head count, parsed from what the admin typed."""

    starts: datetime
    ends: datetime
    needed: int


def parse_shift(text: str, tz: ZoneInfo) -> ShiftTimes | None:
    """'2026-06-14 08:00-12:00 2' (date, start-end, optional head count) in local time."""
    words = text.strip().replace("：", ":").replace("—", "-").replace("～", "-").split()
    if len(words) not in (2, 3) or words[1].count("-") != 1:
        return None
    start_text, end_text = words[1].split("-")
    starts = parse_local(f"{words[0]} {start_text}", tz)
    end_at = parse_hhmm(end_text)
    if starts is None or end_at is None:
        return None
    ends = starts.replace(hour=end_at.hour, minute=end_at.minute)
    if ends <= starts:  # a night shift ends the next day
        ends += timedelta(days=1)
    needed = 1
    if len(words) == 3:
        if not words[2].isdigit() or not 1 <= int(words[2]) <= 20:
            return None
        needed = int(words[2])
    return ShiftTimes(starts, ends, needed)


def local_times(shift: Shift, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A shift's start and end in local time."""
    return from_db(shift.starts_at).astimezone(tz), from_db(shift.ends_at).astimezone(tz)


async def _admin_area_ok(q: Queryable, admin: Member, area_id: int) -> bool:
    area = await area_repo.get(q, area_id)
    return area is not None and may(admin, Action.SCHEDULE_MEETING, area)


async def create_post(db: Database, clock: Clock, admin: Member, name: str) -> Post:
    """Add a duty post to the admin's own area."""
    name = " ".join(name.split())[:64]
    if not name:
        raise ShiftError("shifts.bad_name")
    if not await _admin_area_ok(db, admin, admin.area_id):
        raise ShiftError("access.not_allowed_here")
    post_id = await repo.add_post(db, admin.area_id, name, admin.id, to_db(clock.now()))
    if post_id is None:
        raise ShiftError("shifts.post_exists")
    post = await repo.get_post(db, post_id)
    assert post is not None
    return post


async def posts_of(q: Queryable, admin: Member) -> list[Post]:
    """The duty posts of the admin's area and below."""
    return await repo.posts_in(q, admin.area_id_path)


async def post_for_admin(q: Queryable, admin: Member, post_id: int) -> Post:
    """A post the admin may manage; :class:`ShiftError` otherwise."""
    post = await repo.get_post(q, post_id)
    if post is None or not await _admin_area_ok(q, admin, post.area_id):
        raise ShiftError("shifts.gone")
    return post


async def add_shift(
    db: Database, clock: Clock, tz: ZoneInfo, admin: Member, post_id: int, text: str
) -> Shift:
    """Add a shift to a post from 'YYYY-MM-DD HH:MM-HH:MM [people]'."""
    post = await post_for_admin(db, admin, post_id)
    times = parse_shift(text, tz)
    if times is None:
        raise ShiftError("shifts.bad_times")
    now = clock.now()
    if times.starts <= now:
        raise ShiftError("shifts.in_the_past")
    shift_id = await repo.add_shift(
        db, post.id, to_db(times.starts), to_db(times.ends), times.needed, admin.id, to_db(now)
    )
    shift = await repo.get_shift(db, shift_id)
    assert shift is not None
    return shift


async def _area_path(q: Queryable, area_id: int) -> str:
    area = await area_repo.get(q, area_id)
    return area.id_path if area else "/none/"


async def upcoming(db: Database, clock: Clock, member: Member) -> list[Shift]:
    """Shifts ahead that concern the member: of their area and above, or below (admins)."""
    now = clock.now()
    found = []
    for shift in await repo.shifts_starting(db, to_db(now), to_db(now + AHEAD)):
        path = await _area_path(db, shift.area_id)
        if member.area_id_path.startswith(path) or path.startswith(member.area_id_path):
            found.append(shift)
    return found


async def get(q: Queryable, shift_id: int) -> Shift | None:
    """The shift with this id, or None."""
    return await repo.get_shift(q, shift_id)


async def sign_up(db: Database, clock: Clock, member: Member, shift_id: int) -> Shift:
    """A leader signs up for an open shift of their area."""
    now = clock.now()

    async def run(tx: Transaction) -> Shift:
        shift = await repo.get_shift(tx, shift_id)
        if shift is None or from_db(shift.starts_at) <= now:
            raise ShiftError("shifts.gone")
        if not member.area_id_path.startswith(await _area_path(tx, shift.area_id)):
            raise ShiftError("access.not_allowed_here")
        if member.id in shift.staff:
            raise ShiftError("shifts.already_on")
        if shift.open_places == 0:
            raise ShiftError("shifts.full")
        await repo.assign(tx, shift.id, member.id, member.id, to_db(now))
        updated = await repo.get_shift(tx, shift.id)
        assert updated is not None
        return updated

    return await db.run_transaction(run)


async def withdraw(db: Database, clock: Clock, member: Member, shift_id: int) -> Shift:
    """A member takes themselves off a shift that has not started; its admin is told."""
    now = clock.now()

    async def run(tx: Transaction) -> Shift:
        shift = await repo.get_shift(tx, shift_id)
        if shift is None or from_db(shift.starts_at) <= now:
            raise ShiftError("shifts.gone")
        if not await repo.unassign(tx, shift.id, member.id):
            raise ShiftError("shifts.not_on")
        admin = await member_repo.get(tx, shift.created_by) if shift.created_by else None
        if admin is not None and admin.active and admin.id != member.id:
            await notify_member(
                tx,
                admin,
                SHIFT_WITHDRAWN,
                {"shift_id": shift.id, "member_id": member.id},
                now=to_db(now),
                # one notice per withdrawal: a member may sign up and withdraw again
                dedupe_key=f"{SHIFT_WITHDRAWN}:{shift.id}:{member.id}:{to_db(now)}",
            )
        updated = await repo.get_shift(tx, shift.id)
        assert updated is not None
        return updated

    return await db.run_transaction(run)


async def member(q: Queryable, member_id: int) -> Member | None:
    """The member with this id (active or not), or None."""
    return await member_repo.get(q, member_id)


async def roster(q: Queryable, shift: Shift) -> list[Member]:
    """The people on a shift, in the order they were put on it."""
    people = [await member_repo.get(q, member_id) for member_id in shift.staff]
    return [m for m in people if m is not None]


async def candidates(q: Queryable, admin: Member, shift_id: int) -> list[Member]:
    """Leaders and assistants of the shift's area who are not on it yet."""
    shift = await repo.get_shift(q, shift_id)
    if shift is None or not await _admin_area_ok(q, admin, shift.area_id):
        raise ShiftError("shifts.gone")
    path = await _area_path(q, shift.area_id)
    people = await member_repo.in_subtree(q, path, sorted(LEADER_ROLES))
    return [m for m in people if m.id not in shift.staff]


async def assign(db: Database, clock: Clock, admin: Member, shift_id: int, member_id: int) -> Shift:
    """An admin puts a member on a shift; the member is told."""
    now = clock.now()

    async def run(tx: Transaction) -> Shift:
        shift = await repo.get_shift(tx, shift_id)
        if shift is None or from_db(shift.starts_at) <= now:
            raise ShiftError("shifts.gone")
        if not await _admin_area_ok(tx, admin, shift.area_id):
            raise ShiftError("access.not_allowed_here")
        member = await member_repo.get(tx, member_id)
        path = await _area_path(tx, shift.area_id)
        if member is None or not member.active or not member.area_id_path.startswith(path):
            raise ShiftError("shifts.gone")
        if not await repo.assign(tx, shift.id, member.id, admin.id, to_db(now)):
            raise ShiftError("shifts.already_on")
        await notify_member(
            tx,
            member,
            SHIFT_ASSIGNED,
            {"shift_id": shift.id},
            now=to_db(now),
            dedupe_key=f"{SHIFT_ASSIGNED}:{shift.id}:{member.id}",
        )
        updated = await repo.get_shift(tx, shift.id)
        assert updated is not None
        return updated

    return await db.run_transaction(run)


@dataclass
class ShiftSweepReport:
    """What one shift sweep did."""

    reminders: int = 0
    alerts: int = 0
    skipped: int = 0


async def remind_due(
    db: Database,
    clock: Clock,
    *,
    reminder_minutes: int,
    unstaffed_minutes: int,
    grace_minutes: int,
) -> ShiftSweepReport:
    """Queue shift reminders and unstaffed-shift alerts that are due and not yet recorded."""
    now = clock.now()
    grace = timedelta(minutes=grace_minutes)
    report = ShiftSweepReport()
    horizon = now + timedelta(minutes=max(reminder_minutes, unstaffed_minutes))
    for shift in await repo.shifts_starting(db, to_db(now - grace), to_db(horizon)):
        starts = from_db(shift.starts_at)
        jobs: list[tuple[int, str, datetime]] = [
            (member_id, "reminder", starts - timedelta(minutes=reminder_minutes))
            for member_id in shift.staff
        ]
        if shift.open_places > 0 and shift.created_by is not None:
            jobs.append(
                (shift.created_by, "unstaffed", starts - timedelta(minutes=unstaffed_minutes))
            )
        for member_id, kind, due in jobs:
            if due > now:
                continue
            member = await member_repo.get(db, member_id)
            if member is None or not member.active:
                continue
            # Due before the shift existed (made at short notice): nothing to say. Late by
            # more than the grace window (the bot was down): skipped and logged.
            early = due < from_db(shift.created_at)
            late = early or now - due > grace
            outcome = await db.run_transaction(
                partial(_notice_once, shift=shift, member=member, kind=kind, late=late, now=now)
            )
            if outcome == "skipped":
                report.skipped += 1
                if not early:
                    log.warning("shift %s %s skipped, %s late", kind, shift.id, now - due)
            elif outcome == "sent":
                if kind == "reminder":
                    report.reminders += 1
                else:
                    report.alerts += 1
    return report


async def _notice_once(
    tx: Transaction, shift: Shift, member: Member, kind: str, late: bool, now: datetime
) -> str | None:
    """Record (and, unless late, queue) one shift notice in its own transaction.

    "sent", "skipped" (late: recorded, not queued) or None (recorded already). One
    transaction, one trip to the database thread, per notice: one that fails rolls back
    only itself.
    """
    outcome = "skipped" if late else "sent"
    if not await repo.record_notice(tx, shift.id, member.id, kind, outcome, to_db(now)):
        return None
    if late:
        return outcome
    await notify_member(
        tx,
        member,
        SHIFT_REMINDER if kind == "reminder" else SHIFT_UNSTAFFED,
        {"shift_id": shift.id},
        now=to_db(now),
        dedupe_key=f"shift:{kind}:{shift.id}:{member.id}",
    )
    return outcome
