"""The permission rule: admins act on their area and below, never above or beside."""

from __future__ import annotations

import pytest

from bot.services.areas import resolve
from bot.services.grid import Role
from bot.services.invites import invitable_roles
from bot.services.permissions import Action, may
from storage.areas import Area
from storage.db import Database
from storage.members import Member


def member(area: Area, role: Role, *, active: bool = True) -> Member:
    return Member(
        id=1,
        tg_user_id=1,
        name="x",
        phone=None,
        role=role.value,
        area_id=area.id,
        work_id="YH-2026-00001",
        active=active,
        language="zh-CN",
        joined_at="2026-01-01T00:00:00Z",
        area_path=area.path,
        area_id_path=area.id_path,
        area_kind=area.kind,
    )


async def test_admins_act_on_their_area_and_below_only(district: Database) -> None:
    street = await resolve(district, "光明街道")
    community = await resolve(district, "光明街社区")
    beside = await resolve(district, "滨河社区")
    building = await resolve(district, "欣园小区1号楼")
    town = await resolve(district, "南陈屯镇")
    admin = member(community, Role.COMMUNITY_ADMIN)
    assert may(admin, Action.HANDLE_CASE, community)
    assert may(admin, Action.INVITE, building)
    assert not may(admin, Action.HANDLE_CASE, street), "above"
    assert not may(admin, Action.HANDLE_CASE, beside), "beside"
    assert not may(admin, Action.HANDLE_CASE, town), "elsewhere"
    assert not may(admin, Action.REPORT, building), "admins do not report"
    assert not may(admin, Action.MANAGE_AREAS, community)
    street_admin = member(street, Role.STREET_ADMIN)
    assert may(street_admin, Action.HANDLE_CASE, beside)
    assert not may(street_admin, Action.HANDLE_CASE, town)


async def test_leaders_and_inactive_members(district: Database) -> None:
    building = await resolve(district, "欣园小区1号楼")
    unit = await resolve(district, "欣园小区1号楼/1单元")
    other = await resolve(district, "欣园小区2号楼")
    leader = member(building, Role.BUILDING_LEADER)
    assert may(leader, Action.REPORT, unit)
    assert not may(leader, Action.REPORT, other)
    assert not may(leader, Action.HANDLE_CASE, building)
    assert not may(leader, Action.INVITE, unit)
    assert not may(member(building, Role.BUILDING_LEADER, active=False), Action.REPORT, building)
    assert not may(None, Action.REPORT, building)


async def test_district_admin_manages_areas(district: Database) -> None:
    root = await resolve(district, "运河区")
    assert may(member(root, Role.DISTRICT_ADMIN), Action.MANAGE_AREAS, root)


@pytest.mark.parametrize(
    ("place", "role", "expected"),
    [
        (
            "光明街社区",
            Role.COMMUNITY_ADMIN,
            {
                "community_admin",
                "building_leader",
                "building_assistant",
                "group_leader",
                "group_assistant",
            },
        ),
        ("光明街道", Role.STREET_ADMIN, {r.value for r in Role} - {"district_admin"}),
        ("运河区", Role.DISTRICT_ADMIN, {r.value for r in Role}),
        ("欣园小区1号楼", Role.BUILDING_LEADER, set()),
    ],
)
async def test_who_may_invite_whom(
    district: Database, place: str, role: Role, expected: set[str]
) -> None:
    area = await resolve(district, place)
    assert {r.value for r in invitable_roles(member(area, role))} == expected
