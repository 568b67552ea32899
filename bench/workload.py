"""The mixed workload of the dispatch benchmark: what leaders and admins do all day.

Each round, every leader goes through their flows and every admin through theirs,
each step a real update through the real Application. Flows are added here as the
bot grows; ``describe()`` says what a round holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.offline import OfflineBot
from bot.services.grid import Role
from bot.standin import UserClient

BUILDINGS = ("滨河龙韵西区1号楼", "滨河龙韵西区2号楼", "欣园小区1号楼", "欣园小区2号楼")
COMMUNITIES = ("滨河社区", "光明街社区")


@dataclass
class Workload:
    """People and the flows they run each round."""

    leaders: list[UserClient] = field(default_factory=list)
    admins: list[UserClient] = field(default_factory=list)
    statements: int = 0  # SQL statements the timed rounds ran (set by the benchmark)
    requests: int = 0  # Bot API requests the bot made in the timed rounds (likewise)

    def clients(self) -> Iterator[UserClient]:
        """Everyone taking part."""
        yield from self.leaders
        yield from self.admins

    def describe(self) -> str:
        """What one round holds."""
        return (
            f"{len(self.leaders)} leaders each asking for help and switching language twice, "
            f"{len(self.admins)} admins each making an invite by buttons"
        )

    async def warm_up(self) -> None:
        """One untimed pass, so imports and caches are warm."""
        await self.round()

    async def round(self) -> None:
        """Every person runs their flows once.

        HOOK (lead): the issue's workload is leaders each completing a full /report,
        admins accepting and resolving cases from /cases, and members answering meeting
        reminders. Add those flows here (and to :meth:`describe`) once reporting, case
        handling and meetings are merged; help and language stay as the light part.
        """
        for leader in self.leaders:
            await leader.send("/help")
            await leader.send("/lang")
            await leader.press("English")
            await leader.send("/lang")
            await leader.press("中文")
        for admin in self.admins:
            await admin.send("/invite")
            await admin.press("楼门长")
            await admin.press(
                "📂 滨河龙韵西区1号楼" if "滨河" in admin.user.first_name else "📂 欣园小区1号楼"
            )
            await admin.press("✅ 选择")


async def build_workload(bot: OfflineBot, leaders: int) -> Workload:
    """Register ``leaders`` leaders and one admin per ten leaders."""
    workload = Workload()
    for n in range(leaders):
        person = await bot.member(f"楼长{n}", Role.BUILDING_LEADER, BUILDINGS[n % len(BUILDINGS)])
        workload.leaders.append(person.client)
    for n in range(max(1, leaders // 10)):
        community = COMMUNITIES[n % len(COMMUNITIES)]
        person = await bot.member(f"{community}管理员{n}", Role.COMMUNITY_ADMIN, community)
        workload.admins.append(person.client)
    return workload
