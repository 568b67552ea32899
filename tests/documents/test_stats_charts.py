"""Every /stats chart is drawn, in both languages, without a missing glyph."""

from __future__ import annotations

import warnings
from datetime import date

import pytest

from bot.documents import charts
from bot.i18n import LANGUAGES
from bot.services.categories import Category
from bot.services.stats import CaseFigures, Period, Ranked, Stats
from storage.areas import Area
from storage.stats import DutySums, LeaderActivity

STREET = Area(2, 1, "street", "光明街道", "运河区/光明街道", "/1/2/", 1)
COMMUNITY = Area(3, 2, "community", "滨河社区", "运河区/光明街道/滨河社区", "/1/2/3/", 2)
NO_DUTIES = DutySums(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def sample(area: Area, *, empty: bool = False) -> Stats:
    states = {} if empty else {
        c.value: {s: i + j for j, s in enumerate(charts.STATES)} for i, c in enumerate(Category)
    }  # fmt: skip
    stats = Stats(
        area=area,
        period=Period(date(2026, 1, 1), date(2026, 6, 13), "year"),
        cases=CaseFigures(),
        by_category={c: sum(s.values()) for c, s in states.items()},
        states=states,
        by_kind=[],
        weekly=[]
        if empty
        else [(f"2026-{m:02d}-0{d}", 10 + d, 5 + d) for m in (1, 2, 3, 4, 5) for d in (1, 8)],
        duties=NO_DUTIES,
        notices=None,
    )
    if area.kind == "street":
        stats.ranking = [] if empty else [
            Ranked(Area(10 + i, 2, "community", f"第{i}社区（村）甲乙丙丁戊己庚辛", "x",
                        f"/1/2/{10 + i}/", 2), CaseFigures(reported=i), 50 + i * 2.5)
            for i in range(20)
        ]  # fmt: skip
    else:
        stats.leaders = [] if empty else [
            LeaderActivity(i, f"楼长{i}号·欧阳", "building_leader", "x", i, 1, 10, 2, 1)
            for i in range(20)
        ]  # fmt: skip
    return stats


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("area", [STREET, COMMUNITY], ids=["ranking", "leaders"])
@pytest.mark.parametrize("empty", [False, True], ids=["data", "empty"])
def test_every_chart_draws_every_glyph(lang: str, area: Area, empty: bool) -> None:
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" for a character it cannot draw
        warnings.simplefilter("error")
        png = charts.stats_chart(sample(area, empty=empty), lang)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_the_font_is_the_packaged_one() -> None:
    assert charts.font_path().is_file()
    assert "site-packages" in str(charts.font_path()) or "dist-packages" in str(charts.font_path())


def test_a_character_outside_the_font_would_fail_the_test() -> None:
    stats = sample(COMMUNITY)
    stats.leaders = [
        LeaderActivity(1, "\U0001f600\U00013000", "building_leader", "x", 1, 0, 0, 0, 0)
    ]
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="missing from font"):
        warnings.simplefilter("error")
        charts.stats_chart(stats, "zh-CN")
