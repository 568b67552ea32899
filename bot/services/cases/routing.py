"""Routing: which admins answer for an area, and where a case belongs.

A case belongs to the reporter's community (社区/村). Its alerts go to the admins of
the area responsible for it now; if that area has no active admin, they go to the
nearest level above that has one, so an alert is never sent to nobody.
"""

from __future__ import annotations

from bot.services.grid import ADMIN_ROLE_AT_LEVEL, LEVEL, AreaKind
from storage import areas as area_repo
from storage import members as member_repo
from storage.areas import Area
from storage.db import Queryable
from storage.members import Member

COMMUNITY_LEVEL = 2


def community_id_of(id_path: str) -> int | None:
    """The id of the community (or village) in an area's id path, or None above that level."""
    ids = id_path.strip("/").split("/")
    return int(ids[COMMUNITY_LEVEL]) if len(ids) > COMMUNITY_LEVEL else None


async def admins_at(q: Queryable, area: Area) -> list[Member]:
    """The active admins appointed exactly at ``area`` (none below community level)."""
    role = ADMIN_ROLE_AT_LEVEL.get(LEVEL[AreaKind(area.kind)])
    if role is None:
        return []
    return await member_repo.at_areas(q, [area.id], [role.value])


async def responsible_admins(q: Queryable, area: Area) -> list[Member]:
    """The admins who answer for ``area``: its own, or those of the nearest level above."""
    current: Area | None = area
    while current is not None:
        found = await admins_at(q, current)
        if found:
            return found
        current = None if current.parent_id is None else await area_repo.get(q, current.parent_id)
    return []
