"""Opening a case: number, due times, photos, audit event, and one alert per admin."""

from __future__ import annotations

import pytest

from bot.offline.harness import OfflineBot
from bot.services import areas as area_service
from bot.services.categories import Category
from bot.services.grid import Role
from bot.services.reporting import Report, ReportRefused, open_case
from storage import outbox


async def test_open_case_stores_everything_once(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin1 = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    admin2 = await gridbot.member("赵刚", Role.COMMUNITY_ADMIN, "滨河社区")
    await gridbot.member("别人", Role.COMMUNITY_ADMIN, "光明街社区")
    assert leader.member is not None
    report = Report(
        category=Category.DISPUTE,
        subcategory="neighbours",
        details={"parties": "301 and 401"},
        description="楼上卫生间漏水",
        photos=(("p1", "u1"), ("p2", "u2")),
        urgent=True,
    )
    config = gridbot.config
    first = await open_case(
        gridbot.db, gridbot.clock, config, leader.member, report, idempotency_key="d1"
    )
    again = await open_case(
        gridbot.db, gridbot.clock, config, leader.member, report, idempotency_key="d1"
    )
    assert first.created and not again.created
    assert again.case.id == first.case.id
    case = first.case
    assert case.number == "YH-20260613-0001"
    assert case.status == "new"
    assert case.accept_due == "2026-06-13T01:10:00Z"  # urgent dispute: 10 minutes
    rows = await outbox.of_kind(gridbot.db, "case.new")
    assert {r.member_id for r in rows} == {admin1.member.id, admin2.member.id}  # type: ignore[union-attr]
    assert all(r.payload == {"case_id": case.id} for r in rows)
    events = await gridbot.db.fetchall("SELECT kind FROM case_events WHERE case_id = ?", (case.id,))
    assert [e["kind"] for e in events] == ["created"]
    assert await gridbot.db.fetchval("SELECT count(*) FROM case_photos") == 2


async def test_alert_goes_up_when_the_community_has_no_admin(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("甲", Role.GROUP_LEADER, "刘舒庄村/第一村民小组")
    town = await gridbot.member("镇干部", Role.STREET_ADMIN, "南陈屯镇")
    assert leader.member is not None and town.member is not None
    opened = await open_case(
        gridbot.db,
        gridbot.clock,
        gridbot.config,
        leader.member,
        Report(category=Category.SANITATION, subcategory="garbage", description="垃圾"),
        idempotency_key="x",
    )
    rows = await outbox.of_kind(gridbot.db, "case.new")
    assert [r.member_id for r in rows] == [town.member.id]
    # Only the alert goes up: the case stays the village's, which handles it.
    village = await area_service.resolve(gridbot.db, "刘舒庄村")
    assert opened.case.community_id == village.id
    assert opened.case.responsible_area_id == village.id


async def test_admins_do_not_report_and_bad_reports_are_refused(gridbot: OfflineBot) -> None:
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    leader = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    assert admin.member is not None and leader.member is not None
    good = Report(category=Category.SAFETY, subcategory="ebike", description="楼道充电")
    with pytest.raises(ReportRefused):
        await open_case(
            gridbot.db, gridbot.clock, gridbot.config, admin.member, good, idempotency_key="a"
        )
    with pytest.raises(ReportRefused):
        await open_case(
            gridbot.db,
            gridbot.clock,
            gridbot.config,
            leader.member,
            Report(category=Category.SAFETY, subcategory="garbage", description="x"),
            idempotency_key="b",
        )
    other_building = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '欣园小区2号楼'")
    with pytest.raises(ReportRefused):
        await open_case(
            gridbot.db,
            gridbot.clock,
            gridbot.config,
            leader.member,
            Report(
                category=Category.SAFETY,
                subcategory="ebike",
                description="x",
                place_area_id=other_building,
            ),
            idempotency_key="c",
        )
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 0


async def test_each_admin_receives_the_alert_with_photos(gridbot: OfflineBot) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    admin = await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    assert leader.member is not None
    files = [gridbot.api.new_file("photo", size=(1280, 960)) for _ in range(2)]
    report = Report(
        category=Category.SAFETY,
        subcategory="ebike",
        description="<b>三楼</b>楼道有人充电",
        photos=tuple((f.file_id, f.file_unique_id) for f in files),
    )
    await open_case(
        gridbot.db, gridbot.clock, gridbot.config, leader.member, report, idempotency_key="d2"
    )
    await gridbot.run_due_jobs()
    alert = admin.client.last_text
    assert "YH-20260613-0001" in alert and "平安稳定 · 楼道电动车充电" in alert
    assert "<b>三楼</b>楼道" in alert  # shown as typed: escaped, not markup
    assert "&lt;b&gt;三楼" in (admin.client.messages[-1].raw or "")
    assert "张思凯" in alert
    assert len(admin.client.photos) == 2
    rows = await outbox.of_kind(gridbot.db, "case.new")
    assert [r.status for r in rows] == ["sent"]


async def test_photos_alone_describe_a_case_but_nothing_at_all_does_not(
    gridbot: OfflineBot,
) -> None:
    leader = await gridbot.member("张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼")
    assert leader.member is not None
    photos = Report(category=Category.SANITATION, subcategory="garbage", photos=(("p", "u"),))
    opened = await open_case(
        gridbot.db, gridbot.clock, gridbot.config, leader.member, photos, idempotency_key="p"
    )
    assert opened.created and opened.case.description is None
    with pytest.raises(ReportRefused):
        await open_case(
            gridbot.db,
            gridbot.clock,
            gridbot.config,
            leader.member,
            Report(category=Category.SANITATION, subcategory="garbage"),
            idempotency_key="q",
        )
    assert await gridbot.db.fetchval("SELECT count(*) FROM cases") == 1
