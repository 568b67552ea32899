"""Members of the demo district, and invites and member rows read back."""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services.areas import resolve
from bot.services.grid import Role
from bot.services.invites import create_invite


async def leader(gridbot: OfflineBot) -> Person:
    """张思凯, building leader of 滨河龙韵西区1号楼."""
    return await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")


async def admin(gridbot: OfflineBot) -> Person:
    """李敏, community admin of 滨河社区."""
    return await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")


async def admin_leader_assistant(gridbot: OfflineBot) -> tuple[Person, Person, Person]:
    """Of 滨河社区: 李敏 (community admin), 张思凯 (leader, 1号楼), 王芳 (assistant, 2号楼)."""
    first = await admin(gridbot)  # in this order: ids and work ids follow it
    second = await leader(gridbot)
    third = await gridbot.member("王芳", Role.BUILDING_ASSISTANT, "滨河龙韵西区2号楼")
    return first, second, third


async def make_invite(gridbot: OfflineBot, role: Role, area: str, ttl_days: int = 14) -> str:
    """The code of a new invite for ``role`` in ``area``."""
    place = await resolve(gridbot.db, area)
    invite = await create_invite(
        gridbot.db, gridbot.clock, role=role, area=place, by=None, ttl_days=ttl_days
    )
    return invite.code


async def member_row(gridbot: OfflineBot, tg_user_id: int) -> dict[str, object] | None:
    """The member's row with their area's path, or None if they are not a member."""
    row = await gridbot.db.fetchone(
        "SELECT m.*, a.path FROM members m JOIN areas a ON a.id = m.area_id WHERE tg_user_id = ?",
        (tg_user_id,),
    )
    return None if row is None else dict(row)
