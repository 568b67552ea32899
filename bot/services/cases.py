"""The case lifecycle (案件办理): who may move a case, along which edge, and who is told.

The edges are one table, :data:`bot.services.case_lifecycle.TRANSITIONS` (from state,
action, to state, who may). Each action is one transaction that reads the case, checks
that it is still at the version the button showed (two admins pressing at once: the
second is refused; typed steps pass no version and are checked against the state the
case is in when they end), that the table allows the action from the current state,
and that this member plays a part the edge allows (handler, supervisor, assignee,
reporter). It then writes the change and its event, and queues in the outbox: an edit
of every copy of the alert, and the notices of those concerned, in their language.

Supervision (督办) is not a state and not a transfer: the case stays with the area
handling it (its community), and the levels above are added as supervisors one at a
time (:func:`sweep` when a stage's limit passes, :func:`escalate` by hand). A
supervisor may act like the handlers, urge them (:func:`urge`), take the case over
(:func:`take_over`) or, once it handles it, send it back down (:func:`send_back`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.services.case_lifecycle import OPEN as OPEN  # re-exported: the one definition
from bot.services.case_lifecycle import STAGE_DUE, Act, Status, Who, acts_for, allowed, stage_due
from bot.services.case_lifecycle import is_overdue as _overdue
from bot.services.case_view import CaseView, case_view
from bot.services.categories import Category
from bot.services.grid import is_admin
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

# Outbox kinds (rendered by handlers/messages/case_cards.py).
CASE_NEW = "case.new"  # the first alert of a case to an admin, a bound group or an assignee
CASE_ALERT = "case.alert"  # the first alert to a level put over the case (督办)
CASE_UPDATE = "case.update"  # an edit, in place, of an alert someone holds
CASE_NOTICE = "case.notice"  # a short message to handlers: supervised, urged, reopened, ...
CASE_REPORTER = "case.reporter"  # what the reporter is told
CASE_REVISIT = "case.revisit"  # 回访: the mediator is reminded to visit again
CASE_TODO = "case.todo"  # the assignee is reminded that the limit is near
MEMBER_BLOCKED = "member.blocked"  # an admin is told a member blocked the bot

CLOSED = frozenset({Status.CLOSED, Status.REJECTED})
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
    TOP = "top"  # escalation asked when the district already supervises
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


def supervisor_ids(case: Case, responsible: Area) -> list[int]:
    """The areas supervising the case (督办), from the highest down to the nearest."""
    above = responsible.ancestor_ids
    count = min(case.escalations, len(above))
    return above[len(above) - count :] if count else []


def at_top(case: Case, responsible: Area) -> bool:
    """Whether no level is left to add as a supervisor (the district supervises or handles)."""
    return case.escalations >= len(responsible.ancestor_ids)


async def parts_of(q: Queryable, member: Member | None, case: Case) -> frozenset[Who]:
    """The parts ``member`` plays on ``case`` (none for an inactive member; BOT for None)."""
    if member is None:
        return frozenset({Who.BOT})
    if not member.active:
        return frozenset()
    parts: set[Who] = set()
    if member.id == case.reporter_id:
        parts.add(Who.REPORTER)
    if case.assignee_id is not None and member.id == case.assignee_id:
        parts.add(Who.ASSIGNEE)
    if is_admin(member.role):
        responsible = await area_repo.get(q, case.responsible_area_id)
        if responsible is not None and may(member, Action.HANDLE_CASE, responsible):
            parts.add(Who.HANDLER)
            if responsible.id != case.community_id:
                parts.add(Who.UPPER)
        if responsible is not None and member.area_id in supervisor_ids(case, responsible):
            parts.add(Who.SUPERVISOR)
    return frozenset(parts)


def group_may_handle(group_area: Area, responsible: Area) -> bool:
    """Whether a group bound to ``group_area`` answers for a case at ``responsible``."""
    return group_area.contains(responsible)


async def group_parts(q: Queryable, case: Case, chat_id: int) -> frozenset[Who]:
    """The parts a bound group chat plays on a case (for its buttons; pressers are checked)."""
    area_id = await repo.group_area(q, chat_id)
    area = None if area_id is None else await area_repo.get(q, area_id)
    responsible = await area_repo.get(q, case.responsible_area_id)
    if area is None or responsible is None:
        return frozenset()
    parts: set[Who] = set()
    if group_may_handle(area, responsible):
        parts.add(Who.HANDLER)
        if responsible.id != case.community_id:
            parts.add(Who.UPPER)
    if area.id in supervisor_ids(case, responsible):
        parts.add(Who.SUPERVISOR)
    return frozenset(parts)


async def may_see(q: Queryable, member: Member, case: Case) -> bool:
    """Whether ``member`` may see the case: reporter, assignee, or an admin over it."""
    if member.id == case.reporter_id or member.id == case.assignee_id:
        return True
    community = await area_repo.get(q, case.community_id)
    return (
        community is not None
        and is_admin(member.role)
        and may(member, Action.VIEW_CASES, community)
    )


# ---------------------------------------------------------------------- alerts


async def alert_level(tx: Transaction, case_id: int, area: Area, kind: str, now: str) -> None:
    """Alert the admins answering for ``area`` and its bound group chats about a case.

    Someone who holds a copy already is not alerted again (one alert per person).
    """
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


async def _tell_watchers(
    tx: Transaction,
    case: Case,
    event_id: int,
    event: str,
    now: str,
    *,
    actor: Member | None = None,
    **values: Any,
) -> None:
    """A notice to everyone holding a copy of the alert but the actor, who was answered."""
    for watcher in await repo.watchers(tx, case.id):
        if actor is not None and watcher.member_id == actor.id:
            continue  # one message per event per person: the actor has their answer
        await _queue(
            tx,
            watcher,
            CASE_NOTICE,
            {"case_id": case.id, "event": event, **values},
            now,
            f"case:{case.id}:e{event_id}:n:{watcher.recipient}",
        )


async def _tell_handlers(
    tx: Transaction, case: Case, event_id: int, event: str, now: str, **values: Any
) -> None:
    """A notice to those who handle the case: its handling area's admins and the assignee."""
    responsible = await area_repo.get(tx, case.responsible_area_id)
    people = [] if responsible is None else await responsible_admins(tx, responsible)
    if case.assignee_id is not None:
        assignee = await member_repo.get(tx, case.assignee_id)
        if assignee is not None and assignee.id not in {p.id for p in people}:
            people.append(assignee)
    for person in people:
        if person.active:
            await notify_member(
                tx,
                person,
                CASE_NOTICE,
                {"case_id": case.id, "event": event, **values},
                now=now,
                dedupe_key=f"case:{case.id}:e{event_id}:h:{person.id}",
            )


