"""The case-handling repository: guarded transitions, alert copies, bound groups, mediations.

Everything here is written inside the transaction of a case's transition (see
``bot/services/cases.py``); :func:`update_case` changes a case only if its version
is still the one the caller read, which is how two admins pressing at once are told
apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storage.cases import _COLUMNS, Case, _case, in_statuses, overdue_where
from storage.db import Queryable, Transaction

_UPDATABLE = frozenset(
    {
        "status",
        "reject_reason",
        "resolution",
        "assignee_id",
        "responsible_area_id",
        "escalations",
        "accept_due",
        "resolve_due",
        "verify_due",
        "resolved_at",
        "resolved_by",
        "closed_at",
        "rating",
        "verify_reminded",
        "supervise_at",
        "supervision_stopped",
        "assignee_reminded",
    }
)


async def update_case(
    tx: Transaction, case_id: int, version: int, now: str, **changes: Any
) -> bool:
    """Apply ``changes`` and bump the version if the case is still at ``version``."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = "".join(f", {name} = ?" for name in changes)
    changed = await tx.execute_rowcount(
        f"UPDATE cases SET version = version + 1, updated_at = ?{sets}"
        " WHERE id = ? AND version = ?",
        (now, *changes.values(), case_id, version),
    )
    return changed == 1


# ---------------------------------------------------------------------- listing


@dataclass(frozen=True)
class CaseFilter:
    """Which cases /cases shows: below an area, in some states, optionally of one category.

    ``statuses`` comes from the lifecycle (its one definition of open, or the closed ones).
    """

    id_path: str
    statuses: tuple[str, ...]
    category: str | None = None
    number: str | None = None  # a case number, or its tail ("0012")


# Filtered by area before anything is sorted: the area's communities, then the cases.
# The subtree is a range of the unique id_path index (every path below starts with it).
_IN_AREA = "c.community_id IN (SELECT id FROM areas WHERE id_path >= ? AND id_path < ?)"


def subtree_range(id_path: str) -> tuple[str, str]:
    """The id paths of an area and everything below it: [id_path, the next prefix)."""
    return id_path, id_path[:-1] + chr(ord(id_path[-1]) + 1)


def _filters(f: CaseFilter) -> tuple[str, list[object]]:
    sql = f" AND {_IN_AREA}"
    params: list[object] = [*subtree_range(f.id_path)]
    if f.category is not None:
        sql += " AND c.category = ?"
        params.append(f.category)
    if f.number is not None:
        sql += " AND c.number LIKE ?"
        params.append("%" + f.number.replace("%", "").replace("_", ""))
    return sql, params


def _where(f: CaseFilter) -> tuple[str, list[object]]:
    states, params = in_statuses(f.statuses, "c.")
    more, more_params = _filters(f)
    return f" FROM cases c WHERE {states}{more}", [*params, *more_params]


async def open_cases(
    q: Queryable,
    f: CaseFilter,
    limit: int,
    *,
    after: int | None = None,
    before: int | None = None,
) -> list[Case]:
    """A page of the cases of ``f`` reported in its area and below, oldest first.

    Keyset paging: the page after the case ``after``, or the page before the case
    ``before`` (ordered by creation time, then id), or the first page. Each state is
    read in order from ``cases_status_created`` from the key on and only ``limit`` rows
    of each are taken, so the last page costs what the first does, at any history.
    """
    key = after if after is not None else before
    backwards = before is not None and after is None
    order = " DESC" if backwards else ""
    columns = ", ".join(f"c.{c.strip()}" for c in _COLUMNS.split(","))
    more, more_params = _filters(f)
    parts: list[str] = []
    params: list[object] = []
    if not f.statuses:
        return []
    for status in sorted(f.statuses):
        sql = (
            f"SELECT {columns} FROM cases c INDEXED BY cases_status_created"
            f" WHERE c.status = ?{more}"
        )
        params.extend([status, *more_params])
        if key is not None:
            # The key case's own creation time, read here rather than carried in the button.
            sql += (
                f" AND (c.created_at, c.id) {'<' if backwards else '>'}"
                " ((SELECT created_at FROM cases WHERE id = ?), ?)"
            )
            params.extend([key, key])
        parts.append(f"SELECT * FROM ({sql} ORDER BY c.created_at{order}, c.id{order} LIMIT ?)")
        params.append(limit)
    rows = await q.fetchall(
        " UNION ALL ".join(parts) + f" ORDER BY created_at{order}, id{order} LIMIT ?",
        [*params, limit],
    )
    found = [_case(r) for r in rows]
    return found[::-1] if backwards else found


