"""Meetings (楼门长工作例会): series, their occurrences, answers, check-ins and reminders.

An admin creates a series for their area with a rule (bot/services/schedule.py),
a place, the roles expected (in the area and below) and reminder offsets.
Occurrences are written to the database a little ahead of time by the sweep, so
each has an id that answers, check-ins, minutes and reminder records hang on.

Reminders are never sent twice: each (occurrence, member, offset) is recorded in
``meeting_reminders`` in the same transaction that queues its outbox row (whose
dedupe key is the same triple). After downtime a reminder whose moment passed
within ``meetings.grace_minutes`` is still sent once; an older one is recorded as
skipped and logged, so it is neither sent nor looked at again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.errors import KeyedError
from bot.services.grid import is_admin
from bot.services.notify import notify_member
from bot.services.permissions import Action, may, within
from bot.services.schedule import ONCE, Rule, at_local, occurrences, parse_hhmm
from storage import areas as area_repo
from storage import meetings as repo
from storage import members as member_repo
from storage.db import Database, Queryable, Transaction
from storage.meetings import Attendance, Occurrence, Series
from storage.members import Member
from storage.times import from_db, to_db

log = logging.getLogger(__name__)

MEETING_REMINDER = "meeting.reminder"
MEETING_SUMMARY = "meeting.summary"
MEETING_CANCELLED = "meeting.cancelled"
MEETING_CHANGED = "meeting.changed"

# How far ahead occurrences are written down, besides the largest reminder offset.
LOOKAHEAD = timedelta(days=15)
# Members may check in from this long before the start until the meeting ends.
CHECK_IN_EARLY = timedelta(minutes=30)
SUMMARY_OFFSET = 0  # the admin's summary is recorded like a reminder with offset 0


class OccurrenceStatus(StrEnum):
    """Whether a meeting's occurrence will be held (stored as its value)."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"  # 已取消


class MeetingError(KeyedError):
    """Something about a meeting that cannot be done; ``key`` names the text to show."""


@dataclass(frozen=True)
class SeriesDraft:
    """What the admin chose in the create flow, checked."""

    title: str
    rule: Rule
    place: str
    roles: list[str]
    offsets: list[int]


@dataclass(frozen=True)
class OccurrenceView:
    """An occurrence with its series and the series' area path."""

    series: Series
    occurrence: Occurrence
    area_path: str

    @property
    def place(self) -> str:
        """Where it is held."""
        return self.occurrence.place or self.series.place

    @property
    def starts(self) -> datetime:
        """When it starts (UTC)."""
        return from_db(self.occurrence.starts_at)

    @property
    def ends(self) -> datetime:
        """When it ends (UTC)."""
        return self.starts + timedelta(minutes=self.series.duration_minutes)

    @property
    def cancelled(self) -> bool:
        """Whether this occurrence is cancelled (by itself, or with its series).

        A meeting held before its series was cancelled stays held: cancelling a series
        acts on the meetings ahead only.
        """
        if self.occurrence.status == OccurrenceStatus.CANCELLED:
            return True
        stopped = self.series.cancelled_at
        return stopped is not None and self.occurrence.starts_at > stopped

    def started(self, now: datetime) -> bool:
        """Whether it has begun (held or being held): then it can no longer be changed."""
        return now >= self.starts


@dataclass
class Summary:
    """Who answered what for an occurrence."""

    attending: list[Member] = field(default_factory=list)
    excused: list[tuple[Member, str]] = field(default_factory=list)
    unanswered: list[Member] = field(default_factory=list)
    checked_in: list[Member] = field(default_factory=list)


def rule_of(series: Series) -> Rule:
    """The time rule of a stored series."""
    at = parse_hhmm(series.local_time)
    assert at is not None
    return Rule(
        kind=series.rule,
        at=at,
        weekday=series.weekday,
        nth=series.nth,
        day=series.day,
        on_date=date.fromisoformat(series.on_date) if series.on_date else None,
    )