# ---------------------------------------------------------------------- the transition


async def _load(q: Queryable, case_id: int, version: int | None) -> Case:
    """The case, at ``version`` unless None; CaseRefused MISSING or HANDLED otherwise."""
    case = await case_repo.get(q, case_id)
    if case is None:
        raise CaseRefused(Refusal.MISSING)
    if version is not None and version != case.version:
        raise CaseRefused(Refusal.HANDLED, case)
    return case


async def _check(q: Queryable, case: Case, actor: Member | None, act: Act) -> frozenset[Who]:
    """Refuse unless the table lets ``actor`` take ``act`` on the case now; their parts."""
    parts = await parts_of(q, actor, case)
    if allowed(case.status, act, parts):
        return parts
    # Would this member have been allowed in some state? Then the case moved on.
    if any(allowed(status, act, parts) for status in Status):
        raise CaseRefused(Refusal.HANDLED, case)
    raise CaseRefused(Refusal.NOT_ALLOWED, case)


async def _commit(
    tx: Transaction,
    case: Case,
    actor: Member | None,
    kind: str,
    now: str,
    *,
    data: dict[str, Any] | None = None,
    internal: bool = False,
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
        internal=internal,
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


def _stage_minutes(config: Config, case: Case) -> int:
    limits = config.sla.limits(case.category, case.urgent)
    return limits.accept_minutes if case.status == Status.NEW else limits.resolve_minutes


async def _area(q: Queryable, area_id: int) -> Area:
    area = await area_repo.get(q, area_id)
    assert area is not None
    return area


# ---------------------------------------------------------------------- handlers' actions


async def accept(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """受理: take the case up."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.ACCEPT)
        moved, event_id = await _commit(tx, case, actor, "accepted", now, status="accepted")
        await _tell_reporter(tx, moved, event_id, "accepted", now)
    return moved


async def reject(
    db: Database,
    clock: Clock,
    actor: Member,
    case_id: int,
    version: int | None,
    reason: RejectReason,
    text: str | None = None,
) -> Case:
    """不予受理: refuse the case, with a reason (and a text when the reason is 'other')."""
    now = to_db(clock.now())
    detail = _text(text) if reason is RejectReason.OTHER else None
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.REJECT)
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
    """指派: give the case to a member of its area to work on (承办人).

    The assignee gets the full card with the handling stage's actions (or, if they hold
    one already, a notice and their card gains the buttons); a previous assignee is
    told, and their card loses its buttons.
    """
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.ASSIGN)
        if assignee_id not in {m.id for m in await assignees(tx, case)}:
            raise CaseRefused(Refusal.BAD_INPUT, case)
        assignee = await member_repo.get(tx, assignee_id)
        assert assignee is not None
        previous = case.assignee_id
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "assigned",
            now,
            data={"assignee_id": assignee_id, "previous_id": previous},
            status="in_progress",
            assignee_id=assignee_id,
            assignee_reminded=0,
        )
        await _tell_reporter(tx, moved, event_id, "assigned", now, assignee=assignee.name)
        if previous is not None and previous != assignee_id:
            before = await member_repo.get(tx, previous)
            if before is not None and before.active:
                await notify_member(
                    tx,
                    before,
                    CASE_NOTICE,
                    {"case_id": case.id, "event": "reassigned", "name": assignee.name},
                    now=now,
                    dedupe_key=f"case:{case.id}:e{event_id}:previous",
                )
        if assignee.id != actor.id:
            fresh = await repo.add_watcher(
                tx, case.id, address_of(assignee), assignee.id, case.community_id, now
            )
            # A new holder gets the whole card; one who holds it is told, and it redraws.
            await notify_member(
                tx,
                assignee,
                CASE_NEW if fresh else CASE_NOTICE,
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
    version: int | None,
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
        await _check(tx, case, actor, Act.RESOLVE)
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


async def give_back(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int | None, reason: str
) -> Case:
    """退回 (by the assignee): hand the case back to the admins, with a reason."""
    now = to_db(clock.now())
    why = _text(reason)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.RETURN)
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "returned",
            now,
            data={"reason": why},
            internal=True,  # between the assignee and the admins
            status="accepted",
            assignee_id=None,
        )
        responsible = await _area(tx, moved.responsible_area_id)
        for admin in await responsible_admins(tx, responsible):
            await notify_member(
                tx,
                admin,
                CASE_NOTICE,
                {"case_id": case.id, "event": "returned", "name": actor.name, "reason": why},
                now=now,
                dedupe_key=f"case:{case.id}:e{event_id}:h:{admin.id}",
            )
    return moved


async def escalate(
    db: Database,
    clock: Clock,
    config: Config,
    actor: Member,
    case_id: int,
    version: int | None,
    *,
    reason: str,
) -> Case:
    """升级 (by hand): put the case under supervision of the next level up, early.

    The same act as the sweep's, with a reason; the case stays with its handlers.
    """
    now = to_db(clock.now())
    why = _text(reason)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.ESCALATE)
        return await _supervise(tx, clock, config, case, actor, now, reason=why)


async def _supervise(
    tx: Transaction,
    clock: Clock,
    config: Config,
    case: Case,
    actor: Member | None,
    now: str,
    *,
    reason: str | None = None,
) -> Case:
    """Add the next level up as a supervisor; alert it once, tell the handlers and reporter."""
    responsible = await _area(tx, case.responsible_area_id)
    if at_top(case, responsible):
        raise CaseRefused(Refusal.TOP, case)
    above = responsible.ancestor_ids
    upper = await _area(tx, above[len(above) - case.escalations - 1])
    top = upper.parent_id is None
    moved, event_id = await _commit(
        tx,
        case,
        actor,
        "supervised",
        now,
        data={"area": upper.id, "by_time": actor is None, "reason": reason},
        escalations=case.escalations + 1,
        # When the next level is added if the stage is still overdue then; never a new limit.
        supervise_at=None if top else _due(clock, _stage_minutes(config, case)),
        supervision_stopped=int(top),
    )
    await _tell_watchers(
        tx,
        moved,
        event_id,
        "supervised",
        now,
        actor=actor,
        area=upper.path,
        by_time=actor is None,
        reason=reason or "",
    )
    await alert_level(tx, moved.id, upper, CASE_ALERT, now)
    await _tell_reporter(
        tx, moved, event_id, "supervised", now, area=upper.name, handler=responsible.name
    )
    return moved


async def urge(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """督办 (the press): a supervisor urges the handlers; recorded as an event."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.URGE)
        actor_area = await _area(tx, actor.area_id)
        responsible = await _area(tx, case.responsible_area_id)
        event_id = await case_repo.add_event(
            tx, case.id, at=now, actor_id=actor.id, kind="urged", data={"area": actor_area.id}
        )
        await _tell_handlers(tx, case, event_id, "urged", now, area=actor_area.name)
        await _tell_reporter(
            tx, case, event_id, "urged", now, area=actor_area.name, handler=responsible.name
        )
    return case


async def take_over(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """接管: a supervising level becomes the case's handler."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.TAKE_OVER)
        responsible = await _area(tx, case.responsible_area_id)
        supervisors = supervisor_ids(case, responsible)
        if actor.area_id not in supervisors:
            raise CaseRefused(Refusal.NOT_ALLOWED, case)
        mine = await _area(tx, actor.area_id)
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "taken_over",
            now,
            data={"from_area": responsible.id, "area": mine.id},
            responsible_area_id=mine.id,
            escalations=supervisors.index(mine.id),  # the levels above it keep supervising
        )
        await _tell_watchers(tx, moved, event_id, "taken_over", now, actor=actor, area=mine.path)
        await alert_level(tx, moved.id, mine, CASE_ALERT, now)
        await _tell_reporter(tx, moved, event_id, "taken_over", now, area=mine.name)
    return moved


async def send_back(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int | None, reason: str
) -> Case:
    """退回 (by the upper level): the case goes back to its community, with a reason.

    The level that handled it, and those above it, keep supervising.
    """
    now = to_db(clock.now())
    why = _text(reason)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.SEND_BACK)
        responsible = await _area(tx, case.responsible_area_id)
        community = await _area(tx, case.community_id)
        supervisors = supervisor_ids(case, responsible)
        top = supervisors[0] if supervisors else responsible.id
        chain = community.ancestor_ids
        levels = len(chain) - chain.index(top) if top in chain else 1
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "sent_back",
            now,
            data={"from_area": responsible.id, "area": community.id, "reason": why},
            responsible_area_id=community.id,
            escalations=levels,
        )
        await _tell_watchers(
            tx, moved, event_id, "sent_back", now, actor=actor, area=community.path, reason=why
        )
        await alert_level(tx, moved.id, community, CASE_ALERT, now)
        await _tell_reporter(tx, moved, event_id, "sent_back", now, area=community.name)
    return moved


async def note(db: Database, clock: Clock, actor: Member, case_id: int, text: str) -> int:
    """备注: an internal note; handlers and the assignee see it, the reporter never does."""
    now = to_db(clock.now())
    body = _text(text)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, None)
        await _check(tx, case, actor, Act.NOTE)
        event_id = await case_repo.add_event(
            tx, case.id, at=now, actor_id=actor.id, kind="note", data={"text": body}, internal=True
        )
        await _refresh_copies(tx, case, event_id, now)
    return event_id


async def may_note(db: Database, actor: Member, case_id: int) -> bool:
    """Whether ``actor`` may add a note to the case as it is now."""
    case = await case_repo.get(db, case_id)
    return case is not None and allowed(case.status, Act.NOTE, await parts_of(db, actor, case))


# ---------------------------------------------------------------------- the reporter's answers


async def confirm(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """已解决: the reporter confirms the fix; the case closes and asks for a rating."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.CONFIRM)
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
    """未解决: the reporter says it is not fixed; back to work, and the admins are told.

    The reporter's own answer tells them it reopened: no second message.
    """
    now = to_db(clock.now())
    why = _text(reason)
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.REOPEN)
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
            assignee_reminded=0,
        )
        await _tell_watchers(tx, moved, event_id, "reopened", now, reason=why)
    return moved


