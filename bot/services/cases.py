"""The case lifecycle (案件办理): who may move a case, along which edge, and who is told.

::

    new --accept--> accepted --assign--> in_progress --resolve--> resolved --confirm--> closed
     |                 |                      ^                      |
     +--reject-->  rejected (reason)         +------- reopen --------+

Each transition is one transaction that reads the case, checks that it is still at
the version the button showed (two admins pressing at once: the second is refused),
that it may take this edge now, and that this member may take it (the reporter, or
an admin of the responsible area or above, see :mod:`bot.services.permissions`).
It then writes the change and its event, and queues in the outbox: an edit of every
admin's copy of the alert, and the reporter's notice in their language. Escalation
(督办) is not a state: it moves the responsible area one level up and alerts it.
:func:`sweep` does what time asks for: escalating overdue cases, closing resolved
cases nobody answered, reminding reporters and mediators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.services.case_view import CaseView, case_view
from bot.services.categories import Category
from bot.services.grid import LEVEL, AreaKind, is_admin
from bot.services.notify import TELEGRAM, address_of, notify_address, notify_member
from bot.services.permissions import Action, may
from bot.services.routing import responsible_admins
from storage import areas as area_repo
from storage import cases as case_repo
from storage import handling as repo
from storage import members as member_repo
from storage.areas import Area
from storage.cases import Case
from storage.db import Database, Queryable, Transaction
from storage.handling import CaseFilter, Mediation, Watcher
from storage.members import Member
from storage.times import from_db, to_db

# Outbox kinds (rendered by handlers/case_alerts.py).
CASE_NEW = "case.new"  # the first alert of a case to an admin or a bound group
CASE_ALERT = "case.alert"  # an alert to a level the case was escalated to
CASE_UPDATE = "case.update"  # an edit, in place, of an alert someone holds
CASE_NOTICE = "case.notice"  # a short message to admins: escalated, reopened
CASE_REPORTER = "case.reporter"  # what the reporter is told
CASE_REVISIT = "case.revisit"  # 回访: the mediator is reminded to visit again
MEMBER_BLOCKED = "member.blocked"  # an admin is told a member blocked the bot

OPEN = frozenset({"new", "accepted", "in_progress", "resolved"})
WORKING = frozenset({"accepted", "in_progress"})
MAX_TEXT = 1000  # a resolution, note or reason longer than this is refused


class RejectReason(StrEnum):
    """Why a case is not taken up (不予受理)."""

    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"
    NOT_ENOUGH = "not_enough"
    OTHER = "other"


class Rating(StrEnum):
    """The reporter's rating on closing."""

    SATISFIED = "satisfied"
    FAIR = "fair"
    DISSATISFIED = "dissatisfied"


class Refusal(StrEnum):
    """Why an action was refused."""

    MISSING = "missing"  # no such case
    HANDLED = "handled"  # the case moved on since the button was made
    NOT_ALLOWED = "not_allowed"  # this member may not do this to this case
    TOP = "top"  # escalation asked at the district, where there is no level above
    BAD_INPUT = "bad_input"  # a text too long or empty, an assignee outside the area