async def create_series(
    db: Database, clock: Clock, tz: ZoneInfo, admin: Member, draft: SeriesDraft
) -> Series:
    """Create a series for the admin's own area and write down its first occurrences."""
    area = await area_repo.get(db, admin.area_id)
    if area is None or not may(admin, Action.SCHEDULE_MEETING, area):
        raise MeetingError("access.not_allowed_here")
    rule = draft.rule
    now = clock.now()

    async def run(tx: Transaction) -> Series:
        series_id = await repo.insert_series(
            tx,
            area_id=area.id,
            title=draft.title,
            rule=rule.kind,
            weekday=rule.weekday,
            nth=rule.nth,
            day=rule.day,
            on_date=rule.on_date.isoformat() if rule.on_date else None,
            local_time=rule.at.strftime("%H:%M"),
            place=draft.place,
            roles=draft.roles,
            offsets=draft.offsets,
            created_by=admin.id,
            now=to_db(now),
        )
        series = await repo.get_series(tx, series_id)
        assert series is not None
        await ensure_occurrences(tx, series, tz, now)
        return series

    return await db.run_transaction(run)


async def ensure_occurrences(q: Queryable, series: Series, tz: ZoneInfo, now: datetime) -> None:
    """Write down the series' occurrences from now until its reminders' horizon."""
    created = from_db(series.created_at)
    since = max(created, now - timedelta(days=1))
    until = now + LOOKAHEAD + timedelta(minutes=max(series.offsets, default=0))
    for moment in occurrences(rule_of(series), tz, since, until):
        slot = moment.astimezone(tz).date().isoformat()
        await repo.add_occurrence(q, series.id, slot, to_db(moment))


async def expected_members(q: Queryable, series: Series) -> list[Member]:
    """The active members expected at a series: its roles, in its area and below."""
    area = await area_repo.get(q, series.area_id)
    if area is None or not series.roles:
        return []
    return await member_repo.in_subtree(q, area.id_path, list(series.roles))


async def view(q: Queryable, occurrence_id: int) -> OccurrenceView | None:
    """An occurrence with its series, or None."""
    occurrence = await repo.get_occurrence(q, occurrence_id)
    if occurrence is None:
        return None
    series = await repo.get_series(q, occurrence.series_id)
    assert series is not None
    area = await area_repo.get(q, series.area_id)
    return OccurrenceView(series, occurrence, area.path if area else "")


async def _is_expected(q: Queryable, series: Series, member: Member) -> bool:
    return any(m.id == member.id for m in await expected_members(q, series))


async def _manageable(q: Queryable, admin: Member, series: Series) -> bool:
    area = await area_repo.get(q, series.area_id)
    return area is not None and may(admin, Action.SCHEDULE_MEETING, area)


async def upcoming_for(
    db: Database, clock: Clock, tz: ZoneInfo, member: Member, *, days: int = 14
) -> list[tuple[OccurrenceView, Attendance | None]]:
    """The meetings a member is expected at (or, for an admin, manages), ongoing or ahead."""
    now = clock.now()
    found: list[tuple[OccurrenceView, Attendance | None]] = []
    for series in await repo.active_series(db):
        area = await area_repo.get(db, series.area_id)
        if area is None:
            continue
        mine = (is_admin(member.role) and within(member, area)) or (
            member.role in series.roles and member.area_id_path.startswith(area.id_path)
        )
        if not mine:
            continue
        # Each series' occurrences written in one trip to the database thread.
        await db.run_transaction(partial(ensure_occurrences, series=series, tz=tz, now=now))
        since = to_db(now - timedelta(minutes=series.duration_minutes))
        until = to_db(now + timedelta(days=days))
        for occurrence in await repo.occurrences_between(db, since, until, series_id=series.id):
            answers = await repo.attendance(db, occurrence.id)
            found.append((OccurrenceView(series, occurrence, area.path), answers.get(member.id)))
    found.sort(key=lambda pair: pair[0].occurrence.starts_at)
    return found


async def _open_occurrence(q: Queryable, member: Member, occurrence_id: int) -> OccurrenceView:
    current = await view(q, occurrence_id)
    if current is None:
        raise MeetingError("meetings.gone")
    if current.cancelled:
        raise MeetingError("meetings.was_cancelled")
    if not await _is_expected(q, current.series, member):
        raise MeetingError("meetings.not_expected")
    return current


