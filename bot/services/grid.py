"""The shape of the grid: kinds of area, their levels, and the roles people hold.

一网: district (区) > street office or town (街道/镇) > community or village (社区/村)
> building or village group (楼栋/村民小组) > stairwell unit (单元).
"""

from __future__ import annotations

from enum import StrEnum


class AreaKind(StrEnum):
    """What an area is."""

    DISTRICT = "district"  # 区
    STREET = "street"  # 街道
    TOWN = "town"  # 镇
    COMMUNITY = "community"  # 社区
    VILLAGE = "village"  # 村
    BUILDING = "building"  # 楼栋
    GROUP = "group"  # 村民小组
    UNIT = "unit"  # 单元


LEVEL: dict[AreaKind, int] = {
    AreaKind.DISTRICT: 0,
    AreaKind.STREET: 1,
    AreaKind.TOWN: 1,
    AreaKind.COMMUNITY: 2,
    AreaKind.VILLAGE: 2,
    AreaKind.BUILDING: 3,
    AreaKind.GROUP: 3,
    AreaKind.UNIT: 4,
}

# Which kinds may sit directly below which: a village group under a village,
# a building under a community, a unit under a building.
PARENT_KINDS: dict[AreaKind, frozenset[AreaKind]] = {
    AreaKind.DISTRICT: frozenset(),
    AreaKind.STREET: frozenset({AreaKind.DISTRICT}),
    AreaKind.TOWN: frozenset({AreaKind.DISTRICT}),
    AreaKind.COMMUNITY: frozenset({AreaKind.STREET, AreaKind.TOWN}),
    AreaKind.VILLAGE: frozenset({AreaKind.STREET, AreaKind.TOWN}),
    AreaKind.BUILDING: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    AreaKind.GROUP: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    AreaKind.UNIT: frozenset({AreaKind.BUILDING}),
}

# Names operators may use for kinds in an area file, besides the English keys.
KIND_ALIASES: dict[str, AreaKind] = {
    "区": AreaKind.DISTRICT,
    "街道": AreaKind.STREET,
    "镇": AreaKind.TOWN,
    "乡": AreaKind.TOWN,
    "社区": AreaKind.COMMUNITY,
    "村": AreaKind.VILLAGE,
    "楼栋": AreaKind.BUILDING,
    "楼": AreaKind.BUILDING,
    "村民小组": AreaKind.GROUP,
    "小组": AreaKind.GROUP,
    "单元": AreaKind.UNIT,
}


class Role(StrEnum):
    """What a member is in the grid."""

    BUILDING_LEADER = "building_leader"  # 楼门长
    BUILDING_ASSISTANT = "building_assistant"  # 楼门长助理
    GROUP_LEADER = "group_leader"  # 村民小组长
    GROUP_ASSISTANT = "group_assistant"  # 村民小组长助理
    COMMUNITY_ADMIN = "community_admin"  # 社区/村 staff
    STREET_ADMIN = "street_admin"  # 街道/镇 staff
    DISTRICT_ADMIN = "district_admin"  # 区 staff


LEADER_ROLES = frozenset(
    {Role.BUILDING_LEADER, Role.BUILDING_ASSISTANT, Role.GROUP_LEADER, Role.GROUP_ASSISTANT}
)
ADMIN_ROLES = frozenset({Role.COMMUNITY_ADMIN, Role.STREET_ADMIN, Role.DISTRICT_ADMIN})

# The kinds of area each role is appointed to.
ROLE_AREA_KINDS: dict[Role, frozenset[AreaKind]] = {
    Role.BUILDING_LEADER: frozenset({AreaKind.BUILDING, AreaKind.UNIT}),
    Role.BUILDING_ASSISTANT: frozenset({AreaKind.BUILDING, AreaKind.UNIT}),
    Role.GROUP_LEADER: frozenset({AreaKind.GROUP}),
    Role.GROUP_ASSISTANT: frozenset({AreaKind.GROUP}),
    Role.COMMUNITY_ADMIN: frozenset({AreaKind.COMMUNITY, AreaKind.VILLAGE}),
    Role.STREET_ADMIN: frozenset({AreaKind.STREET, AreaKind.TOWN}),
    Role.DISTRICT_ADMIN: frozenset({AreaKind.DISTRICT}),
}

# The admin role at each level, used to find who is responsible for an area.
ADMIN_ROLE_AT_LEVEL: dict[int, Role] = {
    0: Role.DISTRICT_ADMIN,
    1: Role.STREET_ADMIN,
    2: Role.COMMUNITY_ADMIN,
}


def parse_kind(text: str) -> AreaKind:
    """An area kind from its English key or Chinese name; ValueError if unknown."""
    text = text.strip()
    if text in KIND_ALIASES:
        return KIND_ALIASES[text]
    return AreaKind(text.lower())


def is_admin(role: str) -> bool:
    """Whether ``role`` is one of the admin roles."""
    return role in ADMIN_ROLES


def is_leader(role: str) -> bool:
    """Whether ``role`` is a building or village-group leader or assistant."""
    return role in LEADER_ROLES


def role_fits(role: Role, kind: str) -> bool:
    """Whether someone with ``role`` can be appointed to an area of ``kind``."""
    return AreaKind(kind) in ROLE_AREA_KINDS[role]
