"""/stats: the figures of an area for a period, the ranking, the leaders, the chart."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from bot.offline.harness import OfflineBot
from bot.services import cases as case_service
from bot.services import stats as stats_service
from bot.services.stats import PeriodError
from storage.times import to_db
from tests.helpers.stats import TODAY, District


@pytest.fixture
async def district(gridbot: OfflineBot) -> District:
    """The statistics district (tests/helpers/stats.py), set up."""
    return await District(gridbot).setup()


async def test_the_figures_of_a_community(gridbot: OfflineBot, district: District) -> None:
    await district.month()
    area = await gridbot.db.fetchone("SELECT * FROM areas WHERE name = '滨河社区'")
    assert area is not None
    from storage.areas import Area

    community = Area(
        *[area[k] for k in ("id", "parent_id", "kind", "name", "path", "id_path", "depth")]
    )
    result = await stats_service.figures(
        gridbot.db,
        gridbot.clock,
        gridbot.config.tz,
        gridbot.config.stats,
        community,
        stats_service.preset("month", TODAY),
    )
    c = result.cases
    assert (c.reported, c.accepted, c.rejected, c.closed) == (4, 2, 1, 1)
    assert c.satisfaction_rate == 1.0 and c.rated == 1
    assert c.reopened == 1 and c.reopen_rate == 1.0
    assert c.supervised == 1
    assert c.accept_hours == pytest.approx(0.5)  # one after an hour, one at once
    assert result.by_category == {"sanitation": 2, "safety": 1, "opinion": 1}
    assert result.top_kinds[0] == ("sanitation", "garbage", 2)
    assert result.duties.outreach == 1 and result.duties.households == 20
    assert result.duties.patrols == 1
    assert result.ranking is None and result.leaders is not None
    names = [a.name for a in result.leaders]
    assert names[0] == "张思凯" and "陈静" in names and "刘洋" not in names
    assert result.weekly and sum(r for _, r, _ in result.weekly) == 4


async def test_street_admin_asks_for_this_month(gridbot: OfflineBot, district: District) -> None:
    await district.month()
    street = district.street.client
    await street.send("📊 统计")
    assert "请选择统计时段" in street.last_text
    assert street.buttons()[0] == ["本周", "本月", "上月"]
    await street.press("本月")
    texts = street.texts()
    answer = next(text for text in texts if "统计\n时段：2026-06-01 至 2026-06-13（本月）" in text)
    assert "上报 5 件，受理 2 件，不予受理 1 件，办结 1 件" in answer
    assert "督办 1 件" in answer
    assert "高发问题：1. 垃圾堆积（环境卫生）3 件" in answer
    assert "政策宣讲 1 次，约 20 户" in answer
    assert "🔴 红榜" in answer and "滨河社区" in answer and "光明街社区" in answer
    photo = street.photos[-1]
    content = street.file_bytes(photo)
    assert content is not None and content.startswith(b"\x89PNG")
    assert "光明街道" in (photo.data.get("caption") or "")


async def test_typed_period_and_an_area_below(gridbot: OfflineBot, district: District) -> None:
    await district.month()
    street = district.street.client
    await street.send("/stats 滨河社区")
    assert "滨河社区" in street.last_text and "请选择统计时段" in street.last_text
    await street.send("２０２６－０６－０１ 至 2026年6月30日")  # full-width, 年月日, to the future
    answer = next(t for t in street.texts() if "时段：2026-06-01 至 2026-06-13" in t)
    assert "上报 4 件" in answer and "楼门长、小组长履职" in answer and "张思凯" in answer
    await street.send("/stats 滨河社区 上月")
    assert any("时段：2026-05-01 至 2026-05-31（上月）" in t for t in street.texts())
    await street.send("/stats 2026-05-01 2026-05-31")
    assert any(
        "时段：2026-05-01 至 2026-05-31" in t and "没有上报的案件" in t for t in street.texts()
    )


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2026-06-30 2026-06-01", "结束日期早于开始日期"),
        ("2026-07-01 2026-07-31", "这个时段还没有开始"),
        ("2026-02-30 2026-03-01", "没看懂这个时段"),
    ],
)
async def test_bad_periods_are_answered(
    gridbot: OfflineBot, district: District, typed: str, says: str
) -> None:
    street = district.street.client
    await street.send(typed)
    assert says in street.last_text
    assert not street.photos


async def test_areas_outside_or_below_the_admins(gridbot: OfflineBot, district: District) -> None:
    admin = district.admin.client
    await admin.send("/stats 南陈屯镇")
    assert "只能查看本辖区（运河区/光明街道/滨河社区）" in admin.last_text
    await admin.send("/stats 滨河龙韵西区1号楼")
    assert "统计按社区（村）及以上计算" in admin.last_text
    await admin.send("/stats 不存在的地方")
    assert "没有找到叫「不存在的地方」的区域" in admin.last_text
    other = await gridbot.db.fetchval("SELECT id FROM areas WHERE name = '南陈屯镇'")
    await admin.press_data(f"v1:st:{other}:month")
    assert "只能查看本辖区" in str(admin.last_answer.text)  # type: ignore[union-attr]
    await admin.press_data("v1:st:1:nonsense")
    assert "按钮已失效" in str(admin.last_answer.text)  # type: ignore[union-attr]
    leader = district.leader.client
    await leader.send("/stats")
    assert "仅供社区、街道和区级管理员使用" in leader.last_text
    assert not admin.photos and not leader.photos


async def test_the_district_ranks_its_streets(gridbot: OfflineBot, district: District) -> None:
    await district.month()
    boss = district.district.client
    await boss.send("/stats 2026-06-01 2026-06-13")
    answer = next(t for t in boss.texts() if "综合评分" in t)
    assert "光明街道" in answer
    assert "无案件、未评分：南陈屯镇" in answer
    assert boss.photos


def test_periods() -> None:
    assert stats_service.preset("week", TODAY).first == date(2026, 6, 8)
    assert stats_service.preset("last_month", TODAY) == stats_service.Period(
        date(2026, 5, 1), date(2026, 5, 31), "last_month"
    )
    assert stats_service.preset("quarter", TODAY).first == date(2026, 4, 1)
    assert stats_service.preset("year", TODAY).first == date(2026, 1, 1)
    typed = stats_service.parse_period("2026/6/1~2026/6/10", TODAY)
    assert (typed.first, typed.last) == (date(2026, 6, 1), date(2026, 6, 10))
    assert stats_service.parse_key(typed.key, TODAY) == typed
    for text, reason in [
        ("2026-06-10 2026-06-01", "reversed"),
        ("2027-01-01 2027-01-02", "future"),
        ("2026-13-01 2026-12-01", "format"),
        ("昨天到今天", "format"),
    ]:
        with pytest.raises(PeriodError) as caught:
            stats_service.parse_period(text, TODAY)
        assert caught.value.reason == reason, text
    assert stats_service.parse_period("2026-06-01 2026-06-01", TODAY + timedelta(days=1))


async def test_past_months_are_added_up_once_and_again_when_a_case_changes(
    gridbot: OfflineBot, district: District
) -> None:
    ids = await district.month()  # June 2026
    gridbot.clock.advance(timedelta(days=40))  # 2026-07-23: June is a past month
    db = gridbot.db
    community = await stats_service_area(gridbot, "滨河社区")
    street = await stats_service_area(gridbot, "光明街道")
    june = stats_service.preset("last_month", date(2026, 7, 23))
    spanning = stats_service.Period(date(2026, 5, 20), date(2026, 7, 23))  # part, June, part

    async def both() -> tuple[stats_service.Stats, stats_service.Stats]:
        args = (gridbot.clock, gridbot.config.tz, gridbot.config.stats)
        return (
            await stats_service.figures(db, *args, street, june),
            await stats_service.figures(db, *args, community, spanning),
        )

    cold = await both()
    assert await db.fetchval("SELECT count(*) FROM stats_rollups") == 2  # June, 2 communities
    warm = await both()
    for before, after in zip(cold, warm, strict=True):
        assert before.cases == after.cases
        assert before.by_kind == after.by_kind and before.states == after.states
        assert before.weekly == after.weekly
    # the same as counting every case of June now, without roll-ups
    live = stats_service._Counted([], [], Counter(), Counter())
    since, until = june.bounds(gridbot.config.tz)
    now = to_db(gridbot.clock.now())
    await stats_service._count(db, street, since, until, now, "+480 minutes", None, live)
    figures = stats_service.CaseFigures()
    for group in live.groups:
        figures.add(group)
    figures.reopened, figures.supervised = (
        sum(live.reopened.values()),
        sum(live.supervised.values()),
    )
    assert figures == warm[0].cases
    assert stats_service._weeks(live.days) == warm[0].weekly
    assert warm[0].cases.reported == 5 and warm[0].cases.closed == 1
    assert warm[1].cases.reported == 4 and warm[1].cases.reopened == 1
    assert warm[1].cases.supervised == 1 and warm[1].cases.rejected == 1
    # the reopened case (open, so counted live) is now resolved and confirmed: it closes
    admin, helper = district.admin.member, district.helper.member
    assert admin is not None and helper is not None

    case_id = ids["reopened"]
    await case_service.resolve(
        db, gridbot.clock, gridbot.config, admin, case_id, await district.version(case_id), "好了"
    )
    await case_service.confirm(db, gridbot.clock, helper, case_id, await district.version(case_id))
    # the closed case of June is rated again? No: a finished case changing drops its month
    await db.execute("UPDATE cases SET rating = 'fair' WHERE id = ?", (ids["closed"],))
    assert await db.fetchval("SELECT count(*) FROM stats_rollups") == 1  # 滨河社区's June went
    _, fresh = await both()
    assert fresh.cases.closed == 2 and fresh.cases.reported == 4
    assert fresh.cases.rated == 1 and fresh.cases.satisfied == 1  # 'fair' counts as satisfied


async def stats_service_area(gridbot: OfflineBot, name: str):  # type: ignore[no-untyped-def]
    from bot.services import areas as area_service

    return await area_service.resolve(gridbot.db, name)


async def test_meeting_attendance_and_shift_staffing(
    gridbot: OfflineBot, district: District
) -> None:
    from storage import stats as repo

    db = gridbot.db
    community = await stats_service_area(gridbot, "滨河社区")
    await db.execute(
        "INSERT INTO meeting_series (id, area_id, title, rule, local_time, roles, created_at)"
        " VALUES (1, ?, '楼门长工作例会', 'once', '19:30',"
        " '[\"building_leader\", \"building_assistant\"]', '2026-06-01T00:00:00Z')",
        (community.id,),
    )
    for occurrence, day in ((1, "2026-06-03"), (2, "2026-06-10")):
        await db.execute(
            "INSERT INTO meeting_occurrences (id, series_id, slot, starts_at) VALUES (?, 1, ?, ?)",
            (occurrence, day, f"{day}T11:30:00Z"),
        )
    leader, helper = district.leader.member, district.helper.member
    assert leader is not None and helper is not None
    await db.execute(
        "INSERT INTO meeting_attendance (occurrence_id, member_id, answer, checked_in_at)"
        " VALUES (1, ?, 'attend', '2026-06-03T11:20:00Z'), (2, ?, 'attend', NULL),"
        " (2, ?, NULL, '2026-06-10T11:25:00Z')",
        (leader.id, leader.id, helper.id),
    )
    await db.execute(
        "INSERT INTO duty_posts (id, area_id, name, created_at) VALUES (1, ?, '小门卡口', 'x')",
        (community.id,),
    )
    await db.execute(
        "INSERT INTO shifts (id, post_id, starts_at, ends_at, needed, created_at) VALUES"
        " (1, 1, '2026-06-05T00:00:00Z', '2026-06-05T04:00:00Z', 2, 'x'),"
        " (2, 1, '2026-06-06T00:00:00Z', '2026-06-06T04:00:00Z', 1, 'x')"
    )
    await db.execute(
        "INSERT INTO shift_assignments (shift_id, member_id, at) VALUES (1, ?, 'x'), (2, ?, 'x')",
        (leader.id, helper.id),
    )
    sums = await repo.duties(db, community.id_path, "2026-05-31T16:00:00Z", "2026-06-13T16:00:00Z")
    # two meetings, each expecting the community's 2 building leaders/assistants
    assert (sums.meetings, sums.expected, sums.checked_in) == (2, 4, 2)
    assert (sums.shifts, sums.shifts_staffed, sums.places, sums.places_filled) == (2, 1, 3, 2)
    district_area = await stats_service_area(gridbot, "运河区")
    everywhere = await repo.duties(
        db, district_area.id_path, "2026-05-31T16:00:00Z", "2026-06-13T16:00:00Z"
    )
    assert (everywhere.meetings, everywhere.expected) == (2, 4)  # 刘洋 of 光明街社区 not expected