class CaseRefused(Exception):
    """An action was refused; ``reason`` says why, for the short answer to the person."""

    def __init__(self, reason: Refusal, case: Case | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.case = case


@dataclass(frozen=True)
class MediationRecord:
    """What the mediator records on settling a dispute (人民调解法 arts. 28-29)."""

    parties: str
    facts: str
    agreement: str
    fulfilment: str


# ---------------------------------------------------------------------- who may


async def may_handle(q: Queryable, member: Member | None, case: Case) -> bool:
    """Whether ``member`` is an admin of the case's responsible area or of one above it."""
    if member is None or not is_admin(member.role):
        return False
    area = await area_repo.get(q, case.responsible_area_id)
    return area is not None and may(member, Action.HANDLE_CASE, area)


def group_may_handle(group_area: Area, responsible: Area) -> bool:
    """Whether a group bound to ``group_area`` answers for a case at ``responsible``."""
    return group_area.contains(responsible)


async def may_see(q: Queryable, member: Member, case: Case) -> bool:
    """Whether ``member`` may see the case: its reporter, or an admin over its community."""
    if member.id == case.reporter_id:
        return True
    community = await area_repo.get(q, case.community_id)
    return (
        community is not None
        and is_admin(member.role)
        and may(member, Action.VIEW_CASES, community)
    )


# ---------------------------------------------------------------------- alerts


async def alert_level(tx: Transaction, case_id: int, area: Area, kind: str, now: str) -> None:
    """Alert the admins answering for ``area`` and its bound group chats about a case."""
    for admin in await responsible_admins(tx, area):
        address = address_of(admin)
        if await repo.add_watcher(tx, case_id, address, admin.id, area.id, now):
            await notify_member(
                tx,
                admin,
                kind,
                {"case_id": case_id},
                now=now,
                dedupe_key=f"case:{case_id}:new:{admin.id}",
            )
    for chat_id in await repo.groups_of(tx, area.id):
        if await repo.add_watcher(tx, case_id, str(chat_id), None, area.id, now):
            await notify_address(
                tx,
                TELEGRAM,
                str(chat_id),
                kind,
                {"case_id": case_id},
                now=now,
                dedupe_key=f"case:{case_id}:new:g{chat_id}",
            )


async def _refresh_copies(tx: Transaction, case: Case, event_id: int, now: str) -> list[Watcher]:
    """Queue an edit of every alert copy of the case; return who holds one."""
    held = await repo.watchers(tx, case.id)
    for watcher in held:
        await _queue(
            tx,
            watcher,
            CASE_UPDATE,
            {"case_id": case.id},
            now,
            f"case:{case.id}:e{event_id}:{watcher.recipient}",
        )
    return held


async def _queue(
    tx: Transaction, watcher: Watcher, kind: str, payload: dict[str, Any], now: str, dedupe: str
) -> None:
    if watcher.member_id is not None:
        member = await member_repo.get(tx, watcher.member_id)
        if member is None or not member.active:
            return
        await notify_member(tx, member, kind, payload, now=now, dedupe_key=dedupe)
    else:
        await notify_address(
            tx, TELEGRAM, watcher.recipient, kind, payload, now=now, dedupe_key=dedupe
        )


async def _tell_reporter(
    tx: Transaction, case: Case, event_id: int | str, event: str, now: str, **values: Any
) -> None:
    reporter = await member_repo.get(tx, case.reporter_id)
    if reporter is None or not reporter.active:
        return
    await notify_member(
        tx,
        reporter,
        CASE_REPORTER,
        {"case_id": case.id, "event": event, "event_id": event_id, **values},
        now=now,
        dedupe_key=f"case:{case.id}:e{event_id}:reporter",
    )


async def _tell_admins(
    tx: Transaction, case: Case, event_id: int, event: str, now: str, **values: Any
) -> None:
    for watcher in await repo.watchers(tx, case.id):
        await _queue(
            tx,
            watcher,
            CASE_NOTICE,
            {"case_id": case.id, "event": event, **values},
            now,
            f"case:{case.id}:e{event_id}:n:{watcher.recipient}",
        )


# ---------------------------------------------------------------------- the transition


@dataclass(frozen=True)
class _Step:
    kind: str  # the event's kind
    allowed_from: frozenset[str]
    by_reporter: bool = False


async def _load(q: Queryable, case_id: int, version: int | None) -> Case:
    """The case, at ``version`` unless None; CaseRefused MISSING or HANDLED otherwise."""
    case = await case_repo.get(q, case_id)
    if case is None:
        raise CaseRefused(Refusal.MISSING)
    if version is not None and version != case.version:
        raise CaseRefused(Refusal.HANDLED, case)
    return case


async def _check(tx: Transaction, case: Case, actor: Member | None, step: _Step) -> None:
    if step.by_reporter:
        if actor is None or actor.id != case.reporter_id or not actor.active:
            raise CaseRefused(Refusal.NOT_ALLOWED, case)
    elif actor is not None and not await may_handle(tx, actor, case):
        raise CaseRefused(Refusal.NOT_ALLOWED, case)
    if case.status not in step.allowed_from:
        raise CaseRefused(Refusal.HANDLED, case)


async def _commit(
    tx: Transaction,
    case: Case,
    actor: Member | None,
    kind: str,
    now: str,
    *,
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> tuple[Case, int]:
    if not await repo.update_case(tx, case.id, case.version, now, **changes):
        raise CaseRefused(Refusal.HANDLED, case)
    event_id = await case_repo.add_event(
        tx,
        case.id,
        at=now,
        actor_id=None if actor is None else actor.id,
        kind=kind,
        from_status=case.status,
        to_status=changes.get("status", case.status),
        data=data,
    )
    moved = await case_repo.get(tx, case.id)
    assert moved is not None
    await _refresh_copies(tx, moved, event_id, now)
    return moved, event_id


def _text(value: str | None) -> str:
    text = (value or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise CaseRefused(Refusal.BAD_INPUT)
    return text


def _due(clock: Clock, minutes: int) -> str:
    return to_db(clock.now() + timedelta(minutes=minutes))


# ---------------------------------------------------------------------- admins' actions


async def accept(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """受理: take the case up."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("accepted", frozenset({"new"})))
        moved, event_id = await _commit(tx, case, actor, "accepted", now, status="accepted")
        await _tell_reporter(tx, moved, event_id, "accepted", now)
    return moved


async def reject(
    db: Database,
    clock: Clock,
    actor: Member,
    case_id: int,
    version: int,
    reason: RejectReason,
    text: str | None = None,
) -> Case:
    """不予受理: refuse the case, with a reason (and a text when the reason is 'other')."""
    now = to_db(clock.now())
    detail = _text(text) if reason is RejectReason.OTHER else None
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("rejected", frozenset({"new"})))
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "rejected",
            now,
            data={"reason": reason.value, "text": detail},
            status="rejected",
            reject_reason=reason.value if detail is None else f"{reason.value}: {detail}",
            closed_at=now,
        )
        await _tell_reporter(tx, moved, event_id, "rejected", now, reason=reason.value, text=detail)
    return moved


async def assignees(q: Queryable, case: Case) -> list[Member]:
    """Whom the case can be assigned to: active members of its community and admins above."""
    community = await area_repo.get(q, case.community_id)
    if community is None:
        return []
    inside = await member_repo.in_subtree(q, community.id_path)
    above = await member_repo.at_areas(
        q, community.ancestor_ids, ["street_admin", "district_admin"]
    )
    return [m for m in inside if m.id != case.reporter_id] + above


async def assign(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int, assignee_id: int
) -> Case:
    """指派: give the case to a member of its area to work on."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("assigned", WORKING))
        if assignee_id not in {m.id for m in await assignees(tx, case)}:
            raise CaseRefused(Refusal.BAD_INPUT, case)
        assignee = await member_repo.get(tx, assignee_id)
        assert assignee is not None
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "assigned",
            now,
            data={"assignee_id": assignee_id},
            status="in_progress",
            assignee_id=assignee_id,
        )
        await _tell_reporter(tx, moved, event_id, "assigned", now, assignee=assignee.name)
        if assignee.id != actor.id:
            await notify_member(
                tx,
                assignee,
                CASE_NOTICE,
                {"case_id": case.id, "event": "assigned_to_you"},
                now=now,
                dedupe_key=f"case:{case.id}:e{event_id}:assignee",
            )
    return moved


async def resolve(
    db: Database,
    clock: Clock,
    config: Config,
    actor: Member,
    case_id: int,
    version: int,
    text: str,
    *,
    photo: tuple[str, str | None] | None = None,
    mediation: MediationRecord | None = None,
) -> Case:
    """办结: record what was done; a dispute needs its mediation record."""
    now = to_db(clock.now())
    what = _text(text)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("resolved", WORKING))
        if case.category == Category.DISPUTE.value:
            if mediation is None:
                raise CaseRefused(Refusal.BAD_INPUT, case)
            record = Mediation(
                case_id=case.id,
                mediator_id=actor.id,
                parties=_text(mediation.parties),
                facts=_text(mediation.facts),
                agreement=_text(mediation.agreement),
                fulfilment=_text(mediation.fulfilment),
                recorded_at=now,
                revisit_at=to_db(clock.now() + timedelta(days=config.cases.revisit_days)),
                revisit_sent=False,
            )
            await repo.save_mediation(tx, record)
        limits = config.sla.limits(case.category, case.urgent)
        if photo is not None:
            await case_repo.add_photo(
                tx,
                case.id,
                file_id=photo[0],
                file_unique_id=photo[1],
                stage="resolution",
                position=0,
                added_by=actor.id,
                now=now,
            )
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "resolved",
            now,
            data={"resolution": what, "photo": photo is not None},
            status="resolved",
            resolution=what,
            resolved_at=now,
            resolved_by=actor.id,
            verify_due=_due(clock, limits.verify_minutes),
            verify_reminded=0,
        )
        await _tell_reporter(tx, moved, event_id, "resolved", now, resolution=what)
    return moved


async def escalate(
    db: Database,
    clock: Clock,
    config: Config,
    actor: Member | None,
    case_id: int,
    version: int | None,
) -> Case:
    """升级 / 督办: move the case one level up, alert that level and tell both.

    ``actor`` None is the SLA sweep, which also passes no version.
    """
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(
            tx, case, actor, _Step("escalated", frozenset({"new", "accepted", "in_progress"}))
        )
        return await _escalate(tx, clock, config, case, actor, now)


async def _escalate(
    tx: Transaction, clock: Clock, config: Config, case: Case, actor: Member | None, now: str
) -> Case:
    current = await area_repo.get(tx, case.responsible_area_id)
    assert current is not None
    if current.parent_id is None or LEVEL[AreaKind(current.kind)] == 0:
        raise CaseRefused(Refusal.TOP, case)
    upper = await area_repo.get(tx, current.parent_id)
    assert upper is not None
    limits = config.sla.limits(case.category, case.urgent)
    # The new level gets a full period for the stage the case is in.
    due = (
        {"accept_due": _due(clock, limits.accept_minutes)}
        if case.status == "new"
        else {"resolve_due": _due(clock, limits.resolve_minutes)}
    )
    moved, event_id = await _commit(
        tx,
        case,
        actor,
        "escalated",
        now,
        data={"from_area": current.id, "to_area": upper.id, "by_time": actor is None},
        responsible_area_id=upper.id,
        escalations=case.escalations + 1,
        **due,
    )
    await _tell_admins(
        tx, moved, event_id, "escalated", now, to_area=upper.path, by_time=actor is None
    )
    await alert_level(tx, moved.id, upper, CASE_ALERT, now)
    await _tell_reporter(tx, moved, event_id, "escalated", now, to_area=upper.name)
    return moved


async def note(db: Database, clock: Clock, actor: Member, case_id: int, text: str) -> int:
    """备注: an internal note; admins see it on the alert, the reporter never does."""
    now = to_db(clock.now())
    body = _text(text)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, None)
        if not await may_handle(tx, actor, case):
            raise CaseRefused(Refusal.NOT_ALLOWED, case)
        event_id = await case_repo.add_event(
            tx, case.id, at=now, actor_id=actor.id, kind="note", data={"text": body}, internal=True
        )
        await _refresh_copies(tx, case, event_id, now)
    return event_id