async def expected_view(q: Queryable, member: Member, occurrence_id: int) -> OccurrenceView:
    """An occurrence the member is expected at and may still answer; MeetingError otherwise."""
    return await _open_occurrence(q, member, occurrence_id)


async def answer(
    db: Database,
    clock: Clock,
    member: Member,
    occurrence_id: int,
    reply: str,
    reason: str | None = None,
) -> OccurrenceView:
    """Record a member's answer: ``attend`` or ``excused`` (with a reason)."""
    if reply not in ("attend", "excused"):
        raise ValueError(reply)
    now = clock.now()

    async def run(tx: Transaction) -> OccurrenceView:
        current = await _open_occurrence(tx, member, occurrence_id)
        if now >= current.ends:
            raise MeetingError("meetings.is_over")
        await repo.answer(tx, occurrence_id, member.id, reply, reason, to_db(now))
        return current

    return await db.run_transaction(run)


async def answer_of(q: Queryable, occurrence_id: int, member_id: int | None) -> Attendance | None:
    """A member's answer and check-in for an occurrence, or None."""
    if member_id is None:
        return None
    return (await repo.attendance(q, occurrence_id)).get(member_id)


async def check_in(db: Database, clock: Clock, member: Member, occurrence_id: int) -> bool:
    """Check a member in (签到) during the meeting; False if already checked in."""
    now = clock.now()

    async def run(tx: Transaction) -> bool:
        current = await _open_occurrence(tx, member, occurrence_id)
        if not current.starts - CHECK_IN_EARLY <= now <= current.ends:
            raise MeetingError("meetings.not_now")
        return await repo.check_in(tx, occurrence_id, member.id, to_db(now))

    return await db.run_transaction(run)


def check_in_open(current: OccurrenceView, now: datetime) -> bool:
    """Whether members may check in to this occurrence now."""
    return not current.cancelled and current.starts - CHECK_IN_EARLY <= now <= current.ends


async def summary(q: Queryable, occurrence_id: int) -> Summary:
    """Who comes, who is excused (and why), who has not answered, who checked in."""
    current = await view(q, occurrence_id)
    result = Summary()
    if current is None:
        return result
    answers = await repo.attendance(q, occurrence_id)
    for member in await expected_members(q, current.series):
        got = answers.get(member.id)
        if got is not None and got.checked_in_at is not None:
            result.checked_in.append(member)
        if got is None or got.answer is None:
            result.unanswered.append(member)
        elif got.answer == "attend":
            result.attending.append(member)
        else:
            result.excused.append((member, got.reason or ""))
    return result


async def _admin_occurrence(q: Queryable, admin: Member, occurrence_id: int) -> OccurrenceView:
    current = await view(q, occurrence_id)
    if current is None:
        raise MeetingError("meetings.gone")
    if not await _manageable(q, admin, current.series):
        raise MeetingError("access.not_allowed_here")
    return current


async def admin_view(q: Queryable, admin: Member, occurrence_id: int) -> OccurrenceView:
    """An occurrence the admin may manage; :class:`MeetingError` otherwise."""
    return await _admin_occurrence(q, admin, occurrence_id)


async def _tell_expected(
    q: Queryable,
    current: OccurrenceView,
    kind: str,
    now: datetime,
    tag: str,
    extra: dict[str, str] | None = None,
) -> None:
    for member in await expected_members(q, current.series):
        await notify_member(
            q,
            member,
            kind,
            {"occurrence_id": current.occurrence.id, **(extra or {})},
            now=to_db(now),
            dedupe_key=f"{kind}:{current.occurrence.id}:{member.id}:{tag}",
        )


async def check_cancel(
    q: Queryable, clock: Clock, admin: Member, occurrence_id: int, *, whole_series: bool
) -> OccurrenceView:
    """The occurrence, if the admin may cancel it (or its series) now; MeetingError otherwise.

    A meeting that has begun is part of the record (check-ins, minutes): it cannot be
    cancelled. Its series can: that stops the meetings ahead.
    """
    current = await _admin_occurrence(q, admin, occurrence_id)
    if whole_series:
        if current.series.cancelled_at is not None:
            raise MeetingError("meetings.was_cancelled")
        return current
    if current.cancelled:
        raise MeetingError("meetings.was_cancelled")
    if current.started(clock.now()):
        raise MeetingError("meetings.already_held")
    return current


