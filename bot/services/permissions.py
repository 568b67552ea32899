"""Who may do what, where: the one permission rule of the grid.

Admins act on their own area and everything below it, never above or beside it.
Leaders and assistants act for their own building or village group. A member who
is inactive may do nothing. Every handler asks :func:`may` before acting, whatever
a button claims.
"""

from __future__ import annotations

from enum import StrEnum

from bot.services.grid import Role, is_admin, is_leader
from storage.areas import Area
from storage.members import Member


class Action(StrEnum):
    """Things a member can ask the bot to do to an area."""

    REPORT = "report"  # 上报 a case
    LOG_DUTY = "log_duty"  # 政策宣讲, 巡逻打卡
    VIEW_CASES = "view_cases"
    HANDLE_CASE = "handle_case"  # accept, reject, assign, resolve, escalate, note
    INVITE = "invite"
    SCHEDULE_MEETING = "schedule_meeting"
    SEND_NOTICE = "send_notice"
    VIEW_STATS = "view_stats"
    EXPORT = "export"
    BIND_GROUP = "bind_group"  # bind an admins' group chat to the area
    MANAGE_AREAS = "manage_areas"  # change the area tree


LEADER_ACTIONS = frozenset({Action.REPORT, Action.LOG_DUTY})
ADMIN_ACTIONS = frozenset(
    {
        Action.VIEW_CASES,
        Action.HANDLE_CASE,
        Action.INVITE,
        Action.SCHEDULE_MEETING,
        Action.SEND_NOTICE,
        Action.VIEW_STATS,
        Action.EXPORT,
        Action.BIND_GROUP,
    }
)


def within(member: Member, area: Area) -> bool:
    """Whether ``area`` is the member's own area or below it."""
    return area.id_path.startswith(member.area_id_path)


def may(member: Member | None, action: Action, area: Area) -> bool:
    """Whether ``member`` may do ``action`` to ``area``."""
    if member is None or not member.active or not within(member, area):
        return False
    if action is Action.MANAGE_AREAS:
        return member.role == Role.DISTRICT_ADMIN
    if action in LEADER_ACTIONS:
        return is_leader(member.role)
    if action in ADMIN_ACTIONS:
        return is_admin(member.role)
    return False