async def rate(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int, rating: Rating
) -> Case:
    """The reporter rates a closed case: 满意, 基本满意 or 不满意 (once)."""
    now = to_db(clock.now())
    async with db.transaction() as tx:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.RATE)
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
    """The area handling the case now."""
    return await area_repo.get(db, case.responsible_area_id)


async def open_cases(
    db: Database,
    admin: Member,
    *,
    status: str | None,
    category: str | None,
    per_page: int,
    closed: bool = False,
    number: str | None = None,
    after: int | None = None,
    before: int | None = None,
) -> tuple[list[Case], int]:
    """A page of the admin's area's cases, oldest first, and the total.

    Open ones (the lifecycle's definition) unless ``closed``; one status if given; a
    number (or its tail) to find one case. The page is the one after the case ``after``
    or before the case ``before`` (keyset paging), else the first.
    """
    if status is not None:
        statuses: tuple[str, ...] = (status,)
    else:
        statuses = tuple(sorted(CLOSED if closed else OPEN))
    filt = CaseFilter(admin.area_id_path, statuses, category, number)
    total = await repo.count_open_cases(db, filt)
    return await repo.open_cases(db, filt, per_page, after=after, before=before), total


async def todo(db: Database, member: Member) -> list[Case]:
    """我的待办: the cases assigned to ``member`` still in the handling stage, soonest due first."""
    return await repo.assigned_to(db, member.id, (Status.IN_PROGRESS.value,))


