"""The supervision sweep commits case by case: one that fails does not undo those before it."""

from __future__ import annotations

import sqlite3

import pytest

from bot.offline.harness import OfflineBot
from bot.services.cases import supervision
from tests.helpers.cases import people, report


async def _escalations(gridbot: OfflineBot, case_id: int) -> int:
    return int(await gridbot.db.fetchval("SELECT escalations FROM cases WHERE id = ?", (case_id,)))


async def test_a_case_that_fails_holds_back_only_the_cases_after_it(gridbot: OfflineBot) -> None:
    leader, _admin, _other = await people(gridbot)
    first, bad, last = [await report(gridbot, leader, urgent=True, key=f"k{n}") for n in range(3)]
    # A real failure while the middle case is supervised (no mock): SQLite refuses its event.
    await gridbot.db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON case_events"
        f" WHEN NEW.case_id = {bad} AND NEW.kind = 'supervised'"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    gridbot.clock.advance(minutes=11)  # urgent: 10 minutes to accept
    with pytest.raises(sqlite3.IntegrityError):
        await supervision.sweep(gridbot.db, gridbot.clock, gridbot.config)
    assert [await _escalations(gridbot, c) for c in (first, bad, last)] == [1, 0, 0]
    await gridbot.db.execute("DROP TRIGGER refuse")
    done = await supervision.sweep(gridbot.db, gridbot.clock, gridbot.config)
    assert done.supervised == 2  # the first is not supervised twice
    assert [await _escalations(gridbot, c) for c in (first, bad, last)] == [1, 1, 1]
