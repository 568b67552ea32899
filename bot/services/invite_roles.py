"""Which roles an admin can invite, and where: only roles that fit an area of their tree.

An urban community has buildings, so it is offered 楼门长/楼门长助理; a village has
village groups, so 村民小组长/村民小组长助理; admin roles as the admin's level allows.
A role with no area of its kind in the admin's area and below is not offered at all
(offering it led to an empty area picker, which Telegram refuses).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.areas import children_with_counts
from bot.services.grid import Role, role_fits
from bot.services.invites import invitable_roles
from storage import areas as area_repo
from storage.areas import Area
from storage.db import Database, Queryable, Transaction
from storage.members import Member


@dataclass(frozen=True)
class RoleTargets:
    """For one role, the id paths of the areas it may be appointed to, below an admin."""

    role: Role
    paths: tuple[str, ...]

    def fits(self, area: Area) -> bool:
        """Whether ``area`` is a valid choice for the role."""
        return area.id_path in self.paths

    def leads_to_fit(self, area: Area) -> bool:
        """Whether some valid choice lies strictly below ``area``."""
        return any(p != area.id_path and p.startswith(area.id_path) for p in self.paths)


async def targets(q: Queryable, admin: Member, role: Role) -> RoleTargets:
    """Where ``admin`` may appoint someone with ``role``: their area and below, of its kind."""
    home = await area_repo.get(q, admin.area_id)
    if home is None or role not in invitable_roles(admin):
        return RoleTargets(role, ())
    below = await area_repo.subtree(q, home)
    return RoleTargets(role, tuple(a.id_path for a in below if role_fits(role, a.kind)))


async def offered_roles(q: Queryable, admin: Member) -> list[Role]:
    """The roles to offer ``admin`` in /invite: those with somewhere to appoint them."""
    home = await area_repo.get(q, admin.area_id)
    if home is None:
        return []
    kinds = {a.kind for a in await area_repo.subtree(q, home)}
    return [r for r in invitable_roles(admin) if any(role_fits(r, kind) for kind in kinds)]


@dataclass(frozen=True)
class PickerView:
    """What the invite's area picker shows at one area: where the role may be appointed,
    and the areas directly below, each with how many areas are below it."""

    where: RoleTargets
    children: list[tuple[Area, int]]


async def picker_view(db: Database, admin: Member, role: Role, area_id: int) -> PickerView:
    """The picker at ``area_id`` for ``admin`` inviting ``role``, read in one trip."""

    async def reads(q: Transaction) -> PickerView:
        return PickerView(await targets(q, admin, role), await children_with_counts(q, area_id))

    return await db.run_reads(reads, snapshot=False)
