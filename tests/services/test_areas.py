"""The area tree: importing a file, and finding an area by name or path."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.services.areas import (
    AreaAmbiguous,
    AreaFileError,
    AreaNotFound,
    import_areas,
    parse_area_file,
    resolve,
    tree,
)
from storage.db import Database
from tests.conftest import DEMO_AREAS


async def test_demo_district_has_the_seed_places(district: Database) -> None:
    paths = {a.path for a in await tree(district)}
    for expected in (
        "运河区",
        "运河区/南陈屯镇/刘舒庄村/第一村民小组",
        "运河区/光明街道/光明街社区/欣园小区1号楼/1单元",
        "运河区/光明街道/滨河社区/滨河龙韵西区1号楼",
    ):
        assert expected in paths
    kinds = {a.path: a.kind for a in await tree(district)}
    assert kinds["运河区/南陈屯镇"] == "town"
    assert kinds["运河区/南陈屯镇/刘舒庄村"] == "village"


async def test_import_again_adds_only_what_is_new(district: Database, clock: FakeClock) -> None:
    text = DEMO_AREAS.read_text(encoding="utf-8") + "building,运河区/光明街道/光明街社区/新楼\n"
    report = await import_areas(district, parse_area_file(text), clock)
    assert report.created == 1
    assert report.existing == len(parse_area_file(text)) - 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("planet,运河区\n", "unknown kind"),
        ("district,运河区,extra\n", "expected 'kind,path'"),
        ("street,运河区\n", "depth"),
        ("district,运河区//x\n", "empty name"),
        ("# nothing\n", "no areas"),
    ],
)
def test_bad_area_lines(text: str, problem: str) -> None:
    with pytest.raises(AreaFileError, match=problem):
        parse_area_file(text)


async def test_import_checks_parents_and_kinds(db: Database, clock: FakeClock) -> None:
    with pytest.raises(AreaFileError, match="not listed above"):
        await import_areas(db, parse_area_file("street,运河区/光明街道\n"), clock)
    with pytest.raises(AreaFileError, match="cannot sit in"):
        await import_areas(
            db,
            parse_area_file(
                "district,运河区\nstreet,运河区/甲\nvillage,运河区/甲/乙\n"
                "group,运河区/甲/乙/丙\nunit,运河区/甲/乙/丙/丁\n"
            ),
            clock,
        )
    # nothing of the failed file was kept: all or nothing
    assert await tree(db) == []


async def test_chinese_kind_names(db: Database, clock: FakeClock) -> None:
    report = await import_areas(
        db, parse_area_file("区,运河区\n镇,运河区/南陈屯镇\n村,运河区/南陈屯镇/刘舒庄村\n"), clock
    )
    assert report.created == 3


async def test_resolve_by_path_name_and_partial_path(district: Database) -> None:
    assert (await resolve(district, "运河区/光明街道/光明街社区")).name == "光明街社区"
    assert (await resolve(district, "光明街社区")).path == "运河区/光明街道/光明街社区"
    assert (await resolve(district, " /光明街社区/ ")).name == "光明街社区"
    unit = await resolve(district, "欣园小区1号楼/1单元")
    assert unit.path == "运河区/光明街道/光明街社区/欣园小区1号楼/1单元"


async def test_ambiguous_name_lists_candidates(district: Database) -> None:
    with pytest.raises(AreaAmbiguous) as caught:
        await resolve(district, "第一村民小组")
    assert {a.path for a in caught.value.candidates} == {
        "运河区/南陈屯镇/刘舒庄村/第一村民小组",
        "运河区/南陈屯镇/姚庄子村/第一村民小组",
    }
    assert (await resolve(district, "姚庄子村/第一村民小组")).parent_id is not None


async def test_unknown_name_lists_near_candidates(district: Database) -> None:
    with pytest.raises(AreaNotFound) as caught:
        await resolve(district, "光明社区")
    assert "光明街社区" in {a.name for a in caught.value.candidates}
    with pytest.raises(AreaNotFound) as nothing:
        await resolve(district, "zzzz")
    assert nothing.value.candidates == []


async def test_resolve_within_a_subtree(district: Database) -> None:
    community = await resolve(district, "滨河社区")
    with pytest.raises(AreaNotFound):
        await resolve(district, "光明街社区", within=community)
    inside = await resolve(district, "滨河龙韵西区2号楼", within=community)
    assert community.contains(inside)


async def test_like_metacharacters_are_literal(district: Database) -> None:
    with pytest.raises(AreaNotFound):
        await resolve(district, "%")
    with pytest.raises(AreaNotFound):
        await resolve(district, "_")
