"""The digest's writes: a batch that fails is written admin by admin, each committed on its own."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.offline.harness import OfflineBot
from bot.services import digest
from bot.services.grid import ADMIN_ROLES, Role
from storage import members as member_repo


async def test_a_bad_row_holds_back_only_the_admins_after_it(gridbot: OfflineBot) -> None:
    await gridbot.member("李敏", Role.COMMUNITY_ADMIN, "滨河社区")
    await gridbot.member("王强", Role.STREET_ADMIN, "光明街道")
    await gridbot.member("孙丽", Role.COMMUNITY_ADMIN, "光明街社区")
    # In the order the digest writes them; all three fit in one batch.
    admins = await member_repo.in_subtree(gridbot.db, "/", sorted(ADMIN_ROLES))
    assert len(admins) == 3 < digest.WRITE_BATCH
    first, bad, last = (a.id for a in admins)
    # A real failure of the middle admin's row (no mock): SQLite refuses it.
    await gridbot.db.execute(
        f"CREATE TRIGGER refuse BEFORE INSERT ON digests WHEN NEW.member_id = {bad}"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    gridbot.clock.set(datetime(2026, 6, 14, 0, 5, tzinfo=UTC))  # 08:05 in Shanghai
    tz, at = gridbot.config.tz, gridbot.config.digest.time
    recorded = "SELECT member_id FROM digests ORDER BY member_id"
    with pytest.raises(sqlite3.IntegrityError):
        await digest.send_due(gridbot.db, gridbot.clock, tz, at)
    # The batch was rolled back; written one by one, the first admin's digest stayed.
    assert [r[0] for r in await gridbot.db.fetchall(recorded)] == [first]
    await gridbot.db.execute("DROP TRIGGER refuse")
    # The next pass writes the others, and not the first one's again (nothing to report:
    # all three are empty digests, recorded but not sent).
    assert await digest.send_due(gridbot.db, gridbot.clock, tz, at) == (0, 2)
    assert sorted(r[0] for r in await gridbot.db.fetchall(recorded)) == sorted([first, bad, last])
