"""The statistics tests' district: a month of cases and duties in 滨河社区 and 光明街社区."""

from __future__ import annotations

from datetime import date

from bot.offline.harness import OfflineBot, Person
from bot.services import cases as case_service
from bot.services import duties
from bot.services.cases import Rating, RejectReason
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report, open_case

TODAY = date(2026, 6, 13)  # the FakeClock's day, in Asia/Shanghai


class District:
    """The demo district with people and a month of cases in 滨河社区 and 光明街社区."""

    def __init__(self, gridbot: OfflineBot) -> None:
        self.bot = gridbot

    async def setup(self) -> District:
        bot = self.bot
        self.leader = await bot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
        self.helper = await bot.member("陈静", Role.BUILDING_ASSISTANT, "滨河龙韵西区2号楼")
        self.other_leader = await bot.member("刘洋", Role.BUILDING_LEADER, "欣园小区1号楼")
        self.admin = await bot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
        self.other_admin = await bot.member("孙丽", Role.COMMUNITY_ADMIN, "光明街社区")
        self.street = await bot.member("王强", Role.STREET_ADMIN, "光明街道")
        self.district = await bot.member("周区", Role.DISTRICT_ADMIN, "运河区")
        return self

    async def report(
        self, who: Person, category: Category, kind: str, key: str, *, anonymous: bool = False
    ) -> int:
        assert who.member is not None
        opened = await open_case(
            self.bot.db,
            self.bot.clock,
            self.bot.config,
            who.member,
            Report(
                category=category,
                subcategory=kind,
                description=f"情况{key}",
                anonymous=anonymous,
            ),
            idempotency_key=key,
        )
        return opened.case.id

    async def version(self, case_id: int) -> int:
        return int(await self.bot.db.fetchval("SELECT version FROM cases WHERE id = ?", (case_id,)))

    async def month(self) -> dict[str, int]:
        """滨河社区: 4 cases (closed and rated, rejected, reopened, escalated); 光明街社区: 1."""
        bot, db, clock, config = self.bot, self.bot.db, self.bot.clock, self.bot.config
        admin = self.admin.member
        leader = self.leader.member
        assert admin is not None and leader is not None
        ids: dict[str, int] = {}
        ids["closed"] = await self.report(self.leader, Category.SANITATION, "garbage", "k1")
        clock.advance(hours=1)
        await case_service.accept(
            db, clock, admin, ids["closed"], await self.version(ids["closed"])
        )
        clock.advance(hours=2)
        await case_service.resolve(
            db, clock, config, admin, ids["closed"], await self.version(ids["closed"]), "已清运"
        )
        await case_service.confirm(
            db, clock, leader, ids["closed"], await self.version(ids["closed"])
        )
        await case_service.rate(
            db, clock, leader, ids["closed"], await self.version(ids["closed"]), Rating.SATISFIED
        )
        ids["rejected"] = await self.report(self.leader, Category.SANITATION, "garbage", "k2")
        await case_service.reject(
            db, clock, admin, ids["rejected"], await self.version(ids["rejected"]),
            RejectReason.DUPLICATE,
        )  # fmt: skip
        ids["reopened"] = await self.report(self.helper, Category.SAFETY, "ebike", "k3")
        await case_service.accept(
            db, clock, admin, ids["reopened"], await self.version(ids["reopened"])
        )
        await case_service.resolve(
            db, clock, config, admin, ids["reopened"], await self.version(ids["reopened"]), "已劝离"
        )
        await case_service.reopen(
            db, clock, config, self.helper.member,  # the reporter
            ids["reopened"], await self.version(ids["reopened"]), "电动车又回来了",
        )  # fmt: skip
        ids["escalated"] = await self.report(
            self.leader, Category.OPINION, "other", "k4", anonymous=True
        )
        await case_service.note(db, clock, admin, ids["escalated"], "内部：先别告诉居民")
        await case_service.escalate(
            db,
            clock,
            config,
            admin,
            ids["escalated"],
            await self.version(ids["escalated"]),
            reason="需要街道协调",
        )
        ids["other"] = await self.report(self.other_leader, Category.SANITATION, "garbage", "k5")
        await duties.log_outreach(db, clock, leader, "anti_fraud", 20, "o1")
        await duties.check_in(db, clock, leader)
        await bot.run_due_jobs()
        return ids
