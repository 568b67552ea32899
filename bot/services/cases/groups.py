"""Group chats bound to an area (绑定群): binding and unbinding, by the admins who may."""

from __future__ import annotations

from bot.clock import Clock
from bot.services.permissions import Action, may
from storage import areas as area_repo
from storage import group_chats as group_repo
from storage.areas import Area
from storage.db import Database, Transaction
from storage.members import Member
from storage.times import to_db


class GroupRefused(Exception):
    """A group chat could not be bound or unbound."""


async def bind_group(db: Database, clock: Clock, admin: Member, chat_id: int) -> Area:
    """Bind a group chat to the admin's own area; its alerts then also go there.

    Only an admin of the area may; a group bound to another area moves only if the
    admin could unbind it from there too (else its admins would lose it to a stranger).
    """

    async def run(tx: Transaction) -> Area:
        area = await area_repo.get(tx, admin.area_id)
        if area is None or not may(admin, Action.BIND_GROUP, area):
            raise GroupRefused("not allowed")
        bound = await group_repo.group_area(tx, chat_id)
        if bound is not None and bound != area.id:
            before = await area_repo.get(tx, bound)
            if before is not None and not may(admin, Action.BIND_GROUP, before):
                raise GroupRefused("bound to another area")
        await group_repo.bind_group(tx, area.id, chat_id, admin.id, to_db(clock.now()))
        return area

    return await db.run_transaction(run)


async def unbind_group(db: Database, admin: Member, chat_id: int) -> Area | None:
    """Unbind a group chat; None if it was not bound. Only an admin over its area may."""

    async def run(tx: Transaction) -> Area | None:
        area_id = await group_repo.group_area(tx, chat_id)
        if area_id is None:
            return None
        area = await area_repo.get(tx, area_id)
        if area is None or not may(admin, Action.BIND_GROUP, area):
            raise GroupRefused("not allowed")
        await group_repo.unbind_group(tx, chat_id)
        return area

    return await db.run_transaction(run)


async def group_area(db: Database, chat_id: int) -> Area | None:
    """The area a group chat is bound to, or None."""
    area_id = await group_repo.group_area(db, chat_id)
    return None if area_id is None else await area_repo.get(db, area_id)