async def cancel_occurrence(db: Database, clock: Clock, admin: Member, occurrence_id: int) -> None:
    """Cancel one occurrence that has not begun; those expected are told."""
    now = clock.now()

    async def run(tx: Transaction) -> None:
        current = await check_cancel(tx, clock, admin, occurrence_id, whole_series=False)
        await repo.set_status(tx, occurrence_id, OccurrenceStatus.CANCELLED)
        await _tell_expected(tx, current, MEETING_CANCELLED, now, "one")

    return await db.run_transaction(run)


async def cancel_series(db: Database, clock: Clock, admin: Member, occurrence_id: int) -> None:
    """Cancel a whole series (from one of its occurrences); those expected are told once.

    Only the meetings ahead are cancelled; those held (or being held) keep their record.
    """
    now = clock.now()

    async def run(tx: Transaction) -> None:
        current = await check_cancel(tx, clock, admin, occurrence_id, whole_series=True)
        ahead = await repo.future_of_series(tx, current.series.id, to_db(now))
        await repo.cancel_series(tx, current.series.id, to_db(now))
        for occurrence in ahead:
            await repo.set_status(tx, occurrence.id, OccurrenceStatus.CANCELLED)
        # The notice shows the next meeting that will not take place.
        shown = ahead[0].id if ahead else occurrence_id
        for member in await expected_members(tx, current.series):
            await notify_member(
                tx,
                member,
                MEETING_CANCELLED,
                {"occurrence_id": shown, "series": True},
                now=to_db(now),
                dedupe_key=f"{MEETING_CANCELLED}:series:{current.series.id}:{member.id}",
            )

    return await db.run_transaction(run)


async def move_occurrence(
    db: Database, clock: Clock, tz: ZoneInfo, admin: Member, occurrence_id: int, when: str
) -> OccurrenceView:
    """Move one occurrence to another local time ('YYYY-MM-DD HH:MM'); those expected are told.

    Reminders already sent for it are not sent again; those still ahead fall at the new time.
    """
    moment = parse_local(when, tz)
    now = clock.now()
    if moment is None:
        raise MeetingError("meetings.bad_datetime")
    if moment <= now:
        raise MeetingError("meetings.in_the_past")

    async def run(tx: Transaction) -> OccurrenceView:
        current = await _admin_occurrence(tx, admin, occurrence_id)
        if current.cancelled:
            raise MeetingError("meetings.was_cancelled")
        if current.started(now):
            raise MeetingError("meetings.already_held")
        await repo.move(tx, occurrence_id, to_db(moment))
        await _tell_expected(
            tx,
            current,
            MEETING_CHANGED,
            now,
            to_db(moment),
            {"what": "time", "old": current.occurrence.starts_at},
        )
        # Read back in the same trip: the occurrence as this move left it.
        moved = await view(tx, occurrence_id)
        assert moved is not None
        return moved

    return await db.run_transaction(run)


async def change_series(
    db: Database, clock: Clock, tz: ZoneInfo, admin: Member, occurrence_id: int, text: str
) -> tuple[str, OccurrenceView]:
    """Change a whole series (from one of its occurrences): a new time of day or place.

    ``text`` is a time ('19:00') or else a place. The occurrences ahead that were not
    moved one by one follow; those held (or being held) keep the time and place they
    had. Those expected are told what changed, with the next occurrence. Returns what
    changed ('time' or 'place') and the next occurrence.
    """
    now = clock.now()
    text = " ".join(text.split())
    at = parse_hhmm(text)
    if at is None and not 1 <= len(text) <= 100:
        raise MeetingError("meetings.bad_change")

    async def run(tx: Transaction) -> tuple[str, OccurrenceView]:
        current = await _admin_occurrence(tx, admin, occurrence_id)
        if current.series.cancelled_at is not None:
            raise MeetingError("meetings.was_cancelled")
        series_id = current.series.id
        ahead = await repo.future_of_series(tx, series_id, to_db(now))
        if not ahead:
            raise MeetingError("meetings.nothing_ahead")
        if at is not None:
            change = {"what": "series_time", "old": current.series.local_time}
            await repo.set_series_time(tx, series_id, at.strftime("%H:%M"))
            for occurrence in ahead:
                if not occurrence.changed:
                    moment = at_local(date.fromisoformat(occurrence.slot), at, tz)
                    await repo.retime(tx, occurrence.id, to_db(moment))
        else:
            change = {"what": "place", "old": current.series.place}
            # The meetings that began keep the place they were held at.
            await repo.keep_place_of_started(tx, series_id, to_db(now), current.series.place)
            await repo.set_series_place(tx, series_id, text)
        updated = await repo.future_of_series(tx, series_id, to_db(now))
        following = await view(tx, updated[0].id)
        assert following is not None
        await _tell_expected(tx, following, MEETING_CHANGED, now, f"series:{to_db(now)}", change)
        return ("time" if at is not None else "place"), following

    return await db.run_transaction(run)


