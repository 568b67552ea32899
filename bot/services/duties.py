"""The duties that are logged, not reported: policy outreach (政策宣讲) and patrols (巡逻打卡).

Both are stored with the time, the member and their area, for the statistics. An
outreach is logged once per set of buttons (the buttons carry its key); a patrol
check-in pressed again within a few minutes is the same patrol; a location shared
soon after a check-in is attached to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.services.permissions import Action, may
from storage import areas as area_repo
from storage import duty_logs
from storage.areas import Area
from storage.db import Database, Queryable, Transaction
from storage.duty_logs import OutreachLog, PatrolLog
from storage.members import Member
from storage.times import from_db, to_db

# The topics of policy outreach offered as buttons (names: outreach.topic.<key>).
TOPICS: tuple[str, ...] = (
    "anti_fraud",  # 反诈宣传
    "fire_safety",  # 消防安全
    "health",  # 健康防疫
    "social_security",  # 养老医保
    "garbage_sorting",  # 垃圾分类
    "legal",  # 法律法规
    "other",
)
# Household counts offered as buttons: about how many were reached.
HOUSEHOLDS: tuple[int, ...] = (5, 10, 20, 30, 50, 100)
# A second check-in within this time is the same patrol (a double tap, a doubt).
PATROL_REPEAT = timedelta(minutes=10)
# A location shared within this time of a check-in belongs to it.
LOCATION_WINDOW = timedelta(hours=1)


class DutyRefused(Exception):
    """The member may not log duties (not a leader, or inactive)."""


@dataclass(frozen=True)
class Outreach:
    """An outreach log; ``created`` is False when these buttons had logged it already."""

    log: OutreachLog
    created: bool


@dataclass(frozen=True)
class Patrol:
    """A patrol check-in; ``created`` is False when it repeats a check-in of minutes ago."""

    log: PatrolLog
    created: bool


async def _home_checked(db: Database, member: Member) -> int:
    home = await area_repo.get(db, member.area_id)
    if home is None or not may(member, Action.LOG_DUTY, home):
        raise DutyRefused(f"member {member.id} may not log duties")
    return home.id


async def log_outreach(
    db: Database, clock: Clock, member: Member, topic: str, households: int, key: str
) -> Outreach:
    """Log that ``member`` explained ``topic`` to about ``households`` households, once per key."""
    if topic not in TOPICS or households not in HOUSEHOLDS:
        raise ValueError(f"no such outreach: {topic} {households}")
    area_id = await _home_checked(db, member)
    idempotency_key = f"outreach:{member.id}:{key}"
    at = to_db(clock.now())

    async def run(tx: Transaction) -> Outreach:
        created = await duty_logs.add_outreach(
            tx,
            member_id=member.id,
            area_id=area_id,
            topic=topic,
            households=households,
            at=at,
            idempotency_key=idempotency_key,
        )
        log = await duty_logs.outreach_by_key(tx, idempotency_key)
        assert log is not None
        return Outreach(log=log, created=created is not None)

    return await db.run_transaction(run)


async def check_in(db: Database, clock: Clock, member: Member) -> Patrol:
    """Log a patrol of ``member`` now, unless they checked in moments ago."""
    area_id = await _home_checked(db, member)
    now = clock.now()

    async def run(tx: Transaction) -> Patrol:
        last = await duty_logs.last_patrol(tx, member.id)
        if last is not None and now - from_db(last.at) < PATROL_REPEAT:
            return Patrol(log=last, created=False)
        patrol_id = await duty_logs.add_patrol(
            tx, member_id=member.id, area_id=area_id, at=to_db(now)
        )
        return Patrol(
            log=PatrolLog(patrol_id, member.id, area_id, to_db(now), None, None), created=True
        )

    return await db.run_transaction(run)


async def attach_location(
    db: Database, clock: Clock, member: Member, latitude: float, longitude: float
) -> PatrolLog | None:
    """Attach a location to the member's check-in of the last hour; None if there is none."""
    now = clock.now()

    async def run(tx: Transaction) -> PatrolLog | None:
        last = await duty_logs.last_patrol(tx, member.id)
        if last is None or now - from_db(last.at) > LOCATION_WINDOW:
            return None
        await duty_logs.set_patrol_location(tx, last.id, latitude, longitude)
        return PatrolLog(last.id, last.member_id, last.area_id, last.at, latitude, longitude)

    return await db.run_transaction(run)


@dataclass(frozen=True)
class DutyTotals:
    """What the leaders of an area logged in a period, for the statistics."""

    outreach: int  # outreach sessions logged
    households: int  # households reached by them, as the leaders estimated
    patrols: int


async def totals(q: Queryable, area: Area, since: datetime, until: datetime) -> DutyTotals:
    """The duty logs of ``area`` and everything below it, from ``since`` up to ``until``."""
    outreach, households, patrols = await duty_logs.totals(
        q, area.id_path, to_db(since), to_db(until)
    )
    return DutyTotals(outreach=outreach, households=households, patrols=patrols)