# ---------------------------------------------------------------------- the reporter's answers


async def confirm(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """已解决: the reporter confirms the fix; the case closes and asks for a rating."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("closed", frozenset({"resolved"}), by_reporter=True))
        moved, event_id = await _commit(
            tx, case, actor, "confirmed", now, status="closed", closed_at=now
        )
        await _tell_reporter(tx, moved, event_id, "closed", now, by_reporter=True)
    return moved


async def reopen(
    db: Database,
    clock: Clock,
    config: Config,
    actor: Member,
    case_id: int,
    version: int,
    reason: str,
) -> Case:
    """未解决: the reporter says it is not fixed; back to work, and the admins are told."""
    now = to_db(clock.now())
    why = _text(reason)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("reopened", frozenset({"resolved"}), by_reporter=True))
        limits = config.sla.limits(case.category, case.urgent)
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "reopened",
            now,
            data={"reason": why},
            status="in_progress",
            resolve_due=_due(clock, limits.resolve_minutes),
            resolved_at=None,
            verify_due=None,
        )
        await _tell_admins(tx, moved, event_id, "reopened", now, reason=why)
        await _tell_reporter(tx, moved, event_id, "reopened", now)
    return moved


async def rate(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int, rating: Rating
) -> Case:
    """The reporter rates a closed case: 满意, 基本满意 or 不满意 (once)."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, _Step("rated", frozenset({"closed"}), by_reporter=True))
        if case.rating is not None:
            raise CaseRefused(Refusal.HANDLED, case)
        moved, _event = await _commit(
            tx, case, actor, "rated", now, data={"rating": rating.value}, rating=rating.value
        )
    return moved


# ---------------------------------------------------------------------- reading


async def get(db: Database, case_id: int) -> Case | None:
    """The case with this id, or None."""
    return await case_repo.get(db, case_id)


async def responsible_area(db: Database, case: Case) -> Area | None:
    """The area answering for the case now."""
    return await area_repo.get(db, case.responsible_area_id)


async def open_cases(
    db: Database,
    admin: Member,
    *,
    status: str | None,
    category: str | None,
    page: int,
    per_page: int,
) -> tuple[list[Case], int]:
    """A page of the open cases of the admin's area and below, oldest first, and the total."""
    filt = CaseFilter(admin.area_id_path, status, category)
    total = await repo.count_open_cases(db, filt)
    return await repo.open_cases(db, filt, per_page, page * per_page), total


def is_overdue(case: Case, now: str) -> bool:
    """Whether the case is past the due time of the stage it is in."""
    if case.status == "new":
        return case.accept_due is not None and case.accept_due <= now
    if case.status in WORKING:
        return case.resolve_due is not None and case.resolve_due <= now
    if case.status == "resolved":
        return case.verify_due is not None and case.verify_due <= now
    return False


async def events(db: Database, case_id: int, *, internal: bool) -> list[case_repo.CaseEvent]:
    """A case's history (with internal notes only when asked for)."""
    return await case_repo.events(db, case_id, include_internal=internal)


async def mediation_of(db: Database, case_id: int) -> Mediation | None:
    """The mediation record of a case, or None."""
    return await repo.mediation(db, case_id)


# ---------------------------------------------------------------------- group chats


class GroupRefused(Exception):
    """A group chat could not be bound or unbound."""


async def bind_group(db: Database, clock: Clock, admin: Member, chat_id: int) -> Area:
    """Bind a group chat to the admin's own area; its alerts then also go there.

    Only an admin of the area may; a group bound to another area moves only if the
    admin could unbind it from there too (else its admins would lose it to a stranger).
    """
    async with db.transaction() as tx:
        area = await area_repo.get(tx, admin.area_id)
        if area is None or not may(admin, Action.BIND_GROUP, area):
            raise GroupRefused("not allowed")
        bound = await repo.group_area(tx, chat_id)
        if bound is not None and bound != area.id:
            before = await area_repo.get(tx, bound)
            if before is not None and not may(admin, Action.BIND_GROUP, before):
                raise GroupRefused("bound to another area")
        await repo.bind_group(tx, area.id, chat_id, admin.id, to_db(clock.now()))
    return area


async def unbind_group(db: Database, admin: Member, chat_id: int) -> Area | None:
    """Unbind a group chat; None if it was not bound. Only an admin over its area may."""
    async with db.transaction() as tx:
        area_id = await repo.group_area(tx, chat_id)
        if area_id is None:
            return None
        area = await area_repo.get(tx, area_id)
        if area is None or not may(admin, Action.BIND_GROUP, area):
            raise GroupRefused("not allowed")
        await repo.unbind_group(tx, chat_id)
    return area


async def group_area(db: Database, chat_id: int) -> Area | None:
    """The area a group chat is bound to, or None."""
    area_id = await repo.group_area(db, chat_id)
    return None if area_id is None else await area_repo.get(db, area_id)


# ---------------------------------------------------------------------- time


@dataclass
class SweepReport:
    """What one sweep did."""

    escalated: int = 0
    closed: int = 0
    reminded: int = 0
    revisits: int = 0


async def sweep(db: Database, clock: Clock, config: Config) -> SweepReport:
    """Escalate overdue cases, close unanswered resolved ones, send reminders (idempotent)."""
    report = SweepReport()
    now_at = clock.now()
    now = to_db(now_at)
    async for case in _batches(lambda: repo.overdue(db, now, SWEEP_BATCH)):
        try:
            async with db.transaction() as tx:
                fresh = await _load(tx, case.id, case.version)
                if not is_overdue(fresh, now):
                    continue
                await _escalate(tx, clock, config, fresh, None, now)
                report.escalated += 1
        except CaseRefused as refused:
            if refused.reason is Refusal.TOP and refused.case is not None:
                await _park_at_top(db, clock, config, refused.case)
    cutoff = to_db(now_at - timedelta(days=config.cases.auto_close_days))
    async for case in _batches(lambda: repo.resolved_before(db, cutoff, SWEEP_BATCH)):
        try:
            async with db.transaction() as tx:
                fresh = await _load(tx, case.id, case.version)
                if fresh.status != "resolved":
                    continue
                moved, event_id = await _commit(
                    tx, fresh, None, "auto_closed", now, status="closed", closed_at=now
                )
                await _tell_reporter(tx, moved, event_id, "closed", now, by_reporter=False)
                report.closed += 1
        except CaseRefused:
            continue  # moved on meanwhile: the next sweep looks again
    for case in await repo.verify_overdue(db, now):
        async with db.transaction() as tx:
            if not await repo.mark_verify_reminded(tx, case.id):
                continue
            await _tell_reporter(tx, case, f"v{case.version}", "verify_reminder", now)
            report.reminded += 1
    for record in await repo.revisits_due(db, now):
        async with db.transaction() as tx:
            mediator = await member_repo.get(tx, record.mediator_id)
            if mediator is not None and mediator.active:
                await notify_member(
                    tx,
                    mediator,
                    CASE_REVISIT,
                    {"case_id": record.case_id},
                    now=now,
                    dedupe_key=f"case:{record.case_id}:revisit:{record.revisit_at}",
                )
            await repo.mark_revisit_sent(tx, record.case_id)
            report.revisits += 1
    return report


SWEEP_BATCH = 200
SWEEP_MAX_BATCHES = 10  # at most this many batches per run; the next run goes on


async def _batches(fetch: Callable[[], Awaitable[list[Case]]]) -> AsyncIterator[Case]:
    """Cases from ``fetch`` batch after batch while batches come full (each handled moves on)."""
    seen: set[tuple[int, int]] = set()
    for _ in range(SWEEP_MAX_BATCHES):
        batch = await fetch()
        fresh = [c for c in batch if (c.id, c.version) not in seen]
        for case in fresh:
            seen.add((case.id, case.version))
            yield case
        if len(batch) < SWEEP_BATCH or not fresh:
            return


async def _park_at_top(db: Database, clock: Clock, config: Config, case: Case) -> None:
    """An overdue case at the district: give the stage a new period, so it is not swept forever."""
    limits = config.sla.limits(case.category, case.urgent)
    now = to_db(clock.now())
    change = (
        {"accept_due": _due(clock, limits.accept_minutes)}
        if case.status == "new"
        else {"resolve_due": _due(clock, limits.resolve_minutes)}
    )
    async with db.transaction() as tx:
        if await repo.update_case(tx, case.id, case.version, now, **change):
            event_id = await case_repo.add_event(
                tx,
                case.id,
                at=now,
                actor_id=None,
                kind="overdue_at_top",
                data=change,
                internal=True,  # bookkeeping for admins; the reporter's timeline skips it
            )
            # the version moved: redraw the copies, or their buttons would be stale
            await _refresh_copies(tx, case, event_id, now)


def overdue_since(case: Case) -> str | None:
    """The due time of the case's current stage, if it has one."""
    if case.status == "new":
        return case.accept_due
    if case.status in WORKING:
        return case.resolve_due
    return None


# ---------------------------------------------------------------------- display


@dataclass(frozen=True)
class Card:
    """What an alert or a /cases entry shows of a case, gathered in one read."""

    view: CaseView
    responsible: Area
    assignee: str | None
    notes: tuple[str, ...]  # the latest internal notes, oldest first
    mediation: Mediation | None


async def card(q: Queryable, case_id: int) -> Card | None:
    """The case with the names shown beside it; None if there is no such case."""
    view = await case_view(q, case_id)
    if view is None:
        return None
    responsible = await area_repo.get(q, view.case.responsible_area_id)
    assert responsible is not None
    assignee = None
    if view.case.assignee_id is not None:
        member = await member_repo.get(q, view.case.assignee_id)
        assignee = None if member is None else member.name
    trail = await case_repo.events(q, case_id, include_internal=True)
    notes = tuple(str(e.data.get("text", "")) for e in trail if e.kind == "note")[-3:]
    return Card(view, responsible, assignee, notes, await repo.mediation(q, case_id))


@dataclass(frozen=True)
class Viewer:
    """What one holder of an alert may see and do on it."""

    may_act: bool
    full_phone: bool  # only admins of the reporter's own community see the phone in full


async def viewer(q: Queryable, case: Case, member_id: int | None, recipient: str) -> Viewer:
    """The rights of the holder of an alert: a member, or a bound group chat."""
    responsible = await area_repo.get(q, case.responsible_area_id)
    if member_id is None:
        area_id = await repo.group_area(q, int(recipient))
        area = None if area_id is None else await area_repo.get(q, area_id)
        ok = area is not None and responsible is not None and group_may_handle(area, responsible)
        return Viewer(may_act=ok, full_phone=False)
    member = await member_repo.get(q, member_id)
    if member is None:
        return Viewer(False, False)
    return Viewer(
        may_act=await may_handle(q, member, case),
        full_phone=is_admin(member.role) and member.area_id == case.community_id,
    )


def masked_phone(phone: str | None) -> str:
    """A phone number with its middle hidden: +86138****0001."""
    if not phone:
        return "-"
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"


def local_time(stamp_text: str, tz: tzinfo) -> str:
    """A stored UTC time as local 'MM-DD HH:MM'."""
    return from_db(stamp_text).astimezone(tz).strftime("%m-%d %H:%M")


def stamp(clock: Clock) -> str:
    """Now, as stored times are written (to compare with due times)."""
    return to_db(clock.now())


async def member(q: Queryable, member_id: int) -> Member | None:
    """The member with this id (active or not), or None."""
    return await member_repo.get(q, member_id)


async def check_handle(db: Database, actor: Member, case_id: int, version: int) -> Case:
    """The case, if ``actor`` may act on it at ``version`` now; CaseRefused otherwise."""
    case = await _load(db, case_id, version)
    if not await may_handle(db, actor, case):
        raise CaseRefused(Refusal.NOT_ALLOWED, case)
    return case


async def check_reporter(db: Database, actor: Member, case_id: int, version: int) -> Case:
    """The case, if ``actor`` reported it and it awaits their answer at ``version``."""
    case = await _load(db, case_id, None)
    if actor.id != case.reporter_id:
        raise CaseRefused(Refusal.NOT_ALLOWED, case)
    if case.version != version or case.status != "resolved":
        raise CaseRefused(Refusal.HANDLED, case)
    return case


async def check_see(db: Database, actor: Member, case_id: int) -> Case:
    """The case, if ``actor`` may see it; CaseRefused otherwise."""
    case = await _load(db, case_id, None)
    if not await may_see(db, actor, case):
        raise CaseRefused(Refusal.NOT_ALLOWED, case)
    return case
