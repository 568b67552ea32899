"""Supervision (督办) and the time limits: where an overdue case gets escalated.

Supervision is not a state and not a transfer: the case stays with the area handling it
(its community), and the levels above are added as supervisors one at a time
(:func:`sweep` when a stage's limit passes, :func:`escalate` by hand). A supervisor may
act like the handlers, urge them (:func:`urge`), take the case over (:func:`take_over`)
or, once it handles it, send it back down (:func:`send_back`). The sweep also closes
resolved cases the reporter never answered and sends the reminders that are due.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from bot.clock import Clock
from bot.config import Config
from bot.services.cases.alerts import (
    CASE_ALERT,
    CASE_REVISIT,
    CASE_TODO,
    _tell_handlers,
    _tell_reporter,
    _tell_watchers,
    alert_level,
)
from bot.services.cases.card import acting
from bot.services.cases.parts import at_top, supervisor_ids
from bot.services.cases.reading import is_overdue
from bot.services.cases.rules import STAGE_DUE, Act, Status
from bot.services.cases.transition import (
    CaseRefused,
    Refusal,
    _area,
    _check,
    _commit,
    _due,
    _load,
    _stage_minutes,
    _text,
)
from bot.services.notify import notify_member
from storage import cases as case_repo
from storage import mediations as mediation_repo
from storage import members as member_repo
from storage.cases import Case
from storage.db import Database, Transaction
from storage.mediations import Mediation
from storage.members import Member
from storage.times import to_db


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

    async def run(tx: Transaction) -> Case:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.ESCALATE)
        return await _supervise(tx, clock, config, case, actor, now, reason=why)

    return await acting(db, run)  # and draws its card


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
    await alert_level(tx, moved, upper, CASE_ALERT, now)
    await _tell_reporter(
        tx, moved, event_id, "supervised", now, area=upper.name, handler=responsible.name
    )
    return moved


async def urge(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """督办 (the press): a supervisor urges the handlers; recorded as an event."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Case:
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

    return await acting(db, run)  # and draws its card


async def take_over(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """接管: a supervising level becomes the case's handler."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Case:
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
        await alert_level(tx, moved, mine, CASE_ALERT, now)
        await _tell_reporter(tx, moved, event_id, "taken_over", now, area=mine.name)
        return moved

    return await acting(db, run)  # and draws its card


async def send_back(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int | None, reason: str
) -> Case:
    """退回 (by the upper level): the case goes back to its community, with a reason.

    The level that handled it, and those above it, keep supervising.
    """
    now = to_db(clock.now())
    why = _text(reason)

    async def run(tx: Transaction) -> Case:
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
        await alert_level(tx, moved, community, CASE_ALERT, now)
        await _tell_reporter(tx, moved, event_id, "sent_back", now, area=community.name)
        return moved

    return await acting(db, run)  # and draws its card


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

    # Each case is its own transaction, one trip to the database thread (run_transaction):
    # one that fails rolls back only itself. A True says it counts in the report.
    async def supervise_due(tx: Transaction, case: Case) -> bool:
        fresh = await case_repo.get(tx, case.id)
        if fresh is None or fresh.version != case.version or not is_overdue(fresh, now):
            return False
        responsible = await _area(tx, fresh.responsible_area_id)
        if at_top(fresh, responsible):
            # Nobody left to add: stop looking, without a notice or a new limit.
            await case_repo.stop_supervision(tx, fresh.id)
            return False
        await _supervise(tx, clock, config, fresh, None, now)
        return True

    async def auto_close(tx: Transaction, case: Case) -> None:
        fresh = await _load(tx, case.id, case.version)
        await _check(tx, fresh, None, Act.AUTO_CLOSE)
        moved, event_id = await _commit(
            tx, fresh, None, "auto_closed", now, status="closed", closed_at=now
        )
        await _tell_reporter(tx, moved, event_id, "closed", now, by_reporter=False)

    async def remind_verify(tx: Transaction, case: Case) -> bool:
        if not await case_repo.mark_verify_reminded(tx, case.id):
            return False
        await _tell_reporter(tx, case, f"v{case.version}", "verify_reminder", now)
        return True

    async def remind_assignee(tx: Transaction, case: Case, assignee_id: int) -> bool:
        if not await case_repo.mark_assignee_reminded(tx, case.id, assignee_id):
            return False
        assignee = await member_repo.get(tx, assignee_id)
        if assignee is None or not assignee.active:
            return False
        await notify_member(
            tx,
            assignee,
            CASE_TODO,
            {"case_id": case.id, "due": case.resolve_due},
            now=now,
            dedupe_key=f"case:{case.id}:todo:{assignee_id}:{case.resolve_due}",
        )
        return True

    async def revisit(tx: Transaction, record: Mediation) -> None:
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
        await mediation_repo.mark_revisit_sent(tx, record.case_id)

    async for case in _batches(lambda: case_repo.to_supervise(db, STAGE_DUE, now, SWEEP_BATCH)):
        if await db.run_transaction(partial(supervise_due, case=case)):
            report.supervised += 1
    cutoff = to_db(now_at - timedelta(days=config.cases.auto_close_days))
    async for case in _batches(lambda: case_repo.resolved_before(db, cutoff, SWEEP_BATCH)):
        try:
            await db.run_transaction(partial(auto_close, case=case))
        except CaseRefused:
            continue  # moved on meanwhile: the next sweep looks again
        report.closed += 1
    for case in await case_repo.verify_overdue(db, now):
        if await db.run_transaction(partial(remind_verify, case=case)):
            report.reminded += 1
    soon = to_db(now_at + timedelta(minutes=config.cases.todo_reminder_minutes))
    for case in await case_repo.assignee_due_soon(db, Status.IN_PROGRESS.value, soon):
        assert case.assignee_id is not None
        if await db.run_transaction(
            partial(remind_assignee, case=case, assignee_id=case.assignee_id)
        ):
            report.todo_reminded += 1
    for record in await mediation_repo.revisits_due(db, now):
        await db.run_transaction(partial(revisit, record=record))
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