def is_overdue(case: Case, now: str) -> bool:
    """Whether the case is past the due time of the handlers' stage it is in."""
    return _overdue(case.status, case.accept_due, case.resolve_due, now)


def overdue_since(case: Case) -> str | None:
    """The due time of the case's current handlers' stage, if it has one."""
    return stage_due(case.status, case.accept_due, case.resolve_due)


def is_supervised(case: Case) -> bool:
    """Whether a level above the handling area supervises the case (督办)."""
    return case.escalations > 0 and case.status in OPEN


async def events(db: Database, case_id: int, *, internal: bool) -> list[case_repo.CaseEvent]:
    """A case's history (with internal notes only when asked for)."""
    return await case_repo.events(db, case_id, include_internal=internal)


async def mediation_of(db: Database, case_id: int) -> Mediation | None:
    """The mediation record of a case, or None."""
    return await repo.mediation(db, case_id)


async def last_change(db: Database, case: Case) -> tuple[str, str | None, str | None]:
    """What last moved the case: (event kind, the actor's name, the area named by it)."""
    trail = await case_repo.events(db, case.id, include_internal=True)
    moving = [e for e in trail if e.kind not in ("note", "urged", "rated")]
    if not moving:
        return "created", None, None
    last = moving[-1]
    name = None
    if last.actor_id is not None:
        someone = await member_repo.get(db, last.actor_id)
        name = None if someone is None else someone.name
    area_id = last.data.get("area")
    area = None if not isinstance(area_id, int) else await area_repo.get(db, area_id)
    return last.kind, name, None if area is None else area.name


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

    supervised: int = 0
    closed: int = 0
    reminded: int = 0
    revisits: int = 0
    todo_reminded: int = 0


