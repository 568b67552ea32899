"""The daily digest: new, closed and overdue cases of each admin's area; empty ones not sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import ConfigError, load_config
from bot.offline.harness import OfflineBot
from bot.services.categories import Category
from bot.services.digest import DIGEST
from bot.services.grid import Role
from bot.services.reporting import Report
from storage.times import to_db
from tests.helpers.cases import open_report


async def add_case(
    gridbot: OfflineBot,
    number: str,
    area: str,
    *,
    created: datetime,
    status: str = "new",
    closed: datetime | None = None,
    accept_due: datetime | None = None,
    description: str = "楼道里堆满了杂物",
) -> None:
    area_id = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = ?", (area,))
    reporter = await gridbot.db.fetchval("SELECT min(id) FROM members")
    await gridbot.db.execute(
        "INSERT INTO cases (number, category, subcategory, reporter_id, community_id,"
        " responsible_area_id, status, accept_due, created_at, updated_at, closed_at,"
        " description) VALUES (?, 'sanitation', 'garbage', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            description,
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
    # the bot starts at 09:00 local, after today's digest time: nothing until tomorrow 08:00
    await gridbot.run_due_jobs()
    assert digests(admin.client.texts()) == []
    assert await gridbot.db.fetchval("SELECT count(*) FROM digests") == 0
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
    assert "新案件：1 件\n· YH-20260613-0001 环境卫生·垃圾堆积：楼道里堆满了杂物" in text
    assert "已办结：1 件\n· YH-20260612-0007" in text
    assert "已超时未办：1 件\n· YH-20260610-0003" in text
    assert len(digests(street.client.texts())) == 1  # the street sees its communities
    assert digests(other.client.texts()) == []  # nothing in 光明街社区: not sent
    # once a day, across restarts
    clock.advance(minutes=10)
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


# 2026-06-14 08:00 in Shanghai, the digest time of the day after the clock starts.
DIGEST_TIME = datetime(2026, 6, 14, 0, 0, tzinfo=UTC)


async def test_a_rejected_case_is_its_own_line_not_closed(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    day = DIGEST_TIME - timedelta(hours=5)
    await add_case(
        gridbot, "YH-20260613-0001", "滨河社区", created=day, status="closed", closed=day
    )
    await add_case(
        gridbot, "YH-20260613-0002", "滨河社区", created=day, status="rejected", closed=day
    )
    clock.set(DIGEST_TIME)
    await gridbot.run_due_jobs()
    [text] = digests(admin.client.texts())
    assert "已办结：1 件\n· YH-20260613-0001" in text
    assert "不予受理：1 件\n· YH-20260613-0002" in text


async def test_the_digest_is_not_sent_when_the_bot_starts_but_at_the_digest_time(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await add_case(
        gridbot, "YH-20260613-0001", "滨河社区", created=clock.now() - timedelta(hours=1)
    )
    # started at 09:00 local (the fixture's clock) with a case to report: nothing yet
    await gridbot.restart()
    await gridbot.run_due_jobs()
    clock.advance(hours=6)
    await gridbot.run_due_jobs()
    assert digests(admin.client.texts()) == []
    clock.set(DIGEST_TIME - timedelta(minutes=1))
    await gridbot.run_due_jobs()
    assert digests(admin.client.texts()) == []
    clock.set(DIGEST_TIME)
    await gridbot.run_due_jobs()
    assert len(digests(admin.client.texts())) == 1
    # down across the next digest time and back within digest.grace_minutes: sent once
    await add_case(gridbot, "YH-20260614-0001", "滨河社区", created=clock.now())
    await gridbot.stop()
    clock.set(DIGEST_TIME + timedelta(days=1, minutes=20))
    await gridbot.start()
    await gridbot.run_due_jobs()
    await gridbot.run_due_jobs()
    assert len(digests(admin.client.texts())) == 2


async def test_each_case_has_a_button_that_opens_it(gridbot: OfflineBot, clock: FakeClock) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    assert leader.member is not None
    opened = await open_report(
        gridbot,
        leader,
        Report(
            category=Category.SANITATION,
            subcategory="stairwell",
            description="三单元楼道里堆了很多纸箱和旧家具，\n很久没人清理了 <b>",
        ),
        key="d",
    )
    clock.set(DIGEST_TIME)
    await gridbot.run_due_jobs()
    text = next(m for m in admin.client.messages if "每日简报" in m.text)
    number = opened.case.number
    assert f"· {number} 环境卫生·楼道堆物：三单元楼道里堆了很多纸箱和旧家…" in text.text
    assert text.buttons == [[f"📂 {number}"]]
    await admin.client.press(f"📂 {number}")
    assert number in admin.client.last_text and "三单元楼道里堆了很多纸箱" in admin.client.last_text


async def test_a_digest_of_many_long_cases_fits_one_message(
    gridbot: OfflineBot, clock: FakeClock
) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    day = DIGEST_TIME - timedelta(hours=5)
    long_text = "长" * 1000
    for i in range(30):
        await add_case(
            gridbot, f"YH-20260613-{i:04d}", "滨河社区", created=day, description=long_text
        )
        await add_case(
            gridbot,
            f"YH-20260613-{100 + i:04d}",
            "滨河社区",
            created=day,
            status="rejected",
            closed=day,
            description=long_text,
        )
        await add_case(
            gridbot,
            f"YH-20260613-{200 + i:04d}",
            "滨河社区",
            created=day,
            status="closed",
            closed=day,
            description=long_text,
        )
        await add_case(
            gridbot,
            f"YH-20260612-{i:04d}",
            "滨河社区",
            created=day - timedelta(days=1),
            accept_due=day,
            description=long_text,
        )
    clock.set(DIGEST_TIME)
    await gridbot.run_due_jobs()
    [text] = digests(admin.client.texts())
    assert len(text) <= 4096
    assert "新案件：90 件" in text and "不予受理：30 件" in text and "已超时未办：30 件" in text
    assert "另有 82 件" in text and "另有 22 件" in text
    # the outbox row keeps the listed ids and the counts, not every id
    payload = json.loads(
        await gridbot.db.fetchval("SELECT payload FROM outbox WHERE kind = ?", (DIGEST,))
    )
    assert payload["new_count"] == 90 and len(payload["new"]) == 8
    assert payload["overdue_count"] == 30 and len(payload["overdue"]) == 8
    # every case listed has its button, and the stand-in (which enforces the limits) took it
    buttons = [label for row in admin.client.buttons() for label in row]
    listed = {line.split()[1] for line in text.splitlines() if line.startswith("· ")}
    assert len(buttons) == len(set(buttons)) and set(buttons) == {f"📂 {n}" for n in listed}


def test_a_digest_window_too_short_for_the_sweep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[digest]\ngrace_minutes = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == "digest.grace_minutes"
    assert "at least 5" in caught.value.problem