async def record_minutes(
    db: Database, clock: Clock, admin: Member, occurrence_id: int, text: str
) -> OccurrenceView:
    """Record the minutes (纪要) of an occurrence that has started."""
    now = clock.now()

    async def run(tx: Transaction) -> OccurrenceView:
        current = await _admin_occurrence(tx, admin, occurrence_id)
        if current.cancelled:
            raise MeetingError("meetings.was_cancelled")
        if now < current.starts:
            raise MeetingError("meetings.not_started")
        await repo.set_minutes(tx, occurrence_id, text, admin.id, to_db(now))
        return current

    return await db.run_transaction(run)


async def attendance_rate(db: Database, clock: Clock, member: Member) -> tuple[int, int]:
    """(checked in, expected) over the past meetings the member was expected at since joining."""
    now = to_db(clock.now())
    expected: list[int] = []
    # Every series, cancelled ones too: meetings held before a series stopped still count.
    for series in await repo.all_series(db):
        if member.role not in series.roles:
            continue
        area = await area_repo.get(db, series.area_id)
        if area is None or not member.area_id_path.startswith(area.id_path):
            continue
        for occurrence in await repo.occurrences_between(
            db, member.joined_at, now, series_id=series.id
        ):
            if occurrence.status == OccurrenceStatus.SCHEDULED and (
                series.cancelled_at is None or occurrence.starts_at <= series.cancelled_at
            ):
                expected.append(occurrence.id)
    return await repo.checked_in_count(db, member.id, expected), len(expected)


def stored_moment(stamp: str) -> datetime:
    """A stored time (as in a notice's payload) as an aware datetime."""
    return from_db(stamp)


def parse_local(text: str, tz: ZoneInfo) -> datetime | None:
    """A local 'YYYY-MM-DD HH:MM' as an aware datetime, or None."""
    parts = text.strip().replace("：", ":").split()
    if len(parts) != 2:
        return None
    try:
        day = date.fromisoformat(parts[0].replace("/", "-"))
    except ValueError:
        return None
    at = parse_hhmm(parts[1])
    if at is None:
        return None
    return datetime.combine(day, at, tzinfo=tz)


@dataclass
class SweepReport:
    """What one reminder sweep did."""

    sent: int = 0
    skipped: int = 0
    summaries: int = 0


async def remind_due(db: Database, clock: Clock, tz: ZoneInfo, grace_minutes: int) -> SweepReport:
    """Queue every meeting reminder (and admin summary) that is due and not yet recorded.

    A reminder is due at ``starts_at - offset``. If that moment passed more than
    ``grace_minutes`` ago (the bot was down), it is recorded as skipped and logged.
    """
    now = clock.now()
    grace = timedelta(minutes=grace_minutes)
    report = SweepReport()
    for series in await repo.active_series(db):
        # One transaction per series, as before, in one trip to the database thread.
        await db.run_transaction(partial(ensure_occurrences, series=series, tz=tz, now=now))
        if not series.offsets:
            continue
        horizon = now + timedelta(minutes=max(series.offsets))
        for occurrence in await repo.occurrences_between(
            db, to_db(now - grace), to_db(horizon), series_id=series.id
        ):
            if occurrence.status != OccurrenceStatus.SCHEDULED:
                continue
            await _remind_occurrence(db, series, occurrence, now, grace, report)
    return report