async def sweep(db: Database, clock: Clock, config: Config) -> SweepReport:
    """Supervise overdue cases, close unanswered resolved ones, send reminders (idempotent).

    An overdue case gets the next level up as a supervisor (one notice per level); at
    the next limit, still overdue, the next one; once the district supervises it stops.
    """
    report = SweepReport()
    now_at = clock.now()
    now = to_db(now_at)
    async for case in _batches(lambda: repo.to_supervise(db, STAGE_DUE, now, SWEEP_BATCH)):
        async with db.transaction() as tx:
            fresh = await case_repo.get(tx, case.id)
            if fresh is None or fresh.version != case.version or not is_overdue(fresh, now):
                continue
            responsible = await _area(tx, fresh.responsible_area_id)
            if at_top(fresh, responsible):
                # Nobody left to add: stop looking, without a notice or a new limit.
                await repo.stop_supervision(tx, fresh.id)
                continue
            await _supervise(tx, clock, config, fresh, None, now)
            report.supervised += 1
    cutoff = to_db(now_at - timedelta(days=config.cases.auto_close_days))
    async for case in _batches(lambda: repo.resolved_before(db, cutoff, SWEEP_BATCH)):
        try:
            async with db.transaction() as tx:
                fresh = await _load(tx, case.id, case.version)
                await _check(tx, fresh, None, Act.AUTO_CLOSE)
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
    soon = to_db(now_at + timedelta(minutes=config.cases.todo_reminder_minutes))
    for case in await repo.assignee_due_soon(db, Status.IN_PROGRESS.value, soon):
        assert case.assignee_id is not None
        async with db.transaction() as tx:
            if not await repo.mark_assignee_reminded(tx, case.id, case.assignee_id):
                continue
            assignee = await member_repo.get(tx, case.assignee_id)
            if assignee is not None and assignee.active:
                await notify_member(
                    tx,
                    assignee,
                    CASE_TODO,
                    {"case_id": case.id, "due": case.resolve_due},
                    now=now,
                    dedupe_key=f"case:{case.id}:todo:{case.assignee_id}:{case.resolve_due}",
                )
                report.todo_reminded += 1
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


