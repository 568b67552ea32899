"""The outbox's order: alerts before a broadcast's rows, each oldest first."""

from __future__ import annotations

from storage import outbox
from storage.db import Database


async def _queue(db: Database, kind: str, recipient: int, at: str) -> int:
    row_id = await outbox.enqueue(
        db,
        channel="telegram",
        recipient=str(recipient),
        member_id=None,
        kind=kind,
        payload={},
        now=at,
    )
    assert row_id is not None
    return row_id


async def test_an_alert_goes_before_a_broadcast_handed_over_earlier(db: Database) -> None:
    notices = [
        await _queue(db, outbox.BROADCAST, n, f"2026-06-13T01:00:{n:02d}Z") for n in range(30)
    ]
    alert = await _queue(db, "case.new", 999, "2026-06-13T01:00:40Z")
    later = await _queue(db, "case.update", 998, "2026-06-13T01:00:41Z")
    due = await outbox.due(db, "2026-06-13T01:01:00Z", 10)
    assert [r.id for r in due] == [alert, later, *notices[:8]]
    # Not yet due is not due, whatever its kind.
    assert [r.id for r in await outbox.due(db, "2026-06-13T01:00:05Z", 10)] == notices[:6]


async def test_the_alerts_are_read_through_their_own_index(db: Database) -> None:
    plan = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT id FROM outbox o INDEXED BY outbox_due_first"
        " WHERE o.status = 'pending' AND o.kind <> 'notice' AND o.next_try_at <= ?"
        " ORDER BY o.next_try_at, o.id LIMIT 10",
        ("2026-06-13T01:01:00Z",),
    )
    assert any("outbox_due_first" in str(tuple(row)) for row in plan)
