"""Bounded size: sent outbox rows go after delivery.keep_sent_days; what is still needed stays."""

from __future__ import annotations

from datetime import timedelta

from bot.offline.harness import OfflineBot
from bot.services import upkeep
from tests.helpers.cases import people, report, status
from tests.helpers.notices import compose, town_admin, village_people


async def _counts(gridbot: OfflineBot) -> dict[str, int]:
    rows = await gridbot.db.fetchall("SELECT status, count(*) FROM outbox GROUP BY status")
    return {r[0]: int(r[1]) for r in rows}


async def test_sent_rows_are_pruned_after_the_set_days_and_alerts_still_edit(
    gridbot: OfflineBot,
) -> None:
    assert gridbot.config.delivery.keep_sent_days == 30
    leader, admin, _other = await people(gridbot)
    case_id = await report(gridbot, leader)
    first = [r[0] for r in await gridbot.db.fetchall("SELECT id FROM outbox WHERE status = 'sent'")]
    assert len(first) >= 2  # the admins' alerts (and the reporter's receipt)
    # A message still waiting (for later) is never pruned, however old.
    await gridbot.db.execute(
        "INSERT INTO outbox (recipient, kind, status, next_try_at, created_at)"
        " VALUES ('1', 'case.new', 'pending', '2099-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
    )
    kept = f"SELECT count(*) FROM outbox WHERE id IN ({','.join(map(str, first))})"
    gridbot.clock.advance(timedelta(days=29))
    await gridbot.run_due_jobs()
    assert await gridbot.db.fetchval(kept) == len(first)  # not yet
    later = await gridbot.db.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'")
    assert later > len(first)  # the sweeps sent more meanwhile (supervision, reminders)
    gridbot.clock.advance(timedelta(days=2))
    await gridbot.run_due_jobs()
    assert await gridbot.db.fetchval(kept) == 0
    counts = await _counts(gridbot)
    assert counts["sent"] >= later - len(first)  # the newer ones stay
    assert counts["pending"] == 1
    # The alert's message is still known, so the card is edited in place as the case moves.
    edits_before = sum(m.edits for m in admin.client.messages)
    await admin.client.press("✅ 受理")
    await gridbot.run_due_jobs()
    assert await status(gridbot, case_id) == "accepted"
    assert sum(m.edits for m in admin.client.messages) > edits_before


async def test_a_notices_copies_are_kept_for_its_coverage(gridbot: OfflineBot) -> None:
    boss = await town_admin(gridbot)
    await village_people(gridbot)
    await compose(boss, deadline=None)
    await boss.client.press("📤 发送")
    await gridbot.run_due_jobs()
    linked = "SELECT count(*) FROM outbox o JOIN notice_deliveries d ON d.outbox_id = o.id"
    copies = await gridbot.db.fetchval(linked + " WHERE o.status = 'sent'")
    assert copies == 6
    gridbot.clock.advance(timedelta(days=40))
    await gridbot.run_due_jobs()
    assert await gridbot.db.fetchval(linked + " WHERE o.status = 'sent'") == 6


async def test_nothing_is_pruned_with_keep_sent_days_zero(gridbot: OfflineBot) -> None:
    leader, _admin, _other = await people(gridbot)
    await report(gridbot, leader)
    sent = (await _counts(gridbot))["sent"]
    gridbot.clock.advance(timedelta(days=400))
    done = await upkeep.prune(gridbot.db, gridbot.clock, 0)
    assert done.pruned == 0
    assert (await _counts(gridbot))["sent"] == sent
    done = await upkeep.prune(gridbot.db, gridbot.clock, 30)
    assert done.pruned == sent


async def test_free_pages_are_given_back(gridbot: OfflineBot) -> None:
    db = gridbot.db
    assert await db.fetchval("PRAGMA auto_vacuum") == 2  # a new database: incremental
    await db.executemany(
        "INSERT INTO outbox (recipient, kind, status, payload, next_try_at, created_at, sent_at)"
        " VALUES ('1', 'x', 'sent', ?, 'x', 'x', '2000-01-01T00:00:00Z')",
        [("长" * 2000,) for _ in range(500)],
    )
    pages = await db.fetchval("PRAGMA page_count")
    done = await upkeep.prune(gridbot.db, gridbot.clock, 30)
    assert done.pruned == 500
    assert done.freed_pages > 100
    assert await db.fetchval("PRAGMA page_count") == pages - done.freed_pages


async def test_an_ended_cases_copies_go_after_the_set_days_and_an_open_ones_stay(
    gridbot: OfflineBot,
) -> None:
    leader, admin, _other = await people(gridbot)
    ended = await report(gridbot, leader, key="u1")
    await admin.client.press("🚫 不予受理")
    await admin.client.press("重复上报")
    assert await status(gridbot, ended) == "rejected"
    still_open = await report(gridbot, leader, key="u2")
    held = "SELECT count(*) FROM case_watchers WHERE case_id = ?"
    kept = "SELECT count(*) FROM message_refs WHERE edit_key LIKE ?"
    assert await gridbot.db.fetchval(held, (ended,)) >= 2  # both admins hold a copy
    assert await gridbot.db.fetchval(kept, (f"case:{ended}:%",)) >= 2
    gridbot.clock.advance(timedelta(days=29))
    await gridbot.run_due_jobs()
    assert await gridbot.db.fetchval(held, (ended,)) >= 2, "not yet"
    gridbot.clock.advance(timedelta(days=2))
    await gridbot.run_due_jobs()
    # Ended a month ago: its copies are edited no more, so they are forgotten.
    assert await gridbot.db.fetchval(held, (ended,)) == 0
    assert await gridbot.db.fetchval(kept, (f"case:{ended}:%",)) == 0
    # The open case keeps them, however old, and its card is still edited in place.
    assert await gridbot.db.fetchval(held, (still_open,)) >= 2
    edits_before = sum(m.edits for m in admin.client.messages)
    await admin.client.press("✅ 受理")
    await gridbot.run_due_jobs()
    assert await status(gridbot, still_open) == "accepted"
    assert sum(m.edits for m in admin.client.messages) > edits_before
