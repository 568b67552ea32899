"""The cases repository: cases, their photos, their audit trail (case_events), the
guarded transitions and the lists and sweeps' queries.

A case's transition is written inside its transaction (see ``bot/services/cases/``);
:func:`update_case` changes a case only if its version is still the one the caller
read, which is how two admins pressing at once are told apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.db import Queryable, Row, Transaction

_COLUMNS = (
    "id, number, category, subcategory, details, description, voice_file_id, voice_duration,"
    " place_area_id, place_text, latitude, longitude, urgent, anonymous, reporter_id,"
    " community_id, responsible_area_id, assignee_id, status, reject_reason, resolution,"
    " accept_due, resolve_due, verify_due, created_at, updated_at, closed_at, rating,"
    " idempotency_key, version, escalations, resolved_at, resolved_by, verify_reminded,"
    " supervise_at, supervision_stopped, assignee_reminded"
)


@dataclass(frozen=True)
class Case:
    """One reported case, as stored."""

    id: int
    number: str
    category: str
    subcategory: str
    details: dict[str, Any]
    description: str | None
    voice_file_id: str | None
    voice_duration: int | None
    place_area_id: int | None
    place_text: str | None
    latitude: float | None
    longitude: float | None
    urgent: bool
    anonymous: bool
    reporter_id: int
    community_id: int
    responsible_area_id: int
    assignee_id: int | None
    status: str
    reject_reason: str | None
    resolution: str | None
    accept_due: str | None
    resolve_due: str | None
    verify_due: str | None
    created_at: str
    updated_at: str
    closed_at: str | None
    rating: str | None
    idempotency_key: str | None
    # case handling (#4): bumped by each transition; levels gone up; when it was resolved
    version: int = 0
    escalations: int = 0
    resolved_at: str | None = None
    resolved_by: int | None = None
    verify_reminded: bool = False
    # supervision (#9): when the next level is added if still overdue; stopped at the top
    supervise_at: str | None = None
    supervision_stopped: bool = False
    assignee_reminded: bool = False


@dataclass(frozen=True)
class NewCase:
    """What is stored when a case is opened."""

    number: str
    category: str
    subcategory: str
    details: dict[str, Any]
    description: str | None
    voice_file_id: str | None
    voice_duration: int | None
    place_area_id: int | None
    place_text: str | None
    latitude: float | None
    longitude: float | None
    urgent: bool
    anonymous: bool
    reporter_id: int
    community_id: int
    accept_due: str
    resolve_due: str
    verify_due: str | None
    now: str
    idempotency_key: str | None


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's audit trail."""

    id: int
    case_id: int
    at: str
    actor_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    data: dict[str, Any]
    internal: bool


@dataclass(frozen=True)
class CasePhoto:
    """A photo of a case (reported with it, or of its resolution)."""

    file_id: str
    file_unique_id: str | None
    stage: str
    position: int


def _case(row: Row) -> Case:
    values = dict(row)
    values["details"] = json.loads(values["details"] or "{}")
    values["urgent"] = bool(values["urgent"])
    values["anonymous"] = bool(values["anonymous"])
    values["verify_reminded"] = bool(values["verify_reminded"])
    values["supervision_stopped"] = bool(values["supervision_stopped"])
    values["assignee_reminded"] = bool(values["assignee_reminded"])
    return Case(**values)


async def insert(q: Queryable, new: NewCase) -> Case:
    """Store a new case in state 'new', responsible at its community; return it as stored
    (read back by the same statement)."""
    rows = await q.fetchall(
        "INSERT INTO cases (number, category, subcategory, details, description, voice_file_id,"
        " voice_duration, place_area_id, place_text, latitude, longitude, urgent, anonymous,"
        " reporter_id, community_id, responsible_area_id, status, accept_due, resolve_due,"
        " verify_due, created_at, updated_at, idempotency_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?)"
        f" RETURNING {_COLUMNS}",
        (
            new.number,
            new.category,
            new.subcategory,
            json.dumps(new.details, ensure_ascii=False, sort_keys=True),
            new.description,
            new.voice_file_id,
            new.voice_duration,
            new.place_area_id,
            new.place_text,
            new.latitude,
            new.longitude,
            int(new.urgent),
            int(new.anonymous),
            new.reporter_id,
            new.community_id,
            new.community_id,
            new.accept_due,
            new.resolve_due,
            new.verify_due,
            new.now,
            new.now,
            new.idempotency_key,
        ),
    )
    return _case(rows[0])


def in_statuses(statuses: Iterable[str], alias: str = "") -> tuple[str, list[object]]:
    """A WHERE fragment: the case's status is one of ``statuses`` (given by the lifecycle)."""
    chosen = sorted(str(s) for s in statuses)
    return f"{alias}status IN ({','.join('?' * len(chosen))})", list(chosen)


def overdue_where(
    stage_due: Mapping[str, str], now: str, alias: str = ""
) -> tuple[str, list[object]]:
    """A WHERE fragment: the case is in a stage of ``stage_due`` whose due time is past.

    ``stage_due`` (status -> due column) is the lifecycle's one definition of overdue.
    """
    parts: list[str] = []
    params: list[object] = []
    for status, column in sorted(stage_due.items()):
        if column not in _DUE_COLUMNS:
            raise ValueError(f"not a due column: {column}")
        # closed_at IS NULL holds for every open case; named so that each branch can use
        # the partial due-time indexes (migration 0010).
        parts.append(f"({alias}status = ? AND {alias}{column} <= ? AND {alias}closed_at IS NULL)")
        params.extend([str(status), now])
    return "(" + " OR ".join(parts) + ")", params