# ---------------------------------------------------------------------- display


@dataclass(frozen=True)
class Card:
    """What an alert or a /cases entry shows of a case, gathered in one read."""

    view: CaseView
    responsible: Area
    supervisors: tuple[Area, ...]  # the levels supervising it (督办), highest first
    assignee: str | None
    notes: tuple[str, ...]  # the latest internal notes, oldest first
    mediation: Mediation | None
    at_top: bool  # no level left to escalate to


async def card(q: Queryable, case_id: int) -> Card | None:
    """The case with the names shown beside it; None if there is no such case."""
    view = await case_view(q, case_id)
    if view is None:
        return None
    responsible = await _area(q, view.case.responsible_area_id)
    supervisors = tuple(await area_repo.get_many(q, supervisor_ids(view.case, responsible)))
    assignee = None
    if view.case.assignee_id is not None:
        member = await member_repo.get(q, view.case.assignee_id)
        assignee = None if member is None else member.name
    trail = await case_repo.events(q, case_id, include_internal=True)
    notes = tuple(str(e.data.get("text", "")) for e in trail if e.kind == "note")[-3:]
    return Card(
        view,
        responsible,
        tuple(sorted(supervisors, key=lambda a: a.depth)),
        assignee,
        notes,
        await repo.mediation(q, case_id),
        at_top(view.case, responsible),
    )


@dataclass(frozen=True)
class Viewer:
    """What one holder of a card may see and do on it.

    A bound group chat is the least-privileged audience of its members: masked phone,
    no anonymous reporter's name, no internal notes, whoever presses a button there.
    """

    parts: frozenset[Who]
    full_phone: bool  # only admins of the reporter's own community see the phone in full
    internal: bool  # internal notes are shown (never in a group chat)

    @property
    def may_act(self) -> bool:
        """Whether the holder plays a part that has buttons."""
        return bool(self.parts - {Who.REPORTER, Who.BOT})

    def acts(self, case: Case) -> list[Act]:
        """The actions this holder may take on the case now, in the table's order."""
        return acts_for(case.status, self.parts - {Who.REPORTER, Who.BOT})


async def viewer(q: Queryable, case: Case, member_id: int | None, recipient: str) -> Viewer:
    """The rights of the holder of a card: a member in a private chat, or a group chat."""
    if member_id is None:
        try:
            chat_id = int(recipient)
        except ValueError:
            return Viewer(frozenset(), False, False)
        return Viewer(await group_parts(q, case, chat_id), full_phone=False, internal=False)
    member = await member_repo.get(q, member_id)
    if member is None:
        return Viewer(frozenset(), False, False)
    parts = await parts_of(q, member, case) - {Who.REPORTER}
    return Viewer(
        parts=parts,
        full_phone=is_admin(member.role) and member.area_id == case.community_id,
        internal=bool(parts),
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


async def check_act(
    db: Database, actor: Member, case_id: int, version: int | None, act: Act
) -> Case:
    """The case, if ``actor`` may take ``act`` on it (at ``version``) now; CaseRefused otherwise."""
    case = await _load(db, case_id, version)
    await _check(db, case, actor, act)
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
