"""The transitions of a case by its handlers and its reporter (案件办理).

Accept (受理), reject (不予受理), assign (指派), resolve (办结, with the mediation record
of a dispute), the assignee's giving back (退回), internal notes (备注); the reporter's
confirm (已解决), reopen (未解决) and rating. Each is one transaction through
:mod:`bot.services.cases.transition`, along the edges of :mod:`bot.services.cases.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.services.cases.alerts import (
    CASE_NEW,
    CASE_NOTICE,
    _refresh_copies,
    _tell_reporter,
    _tell_watchers,
    more_voices,
    reporter_key_parts,
)
from bot.services.cases.card import acting
from bot.services.cases.parts import parts_of
from bot.services.cases.routing import responsible_admins
from bot.services.cases.rules import Act, allowed
from bot.services.cases.transition import (
    CaseRefused,
    Refusal,
    _area,
    _check,
    _commit,
    _due,
    _load,
    _text,
)
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.notify import address_of, notify_member
from storage import areas as area_repo
from storage import case_copies as copy_repo
from storage import cases as case_repo
from storage import mediations as mediation_repo
from storage import members as member_repo
from storage import outbox as outbox_repo
from storage.cases import Case
from storage.db import Database, Queryable, Statement, Transaction
from storage.mediations import Mediation
from storage.members import Member
from storage.times import to_db


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


@dataclass(frozen=True)
class MediationRecord:
    """What the mediator records on settling a dispute (人民调解法 arts. 28-29)."""

    parties: str
    facts: str
    agreement: str
    fulfilment: str


async def accept(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """受理: take the case up."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Case:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.ACCEPT)
        moved, event_id = await _commit(tx, case, actor, "accepted", now, status="accepted")
        await _tell_reporter(tx, moved, event_id, "accepted", now)
        return moved

    return await acting(db, run)  # and draws its card


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

    async def run(tx: Transaction) -> Case:
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

    return await acting(db, run)  # and draws its card


async def assignees(q: Queryable, case: Case) -> list[Member]:
    """Whom the case can be assigned to: active members of its community and admins above."""
    community = await area_repo.get(q, case.community_id)
    if community is None:
        return []
    inside = await member_repo.in_subtree(q, community.id_path)
    above = await member_repo.at_areas(
        q, community.ancestor_ids, [Role.STREET_ADMIN, Role.DISTRICT_ADMIN]
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

    async def run(tx: Transaction) -> Case:
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
            fresh = await copy_repo.add_watcher(
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
            if fresh:
                await more_voices(tx, case, address_of(assignee), assignee, now)
        return moved

    return await acting(db, run)  # and draws its card


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

    async def run(tx: Transaction) -> Case:
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
            await mediation_repo.save_mediation(tx, record)
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

    return await acting(db, run)  # and draws its card


async def give_back(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int | None, reason: str
) -> Case:
    """退回 (by the assignee): hand the case back to the admins, with a reason."""
    now = to_db(clock.now())
    why = _text(reason)

    async def run(tx: Transaction) -> Case:
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

    return await acting(db, run)  # and draws its card


async def note(db: Database, clock: Clock, actor: Member, case_id: int, text: str) -> int:
    """备注: an internal note; handlers and the assignee see it, the reporter never does."""
    now = to_db(clock.now())
    body = _text(text)

    async def run(tx: Transaction) -> int:
        case = await _load(tx, case_id, None)
        await _check(tx, case, actor, Act.NOTE)
        event_id = await case_repo.add_event(
            tx, case.id, at=now, actor_id=actor.id, kind="note", data={"text": body}, internal=True
        )
        await _refresh_copies(tx, case, event_id, now)
        return event_id

    return await db.run_transaction(run)


async def may_note(db: Database, actor: Member, case_id: int) -> bool:
    """Whether ``actor`` may add a note to the case as it is now."""
    case = await case_repo.get(db, case_id)
    return case is not None and allowed(case.status, Act.NOTE, await parts_of(db, actor, case))


async def confirm(db: Database, clock: Clock, actor: Member, case_id: int, version: int) -> Case:
    """已解决: the reporter confirms the fix; the case closes and asks for a rating."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Case:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.CONFIRM)
        moved, event_id = await _commit(
            tx, case, actor, "confirmed", now, status="closed", closed_at=now
        )
        await _tell_reporter(tx, moved, event_id, "closed", now, by_reporter=True)
        return moved

    return await db.run_transaction(run)


def closing_shown(clock: Clock, case: Case) -> Statement:
    """The write saying the reporter was shown the closing of ``case`` and its rating
    question where they confirmed it: the message saying so that :func:`confirm` queued for
    them is then not sent (if it went already, they got it as well). For the update's save
    (``GridApplication.write_with_update``): lost in a crash, the message still goes."""
    return outbox_repo.settle_event_statement(
        reporter_key_parts(case.id), case.id, "confirmed", to_db(clock.now()), {"in_place": True}
    )


async def reopen(
    db: Database,
    clock: Clock,
    config: Config,
    actor: Member,
    case_id: int,
    version: int,
    reason: str,
    *,
    voice: tuple[str, int] | None = None,
) -> Case:
    """未解决: the reporter says it is not fixed; back to work, and the admins are told.

    The reason is typed, or spoken: ``voice`` (file id, seconds) is kept with the event
    and goes to the admins with their notice. The reporter's own answer tells them it
    reopened: no second message.
    """
    now = to_db(clock.now())
    why = "" if voice is not None and not reason else _text(reason)  # said, not typed
    spoken: dict[str, Any] = (
        {} if voice is None else {"voice": voice[0], "voice_duration": int(voice[1])}
    )

    async def run(tx: Transaction) -> Case:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.REOPEN)
        limits = config.sla.limits(case.category, case.urgent)
        moved, event_id = await _commit(
            tx,
            case,
            actor,
            "reopened",
            now,
            data={"reason": why, **spoken},
            status="in_progress",
            resolve_due=_due(clock, limits.resolve_minutes),
            resolved_at=None,
            verify_due=None,
            assignee_reminded=0,
        )
        await _tell_watchers(tx, moved, event_id, "reopened", now, reason=why, **spoken)
        return moved

    return await db.run_transaction(run)


async def rate(
    db: Database, clock: Clock, actor: Member, case_id: int, version: int, rating: Rating
) -> Case:
    """The reporter rates a closed case: 满意, 基本满意 or 不满意 (once)."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Case:
        case = await _load(tx, case_id, version)
        await _check(tx, case, actor, Act.RATE)
        if case.rating is not None:
            raise CaseRefused(Refusal.HANDLED, case)
        moved, _event = await _commit(
            tx, case, actor, "rated", now, data={"rating": rating.value}, rating=rating.value
        )
        return moved

    return await db.run_transaction(run)
