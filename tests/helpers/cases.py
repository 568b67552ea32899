"""A case reported by a building leader, and pressed through its handling."""

from __future__ import annotations

from bot.offline.harness import OfflineBot, Person
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Opened, Report, open_case


async def people(gridbot: OfflineBot) -> tuple[Person, Person, Person]:
    """The leader who reports and the two admins of their community: (leader, admin, other)."""
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    other = await gridbot.member("赵刚", Role.COMMUNITY_ADMIN, "滨河社区")
    return leader, admin, other


async def open_report(gridbot: OfflineBot, reporter: Person, report: Report, *, key: str) -> Opened:
    """Open ``report`` as ``reporter``'s case, as 提交 in /report does; the alerts are queued,
    not yet delivered (``gridbot.run_due_jobs()`` delivers them)."""
    assert reporter.member is not None
    return await open_case(
        gridbot.db, gridbot.clock, gridbot.config, reporter.member, report, idempotency_key=key
    )


async def report(
    gridbot: OfflineBot,
    leader: Person,
    *,
    category: Category = Category.SANITATION,
    kind: str = "garbage",
    urgent: bool = False,
    key: str = "d1",
) -> int:
    """Open a case for ``leader`` (as the report flow does), deliver its alerts; its id."""
    opened = await open_report(
        gridbot,
        leader,
        Report(category=category, subcategory=kind, description="垃圾堆在楼下", urgent=urgent),
        key=key,
    )
    await gridbot.run_due_jobs()
    return opened.case.id


async def status(gridbot: OfflineBot, case_id: int) -> str:
    """The case's status as stored."""
    return str(await gridbot.db.fetchval("SELECT status FROM cases WHERE id = ?", (case_id,)))


async def resolve(gridbot: OfflineBot, admin: Person, text: str = "已清运") -> None:
    """``admin`` resolves the case on their last card, with ``text`` and no photo."""
    await admin.client.press("🏁 办结")
    await admin.client.send(text)
    await admin.client.press("跳过")


async def escalate_by_hand(admin: Person, reason: str = "需要街道协调") -> None:
    """``admin`` escalates the case on their last card, giving ``reason``."""
    await admin.client.press("⬆️ 升级")
    await admin.client.press("⬆️ 确认升级")
    await admin.client.send(reason)


async def report_by_menu(gridbot: OfflineBot, leader: Person, text: str = "垃圾没人清运") -> None:
    """``leader`` reports garbage through 📝 上报问题 and 提交, and the alerts are delivered."""
    await leader.client.send("📝 上报问题")
    await leader.client.press("环境卫生")
    await leader.client.press("垃圾堆积")
    await leader.client.send(text)
    await leader.client.press("✅ 提交")
    await gridbot.run_due_jobs()
