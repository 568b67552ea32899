"""Reading cases: one case, an admin's lists, an assignee's to-do list, the history,
what last moved it; and the checks a typed step makes before it asks its question."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.services.cases.parts import may_see
from bot.services.cases.rules import OPEN, Act, Status, stage_due
from bot.services.cases.rules import is_overdue as _overdue
from bot.services.cases.transition import CaseRefused, Refusal, _check, _load
from storage import areas as area_repo
from storage import cases as case_repo
from storage import mediations as mediation_repo
from storage import members as member_repo
from storage.areas import Area
from storage.cases import Case, CaseFilter
from storage.db import Database, Queryable, Transaction
from storage.mediations import Mediation
from storage.members import Member
from storage.times import to_db

CLOSED = frozenset({Status.CLOSED, Status.REJECTED})
# Lists count their cases up to this many; beyond it they say "more than" (see
# storage.cases.count_open_cases) and page on without a last page.
COUNT_CAP = 1000


@dataclass(frozen=True)
class CasePage:
    """One page of an admin's list."""

    cases: list[Case]
    total: int  # how many the list holds, counted up to ``cap`` + 1
    more: bool  # whether a page follows this one
    cap: int  # where counting stopped (COUNT_CAP)

    @property
    def total_known(self) -> bool:
        """Whether ``total`` is the whole count (not cut at ``cap``)."""
        return self.total <= self.cap


async def get(db: Queryable, case_id: int) -> Case | None:
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
) -> CasePage:
    """A page of the admin's area's cases: open ones oldest first, finished ones newest first.

    Open ones (the lifecycle's definition) unless ``closed``; one status if given; a
    number (or its tail) to find one case. The page is the one after the case ``after``
    or before the case ``before`` (keyset paging), else the first.
    """
    if status is not None:
        statuses: tuple[str, ...] = (status,)
    else:
        statuses = tuple(sorted(CLOSED if closed else OPEN))
    filt = CaseFilter(admin.area_id_path, statuses, category, number, newest_first=closed)
    cap = COUNT_CAP

    async def reads(q: Transaction) -> CasePage:
        total = await case_repo.count_open_cases(q, filt, cap)
        if before is not None:
            # Read back towards the start: the page the list came from follows this one.
            found = await case_repo.open_cases(q, filt, per_page, before=before)
            return CasePage(found, total, more=True, cap=cap)
        # One more than the page, to know whether another follows without counting.
        found = await case_repo.open_cases(q, filt, per_page + 1, after=after)
        return CasePage(found[:per_page], total, more=len(found) > per_page, cap=cap)

    # The count and the page in one trip to the database's thread (no other writer of
    # this process runs meanwhile: see Database.run_reads).
    return await db.run_reads(reads, snapshot=False)


# The statuses of the cases in 我的待办: those assigned and still in the handling stage.
TODO_STATUSES = (Status.IN_PROGRESS.value,)


async def todo(db: Database, member: Member) -> list[Case]:
    """我的待办: the cases assigned to ``member`` still in the handling stage, soonest due first."""
    return await case_repo.assigned_to(db, member.id, TODO_STATUSES)


async def has_todo(db: Database, member: Member) -> bool:
    """Whether 我的待办 holds anything: as read with the member if it was
    (:attr:`Member.todo`), else asked."""
    if member.todo is not None:
        return member.todo
    return await case_repo.has_assigned(db, member.id, TODO_STATUSES)


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
    return await mediation_repo.mediation(db, case_id)


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
    if case.version != version or case.status != Status.RESOLVED:
        raise CaseRefused(Refusal.HANDLED, case)
    return case


async def check_see(db: Database, actor: Member, case_id: int) -> Case:
    """The case, if ``actor`` may see it; CaseRefused otherwise."""
    case = await _load(db, case_id, None)
    if not await may_see(db, actor, case):
        raise CaseRefused(Refusal.NOT_ALLOWED, case)
    return case
