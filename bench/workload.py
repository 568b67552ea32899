"""The mixed workload of the dispatch benchmark: what leaders and admins do all day.

Each round, every leader goes through their flows and every admin through theirs,
each step a real update through the real Application. Flows are added here as the
bot grows; ``describe()`` says what a round holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.offline.harness import OfflineBot
from bot.offline.standin import UserClient
from bot.services.grid import Role

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
            f"{len(self.leaders)} leaders each reporting a case (5 steps), asking for help,"
            f" switching language twice, and confirming and rating the fix;"
            f" {len(self.admins)} admins each making an invite by buttons, one per community"
            " accepting and resolving every case (4 steps)"
        )

    async def warm_up(self) -> None:
        """One untimed pass, so imports and caches are warm."""
        await self.round()

    async def round(self) -> None:
        """Every person runs their flows once.

        HOOK (lead): members answering meeting reminders (参加/请假) are not in the
        round yet; add them here (and to :meth:`describe`).
        """
        for leader in self.leaders:
            await leader.send("/help")
            await leader.send("/lang")
            await leader.press("English")
            await leader.send("/lang")
            await leader.press("中文")
            await report(leader, f"{leader.user.first_name}：门口垃圾三天没清运")
        for admin in self.admins:
            await admin.send("/invite")
            await admin.press("楼门长")
            await admin.press(
                "📂 滨河龙韵西区1号楼" if "滨河" in admin.user.first_name else "📂 欣园小区1号楼"
            )
            await admin.press("✅ 选择")
        # One admin per community handles every case of the round; the others' copies of
        # each alert are edited in place as the case moves.
        handlers = {admin.user.first_name.split("管理员")[0]: admin for admin in self.admins}
        for admin in handlers.values():
            while any("✅ 受理" in row for m in admin.messages for row in admin.buttons(m)):
                await admin.press("✅ 受理")
                await admin.press("🏁 办结")
                await admin.send("已清运，并提醒居民按时投放")
                await admin.press("跳过")
        for leader in self.leaders:
            await leader.press("👍 已解决")
            await leader.press("满意")


async def report(leader: UserClient, description: str) -> None:
    """A full /report: category, kind, description, submit (the summary holds the rest)."""
    await leader.send("/report")
    await leader.press("环境卫生")
    await leader.press("垃圾堆积")
    await leader.send(description)
    await leader.press("✅ 提交")


async def build_workload(bot: OfflineBot, leaders: int) -> Workload:
    """Register ``leaders`` leaders and one admin per ten leaders (at least one a community)."""
    workload = Workload()
    for n in range(leaders):
        person = await bot.member(f"楼长{n}", Role.BUILDING_LEADER, BUILDINGS[n % len(BUILDINGS)])
        workload.leaders.append(person.client)
    for n in range(max(len(COMMUNITIES), leaders // 10)):
        community = COMMUNITIES[n % len(COMMUNITIES)]
        person = await bot.member(f"{community}管理员{n}", Role.COMMUNITY_ADMIN, community)
        workload.admins.append(person.client)
    return workload
