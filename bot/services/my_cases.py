"""A reporter's own cases (/mycases): a page of them, newest first, and one case's timeline.

A reporter sees what happened to their case, when, and by whom as far as they
may know: themselves, the bot, or an admin by role (not by name). Internal notes
are never shown to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.cases.view import CaseView, case_view
from storage import areas as area_repo
from storage import cases as case_repo
from storage import members as member_repo
from storage.cases import Case
from storage.db import Database, Queryable
from storage.members import Member
from storage.times import from_db

PAGE_SIZE = 5
SELF = "self"  # the reporter themselves
SYSTEM = "system"  # the bot (sweeps, escalation by time)


@dataclass(frozen=True)
class CasePage:
    """One page of a reporter's cases."""

    cases: list[Case]
    page: int  # from 0
    pages: int
    total: int


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a case as its reporter sees it."""

    at: str
    kind: str
    to_status: str | None
    actor: str  # SELF, SYSTEM, or the role of the member who acted
    data: dict[str, Any]
    area: str | None = None  # the name of the office the event names (督办, 接管, 退回)


@dataclass(frozen=True)
class Timeline:
    """A case with everything that happened to it that its reporter may see."""

    view: CaseView
    entries: list[TimelineEntry]


async def page_of(q: Queryable, member: Member, page: int) -> CasePage:
    """Page ``page`` (from 0, clamped to the pages there are) of ``member``'s cases."""
    total = await case_repo.count_of_reporter(q, member.id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    cases = await case_repo.of_reporter(q, member.id, PAGE_SIZE, page * PAGE_SIZE)
    return CasePage(cases=cases, page=page, pages=pages, total=total)


async def read_page(db: Database, member: Member, page: int) -> CasePage:
    """:func:`page_of`, its count and its rows in one trip to the database's thread."""
    return await db.run_reads(lambda q: page_of(q, member, page), snapshot=False)


async def read_timeline(db: Database, member: Member, case_id: int) -> Timeline | None:
    """:func:`timeline`, all its reads in one trip to the database's thread."""
    return await db.run_reads(lambda q: timeline(q, member, case_id), snapshot=False)


async def timeline(q: Queryable, member: Member, case_id: int) -> Timeline | None:
    """Case ``case_id`` and its events, if ``member`` reported it; None otherwise."""
    view = await case_view(q, case_id)
    if view is None or view.case.reporter_id != member.id:
        return None
    roles: dict[int, str] = {}
    areas: dict[int, str | None] = {}
    entries: list[TimelineEntry] = []
    for event in await case_repo.events(q, case_id, include_internal=False):
        if event.actor_id is None:
            actor = SYSTEM
        elif event.actor_id == member.id:
            actor = SELF
        else:
            if event.actor_id not in roles:
                someone = await member_repo.get(q, event.actor_id)
                roles[event.actor_id] = someone.role if someone is not None else SYSTEM
            actor = roles[event.actor_id]
        area_id = event.data.get("area")
        if isinstance(area_id, int) and area_id not in areas:
            found = await area_repo.get(q, area_id)
            areas[area_id] = found.name if found is not None else None
        entries.append(
            TimelineEntry(
                at=event.at,
                kind=event.kind,
                to_status=event.to_status,
                actor=actor,
                data=event.data,
                area=areas.get(area_id) if isinstance(area_id, int) else None,
            )
        )
    return Timeline(view=view, entries=entries)


def minutes_since(clock: Clock, stamp: str) -> int:
    """Whole minutes from the stored time ``stamp`` until now (never negative)."""
    return max(0, int((clock.now() - from_db(stamp)).total_seconds() // 60))


def local_time(stamp: str, tz: ZoneInfo) -> str:
    """A stored time as people there read it: '06-13 09:30'."""
    return from_db(stamp).astimezone(tz).strftime("%m-%d %H:%M")