_DUE_COLUMNS = frozenset({"accept_due", "resolve_due", "verify_due"})


async def get(q: Queryable, case_id: int) -> Case | None:
    """The case with this id, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM cases WHERE id = ?", (case_id,))
    return None if row is None else _case(row)


async def by_number(q: Queryable, number: str) -> Case | None:
    """The case with this public number, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM cases WHERE number = ?", (number,))
    return None if row is None else _case(row)


async def by_idempotency_key(q: Queryable, key: str) -> Case | None:
    """The case made from the draft ``key``, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM cases WHERE idempotency_key = ?", (key,))
    return None if row is None else _case(row)


async def of_reporter(q: Queryable, reporter_id: int, limit: int, offset: int) -> list[Case]:
    """A page of a reporter's cases, newest first."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM cases WHERE reporter_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        (reporter_id, limit, offset),
    )
    return [_case(r) for r in rows]


async def count_of_reporter(q: Queryable, reporter_id: int) -> int:
    """How many cases a reporter has made."""
    return int(await q.fetchval("SELECT count(*) FROM cases WHERE reporter_id = ?", (reporter_id,)))


async def add_photo(
    q: Queryable,
    case_id: int,
    *,
    file_id: str,
    file_unique_id: str | None,
    stage: str,
    position: int,
    added_by: int | None,
    now: str,
) -> None:
    """Attach a photo to a case."""
    await q.execute(
        "INSERT INTO case_photos (case_id, file_id, file_unique_id, stage, position, added_by,"
        " added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, file_id, file_unique_id, stage, position, added_by, now),
    )


async def photos(q: Queryable, case_id: int, stage: str | None = None) -> list[CasePhoto]:
    """A case's photos, in order (of one stage, if given)."""
    sql = "SELECT file_id, file_unique_id, stage, position FROM case_photos WHERE case_id = ?"
    params: list[object] = [case_id]
    if stage is not None:
        sql += " AND stage = ?"
        params.append(stage)
    rows = await q.fetchall(sql + " ORDER BY stage, position", params)
    return [CasePhoto(r[0], r[1], r[2], r[3]) for r in rows]


async def add_event(
    q: Queryable,
    case_id: int,
    *,
    at: str,
    actor_id: int | None,
    kind: str,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
    internal: bool = False,
) -> int:
    """Append an entry to a case's audit trail; return its id."""
    return await q.execute(
        "INSERT INTO case_events (case_id, at, actor_id, kind, from_status, to_status, data,"
        " internal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            at,
            actor_id,
            kind,
            from_status,
            to_status,
            json.dumps(data or {}, ensure_ascii=False, sort_keys=True),
            int(internal),
        ),
    )


async def events(q: Queryable, case_id: int, *, include_internal: bool) -> list[CaseEvent]:
    """A case's audit trail, oldest first; internal notes only if asked for."""
    sql = (
        "SELECT id, case_id, at, actor_id, kind, from_status, to_status, data, internal"
        " FROM case_events WHERE case_id = ?"
    )
    if not include_internal:
        sql += " AND internal = 0"
    rows = await q.fetchall(sql + " ORDER BY id", (case_id,))
    return [
        CaseEvent(
            id=r[0],
            case_id=r[1],
            at=r[2],
            actor_id=r[3],
            kind=r[4],
            from_status=r[5],
            to_status=r[6],
            data=json.loads(r[7]),
            internal=bool(r[8]),
        )
        for r in rows
    ]


# ---------------------------------------------------------------------- guarded transitions


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
) -> Case | None:
    """Apply ``changes`` and bump the version if the case is still at ``version``; the case
    as changed (read back by the same statement), or None if it was not at ``version``."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = "".join(f", {name} = ?" for name in changes)
    rows = await tx.fetchall(
        f"UPDATE cases SET version = version + 1, updated_at = ?{sets}"
        f" WHERE id = ? AND version = ? RETURNING {_COLUMNS}",
        (now, *changes.values(), case_id, version),
    )
    return _case(rows[0]) if rows else None


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
    newest_first: bool = False  # the finished cases: the latest reported first


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
    ``before`` (ordered by creation time, then id; newest first if ``f.newest_first``),
    or the first page. Each state is read in order from ``cases_status_created`` from
    the key on and only ``limit`` rows of each are taken, so the last page costs what
    the first does, at any history.
    """
    key = after if after is not None else before
    backwards = before is not None and after is None
    # The order rows are read in: a page before the key is read away from it, then turned.
    descending = f.newest_first != backwards
    order = " DESC" if descending else ""
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
                f" AND (c.created_at, c.id) {'<' if descending else '>'}"
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


async def count_open_cases(q: Queryable, f: CaseFilter, cap: int) -> int:
    """How many cases :func:`open_cases` would page through, counted up to ``cap`` + 1.

    Counting stops there: the finished cases of a district run into the millions, and
    counting them all would cost a scan of the history on every look at the list.
    """
    where, params = _where(f)
    return int(
        await q.fetchval(f"SELECT count(*) FROM (SELECT 1{where} LIMIT ?)", [*params, cap + 1])
    )


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


async def has_assigned(q: Queryable, member_id: int, statuses: tuple[str, ...]) -> bool:
    """Whether a case in ``statuses`` is assigned to the member (the assignee index)."""
    states, params = in_statuses(statuses)
    found = await q.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM cases WHERE assignee_id = ? AND {states})",
        (member_id, *params),
    )
    return bool(found)


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
