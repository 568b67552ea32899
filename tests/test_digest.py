"""The daily digest: new, closed and overdue cases of each admin's area; empty ones not sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.offline import OfflineBot
from bot.services.grid import Role
from storage.times import to_db


async def add_case(
    gridbot: OfflineBot,
    number: str,
    area: str,
    *,
    created: datetime,
    status: str = "new",
    closed: datetime | None = None,
    accept_due: datetime | None = None,
) -> None:
    area_id = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = ?", (area,))
    reporter = await gridbot.db.fetchval("SELECT min(id) FROM members")
    await gridbot.db.execute(
        "INSERT INTO cases (number, category, subcategory, reporter_id, community_id,"
        " responsible_area_id, status, accept_due, created_at, updated_at, closed_at)"
        " VALUES (?, 'sanitation', 'garbage', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            number,
            reporter,
            area_id,
            area_id,
            status,
            to_db(accept_due) if accept_due else None,
            to_db(created),
            to_db(created),
            to_db(closed) if closed else None,
        ),
    )


def digests(texts: list[str]) -> list[str]:
    return [text for text in texts if "每日简报" in text]


async def test_the_daily_digest_and_its_empty_case(gridbot: OfflineBot, clock: FakeClock) -> None:
    # 2026-06-13 07:59 local: the digest time (08:00) has not come
    clock_start = datetime(2026, 6, 13, 23, 59, tzinfo=UTC)
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    street = await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    other = await gridbot.member("孙丽", Role.COMMUNITY_ADMIN, "光明街社区")
    # today's (2026-06-13) digests: nothing happened yet, so none is sent
    await gridbot.run_due_jobs()
    assert digests(admin.client.texts()) == []
    assert await gridbot.db.fetchval("SELECT count(*) FROM digests WHERE sent = 0") == 3
    clock.set(clock_start)
    await add_case(
        gridbot, "YH-20260613-0001", "滨河社区", created=clock_start - timedelta(hours=3)
    )
    await add_case(
        gridbot,
        "YH-20260612-0007",
        "滨河龙韵西区1号楼",
        created=clock_start - timedelta(days=2),
        status="closed",
        closed=clock_start - timedelta(hours=2),
    )
    await add_case(
        gridbot,
        "YH-20260610-0003",
        "滨河社区",
        created=clock_start - timedelta(days=4),
        accept_due=clock_start - timedelta(days=3),
    )
    await gridbot.run_due_jobs()
    assert digests(admin.client.texts()) == []
    clock.advance(minutes=1)  # 08:00 local on 2026-06-14
    await gridbot.run_due_jobs()
    [text] = digests(admin.client.texts())
    assert "新案件：1 件　YH-20260613-0001" in text
    assert "已办结：1 件　YH-20260612-0007" in text
    assert "已超时未办：1 件　YH-20260610-0003" in text
    assert len(digests(street.client.texts())) == 1  # the street sees its communities
    assert digests(other.client.texts()) == []  # nothing in 光明街社区: not sent
    # once a day, across restarts
    clock.advance(hours=3)
    await gridbot.restart()
    await gridbot.run_due_jobs()
    assert len(digests(admin.client.texts())) == 1
    # the next day covers only what is new since (the overdue case is still overdue)
    clock.advance(days=1)
    await gridbot.run_due_jobs()
    latest = digests(admin.client.texts())[-1]
    assert "新案件：0 件" in latest and "已超时未办：1 件" in latest


async def test_digest_can_be_switched_off(gridbot: OfflineBot, clock: FakeClock) -> None:
    gridbot.config = gridbot.config.replace(**{"digest.enabled": False})
    await gridbot.restart()
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await add_case(gridbot, "YH-20260613-0001", "滨河社区", created=clock.now())
    clock.advance(days=1)
    await gridbot.run_due_jobs()
    assert digests(admin.client.texts()) == []
    assert await gridbot.db.fetchval("SELECT count(*) FROM digests") == 0
