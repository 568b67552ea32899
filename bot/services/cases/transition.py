"""The one step every case action runs through, in one transaction: load the case at
the version the button showed, check the transition table lets this member take the
action now, write the change and its event, and queue the edit of every copy.

A refusal (:class:`CaseRefused`) says why, for the short answer to the person."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.services.cases.alerts import _refresh_copies
from bot.services.cases.parts import parts_of
from bot.services.cases.rules import Act, Status, Who, allowed
from storage import areas as area_repo
from storage import cases as case_repo
from storage.areas import Area
from storage.cases import Case
from storage.db import Queryable, Transaction
from storage.members import Member
from storage.times import to_db

MAX_TEXT = 1000  # a resolution, note or reason longer than this is refused


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
    moved = await case_repo.update_case(tx, case.id, case.version, now, **changes)
    if moved is None:
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
    # The row as the update left it: the event's trigger changes no column of a Case.
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
