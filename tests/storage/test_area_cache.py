"""The area tree held in memory (storage/areas.py): read once, dropped by an import."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.services.areas import AreaFileError, import_areas, parse_area_file
from storage import areas
from storage.db import Database


async def statements_of(db: Database, work: object) -> list[str]:
    seen: list[str] = []
    await db.conn.set_trace_callback(seen.append)
    try:
        await work  # type: ignore[misc]
    finally:
        await db.conn.set_trace_callback(None)
    return [s for s in seen if "FROM areas" in s]


async def test_an_area_is_read_once(district: Database) -> None:
    root = (await areas.roots(district))[0]
    first = await statements_of(district, areas.get(district, root.id))
    async with district.transaction() as tx:
        again = await statements_of(district, areas.get(tx, root.id))
    assert len(first) == 1 and again == []
    assert await areas.get(district, 999_999) is None  # a missing one is not remembered


async def test_a_failed_import_leaves_nothing_it_read_in_memory(
    district: Database, clock: FakeClock
) -> None:
    root = (await areas.roots(district))[0]
    next_id = int(await district.fetchval("SELECT max(id) FROM areas")) + 1
    lines = parse_area_file(
        f"kind,path\nstreet,{root.name}/新街道\ncommunity,{root.name}/没有的街道/某社区\n"
    )
    with pytest.raises(AreaFileError):
        await import_areas(district, lines, clock)
    assert areas._CACHE not in district.cache
    assert await areas.by_path(district, f"{root.name}/新街道") is None
    assert await areas.get(district, next_id) is None
