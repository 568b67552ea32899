"""The hot queries use the indexes that keep them off the history (issue 14).

Checked with EXPLAIN QUERY PLAN on the migrated schema, so a change to a query that
silently turns an index search into a scan of every case fails here, not at a million.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services.cases import TODO_STATUSES
from bot.services.cases.rules import STAGE_DUE
from storage.cases import assigned_to, has_assigned, overdue_where, subtree_range
from storage.db import Database
from storage.members import by_tg_user


async def _plan(db: Database, sql: str, params: list[object]) -> str:
    rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
    return "\n".join(str(r["detail"]) for r in rows)


async def test_the_sla_sweep_reads_only_cases_past_a_limit(db: Database) -> None:
    late, params = overdue_where(STAGE_DUE, "2026-06-13T00:00:00Z")
    plan = await _plan(db, f"SELECT id FROM cases WHERE {late} AND supervision_stopped = 0", params)
    assert "cases_status_accept_due (status=? AND accept_due<?)" in plan, plan
    assert "cases_status_resolve_due (status=? AND resolve_due<?)" in plan, plan
    assert "SCAN cases" not in plan, plan


async def test_the_digest_reads_a_periods_ended_cases_by_community(db: Database) -> None:
    sql = (
        "SELECT c.id FROM cases c WHERE c.community_id IN"
        " (SELECT id FROM areas WHERE id_path >= ? AND id_path < ?)"
        " AND c.status = ? AND c.closed_at >= ? AND c.closed_at < ?"
    )
    plan = await _plan(db, sql, [*subtree_range("/1/"), "closed", "a", "b"])
    assert (
        "cases_community_ended (community_id=? AND status=? AND closed_at>? AND closed_at<?)"
        in (plan)
    ), plan
    assert "SEARCH areas" in plan, plan  # the subtree is a range of the id_path index


async def _traced_plan(db: Database, run: Callable[[], Awaitable[object]], fragment: str) -> str:
    """The plan of the statement containing ``fragment`` that ``run`` made, as it ran."""
    seen: list[str] = []
    await db.conn.set_trace_callback(seen.append)
    try:
        await run()
    finally:
        await db.conn.set_trace_callback(None)
    sql = next(s for s in seen if fragment in s)
    return await _plan(db, sql, [])


async def test_what_a_member_has_to_handle_is_found_by_the_assignee_index(db: Database) -> None:
    # Read with the member at every update (the menu's 📌 我的待办), and for /todo.
    plan = await _traced_plan(
        db, lambda: by_tg_user(db, 1, todo_statuses=TODO_STATUSES), "FROM cases c"
    )
    assert "cases_assignee (assignee_id=? AND status=?)" in plan, plan
    plan = await _traced_plan(db, lambda: has_assigned(db, 1, TODO_STATUSES), "FROM cases")
    assert "cases_assignee (assignee_id=? AND status=?)" in plan, plan
    plan = await _traced_plan(db, lambda: assigned_to(db, 1, TODO_STATUSES), "FROM cases")
    assert "cases_assignee (assignee_id=? AND status=?)" in plan, plan
