"""Who plays which part on a case: handler, upper level, supervisor (督办), assignee,
reporter; for a member and for a bound group chat, and who may see a case at all."""

from __future__ import annotations

from bot.services.cases.rules import Who
from bot.services.grid import is_admin
from bot.services.permissions import Action, may
from storage import areas as area_repo
from storage import group_chats as group_repo
from storage.areas import Area
from storage.cases import Case
from storage.db import Queryable
from storage.members import Member


def supervisor_ids(case: Case, responsible: Area) -> list[int]:
    """The areas supervising the case (督办), from the highest down to the nearest."""
    above = responsible.ancestor_ids
    count = min(case.escalations, len(above))
    return above[len(above) - count :] if count else []


def at_top(case: Case, responsible: Area) -> bool:
    """Whether no level is left to add as a supervisor (the district supervises or handles)."""
    return case.escalations >= len(responsible.ancestor_ids)


async def parts_of(
    q: Queryable, member: Member | None, case: Case, *, responsible: Area | None = None
) -> frozenset[Who]:
    """The parts ``member`` plays on ``case`` (none for an inactive member; BOT for None).

    ``responsible`` is the case's responsible area when the caller holds it already (a
    card does), so it is not read again.
    """
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
        if responsible is None or responsible.id != case.responsible_area_id:
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


async def group_parts(
    q: Queryable, case: Case, chat_id: int, *, responsible: Area | None = None
) -> frozenset[Who]:
    """The parts a bound group chat plays on a case (for its buttons; pressers are checked).

    ``responsible`` as for :func:`parts_of`.
    """
    area_id = await group_repo.group_area(q, chat_id)
    area = None if area_id is None else await area_repo.get(q, area_id)
    if responsible is None or responsible.id != case.responsible_area_id:
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