async def _remind_occurrence(
    db: Database,
    series: Series,
    occurrence: Occurrence,
    now: datetime,
    grace: timedelta,
    report: SweepReport,
) -> None:
    starts = from_db(occurrence.starts_at)
    created = from_db(series.created_at)
    done = await repo.reminded(db, occurrence.id)
    answers = await repo.attendance(db, occurrence.id)
    # Someone excused needs no "will you attend?"; if they change their mind, later
    # reminders still reach them (an excused member's reminder is not recorded).
    members = [
        m
        for m in await expected_members(db, series)
        if m.id not in answers or answers[m.id].answer != "excused"
    ]
    jobs: list[tuple[Member, int, str]] = [
        (m, offset, MEETING_REMINDER) for offset in series.offsets for m in members
    ]
    creator = await member_repo.get(db, series.created_by) if series.created_by else None
    if creator is not None and creator.active:
        jobs.append((creator, SUMMARY_OFFSET, MEETING_SUMMARY))
    summary_offset = min(series.offsets)
    due_now: list[tuple[Member, int, str, datetime]] = []
    for member, offset, kind in jobs:
        due = starts - timedelta(minutes=summary_offset if kind == MEETING_SUMMARY else offset)
        if (member.id, offset) not in done and due <= now:
            due_now.append((member, offset, kind, due))
    if not due_now:
        return None

    # One transaction per occurrence: each reminder's record and its outbox row commit
    # together (or not at all), and a crowd of reminders takes the write lock once.
    async def run(tx: Transaction) -> None:
        for member, offset, kind, due in due_now:
            # Late by more than the grace window (downtime), or due before the series existed.
            late = now - due > grace or due < created
            outcome = "skipped" if late else "sent"
            fresh = await repo.record_reminder(
                tx, occurrence.id, member.id, offset, outcome, to_db(due), to_db(now)
            )
            if not fresh:
                continue
            if late:
                report.skipped += 1
                if due >= created:
                    log.warning(
                        "meeting reminder skipped, %s late: occurrence %s, member %s, offset %s",
                        now - due,
                        occurrence.id,
                        member.id,
                        offset,
                    )
                continue
            await notify_member(
                tx,
                member,
                kind,
                {"occurrence_id": occurrence.id, "offset": offset},
                now=to_db(now),
                dedupe_key=f"{kind}:{occurrence.id}:{member.id}:{offset}",
            )
            if kind == MEETING_SUMMARY:
                report.summaries += 1
            else:
                report.sent += 1

    return await db.run_transaction(run)


async def next_due(db: Database, clock: Clock, tz: ZoneInfo) -> datetime | None:
    """The next moment a reminder falls due (for a one-shot job that fires on time)."""
    now = clock.now()
    best: datetime | None = None
    for series in await repo.active_series(db):
        if not series.offsets:
            continue
        # Every occurrence written down so far (see ensure_occurrences) is a candidate.
        horizon = now + LOOKAHEAD + timedelta(minutes=max(series.offsets))
        for occurrence in await repo.occurrences_between(
            db, to_db(now), to_db(horizon), series_id=series.id
        ):
            if occurrence.status != OccurrenceStatus.SCHEDULED:
                continue
            for offset in series.offsets:
                due = from_db(occurrence.starts_at) - timedelta(minutes=offset)
                if due > now and (best is None or due < best):
                    best = due
    return best


def draft_rule(values: dict[str, object]) -> Rule:
    """The rule from a create-flow draft's plain values (ValueError if incomplete)."""
    at = parse_hhmm(str(values.get("time", "")))
    if at is None:
        raise ValueError("no time")
    on_date = values.get("date")
    return Rule(
        kind=str(values.get("rule")),
        at=at,
        weekday=_int(values.get("weekday")),
        nth=_int(values.get("nth")),
        day=_int(values.get("day")),
        on_date=date.fromisoformat(str(on_date)) if on_date else None,
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def is_one_off_in_past(rule: Rule, tz: ZoneInfo, now: datetime) -> bool:
    """Whether a one-off rule's moment has passed already."""
    if rule.kind != ONCE or rule.on_date is None:
        return False
    return datetime.combine(rule.on_date, rule.at, tzinfo=tz) <= now