async def count_open_cases(q: Queryable, f: CaseFilter) -> int:
    """How many cases :func:`open_cases` would page through."""
    where, params = _where(f)
    return int(await q.fetchval(f"SELECT count(*){where}", params))


async def to_supervise(
    q: Queryable, stage_due: Mapping[str, str], now: str, limit: int = 200
) -> list[Case]:
    """Overdue cases whose next supervising level is due now (督办), oldest first."""
    late, params = overdue_where(stage_due, now)
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM cases WHERE {late} AND supervision_stopped = 0"
        " AND (supervise_at IS NULL OR supervise_at <= ?) ORDER BY created_at, id LIMIT ?",
        (*params, now, limit),
    )
    return [_case(r) for r in rows]


async def assigned_to(
    q: Queryable, member_id: int, statuses: tuple[str, ...], limit: int = 50
) -> list[Case]:
    """The cases in ``statuses`` assigned to a member, the soonest due first."""
    states, params = in_statuses(statuses)
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM cases WHERE assignee_id = ? AND {states}"
        " ORDER BY coalesce(resolve_due, accept_due), id LIMIT ?",
        (member_id, *params, limit),
    )
    return [_case(r) for r in rows]


async def assignee_due_soon(q: Queryable, status: str, before: str, limit: int = 200) -> list[Case]:
    """Assigned cases at ``status`` due before ``before`` whose assignee was not reminded."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM cases WHERE status = ? AND assignee_id IS NOT NULL"
        " AND assignee_reminded = 0 AND resolve_due <= ? AND closed_at IS NULL"  # the due index
        " ORDER BY resolve_due, id LIMIT ?",
        (status, before, limit),
    )
    return [_case(r) for r in rows]


async def mark_assignee_reminded(q: Queryable, case_id: int, assignee_id: int) -> bool:
    """Note that the assignee was reminded of the limit; False if done already.

    The version stays: the reminder changes nothing anyone's buttons depend on.
    """
    row = await q.fetchval(
        "UPDATE cases SET assignee_reminded = 1 WHERE id = ? AND assignee_id = ?"
        " AND assignee_reminded = 0 RETURNING 1",
        (case_id, assignee_id),
    )
    return row is not None


async def stop_supervision(q: Queryable, case_id: int) -> None:
    """Note that no level is left to add as a supervisor (the version stays: nothing shown
    changes, so everyone's buttons remain valid)."""
    await q.execute("UPDATE cases SET supervision_stopped = 1 WHERE id = ?", (case_id,))


async def resolved_before(q: Queryable, cutoff: str, limit: int = 200) -> list[Case]:
    """Resolved cases the reporter has not answered since before ``cutoff``."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM cases WHERE status = 'resolved' AND resolved_at <= ?"
        " ORDER BY resolved_at, id LIMIT ?",
        (cutoff, limit),
    )
    return [_case(r) for r in rows]


async def verify_overdue(q: Queryable, now: str, limit: int = 200) -> list[Case]:
    """Resolved cases past their verify time whose reporter was not reminded yet."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM cases WHERE status = 'resolved' AND verify_reminded = 0"
        " AND verify_due <= ? ORDER BY verify_due, id LIMIT ?",
        (now, limit),
    )
    return [_case(r) for r in rows]


async def mark_verify_reminded(q: Queryable, case_id: int) -> bool:
    """Note that the reporter was reminded to answer; False if that was done already.

    The version stays: the reporter's answer buttons of the resolution remain valid.
    """
    row = await q.fetchval(
        "UPDATE cases SET verify_reminded = 1 WHERE id = ? AND verify_reminded = 0"
        " AND status = 'resolved' RETURNING 1",
        (case_id,),
    )
    return row is not None


# ---------------------------------------------------------------------- alert copies


@dataclass(frozen=True)
class Watcher:
    """Someone holding an alert of a case: a member, or a group chat (member_id None)."""

    recipient: str
    member_id: int | None
    area_id: int


async def add_watcher(
    q: Queryable, case_id: int, recipient: str, member_id: int | None, area_id: int, now: str
) -> bool:
    """Record that ``recipient`` holds an alert of the case; False if it did already."""
    row = await q.fetchval(
        "INSERT INTO case_watchers (case_id, recipient, member_id, area_id, added_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
        (case_id, recipient, member_id, area_id, now),
    )
    return row is not None


async def watchers(q: Queryable, case_id: int) -> list[Watcher]:
    """Everyone holding an alert of the case, in the order they got it."""
    rows = await q.fetchall(
        "SELECT recipient, member_id, area_id FROM case_watchers WHERE case_id = ? ORDER BY rowid",
        (case_id,),
    )
    return [Watcher(r[0], r[1], r[2]) for r in rows]


async def remember_message(
    q: Queryable, edit_key: str, chat_id: int, message_id: int, now: str
) -> None:
    """Keep the message sent under ``edit_key``, to edit it later."""
    await q.execute(
        "INSERT INTO message_refs (edit_key, chat_id, message_id, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (edit_key) DO UPDATE SET chat_id = excluded.chat_id,"
        " message_id = excluded.message_id, updated_at = excluded.updated_at",
        (edit_key, chat_id, message_id, now),
    )


async def message_ref(q: Queryable, edit_key: str) -> tuple[int, int] | None:
    """(chat id, message id) of the message kept under ``edit_key``, or None."""
    row = await q.fetchone(
        "SELECT chat_id, message_id FROM message_refs WHERE edit_key = ?", (edit_key,)
    )
    return None if row is None else (int(row[0]), int(row[1]))


# ---------------------------------------------------------------------- group chats


async def bind_group(q: Queryable, area_id: int, chat_id: int, by: int, now: str) -> None:
    """Bind a group chat to an area (a chat serves one area; binding again moves it)."""
    await q.execute("DELETE FROM area_groups WHERE chat_id = ?", (chat_id,))
    await q.execute(
        "INSERT INTO area_groups (area_id, chat_id, bound_by, bound_at) VALUES (?, ?, ?, ?)",
        (area_id, chat_id, by, now),
    )


async def unbind_group(q: Queryable, chat_id: int) -> int | None:
    """Unbind a group chat; return the area it served, or None if it was not bound."""
    area_id = await q.fetchval("SELECT area_id FROM area_groups WHERE chat_id = ?", (chat_id,))
    await q.execute("DELETE FROM area_groups WHERE chat_id = ?", (chat_id,))
    return None if area_id is None else int(area_id)


async def group_area(q: Queryable, chat_id: int) -> int | None:
    """The area a group chat is bound to, or None."""
    area_id = await q.fetchval("SELECT area_id FROM area_groups WHERE chat_id = ?", (chat_id,))
    return None if area_id is None else int(area_id)


async def groups_of(q: Queryable, area_id: int) -> list[int]:
    """The chat ids of the group chats bound to an area."""
    rows = await q.fetchall(
        "SELECT chat_id FROM area_groups WHERE area_id = ? ORDER BY chat_id", (area_id,)
    )
    return [int(r[0]) for r in rows]


# ---------------------------------------------------------------------- mediations


@dataclass(frozen=True)
class Mediation:
    """The mediation record of a settled dispute."""

    case_id: int
    mediator_id: int
    parties: str
    facts: str
    agreement: str
    fulfilment: str
    recorded_at: str
    revisit_at: str
    revisit_sent: bool


_MEDIATION = (
    "case_id, mediator_id, parties, facts, agreement, fulfilment, recorded_at, revisit_at,"
    " revisit_sent"
)


async def save_mediation(q: Queryable, m: Mediation) -> None:
    """Store (or replace, when a reopened dispute is settled again) a mediation record."""
    await q.execute(
        f"INSERT OR REPLACE INTO mediations ({_MEDIATION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            m.case_id,
            m.mediator_id,
            m.parties,
            m.facts,
            m.agreement,
            m.fulfilment,
            m.recorded_at,
            m.revisit_at,
            int(m.revisit_sent),
        ),
    )


async def mediation(q: Queryable, case_id: int) -> Mediation | None:
    """The mediation record of a case, or None."""
    row = await q.fetchone(f"SELECT {_MEDIATION} FROM mediations WHERE case_id = ?", (case_id,))
    if row is None:
        return None
    values = dict(row)
    values["revisit_sent"] = bool(values["revisit_sent"])
    return Mediation(**values)


async def revisits_due(q: Queryable, now: str, limit: int = 200) -> list[Mediation]:
    """Mediations whose follow-up visit is due and not yet reminded."""
    rows = await q.fetchall(
        f"SELECT {_MEDIATION} FROM mediations WHERE revisit_sent = 0 AND revisit_at <= ?"
        " ORDER BY revisit_at LIMIT ?",
        (now, limit),
    )
    return [Mediation(**{**dict(r), "revisit_sent": bool(r["revisit_sent"])}) for r in rows]


async def mark_revisit_sent(q: Queryable, case_id: int) -> None:
    """Note that the mediator was reminded to visit again."""
    await q.execute("UPDATE mediations SET revisit_sent = 1 WHERE case_id = ?", (case_id,))
