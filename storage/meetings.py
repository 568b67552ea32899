"""The meetings repository: series, occurrences, answers, check-ins and reminder records."""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.db import Queryable, Row


@dataclass(frozen=True)
class Series:
    """A meeting series (例会) and its rule, as stored."""

    id: int
    area_id: int
    title: str
    rule: str
    weekday: int | None
    nth: int | None
    day: int | None
    on_date: str | None
    local_time: str
    duration_minutes: int
    place: str
    roles: tuple[str, ...]
    offsets: tuple[int, ...]
    created_by: int | None
    created_at: str
    cancelled_at: str | None


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series."""

    id: int
    series_id: int
    slot: str
    starts_at: str
    place: str | None
    status: str
    changed: bool
    minutes: str | None


@dataclass(frozen=True)
class Attendance:
    """A member's answer and check-in for one occurrence."""

    occurrence_id: int
    member_id: int
    answer: str | None
    reason: str | None
    checked_in_at: str | None


def _series(row: Row) -> Series:
    values = dict(row)
    values["roles"] = tuple(json.loads(values["roles"]))
    values["offsets"] = tuple(json.loads(values["offsets"]))
    return Series(**values)


def _occurrence(row: Row) -> Occurrence:
    values = dict(row)
    values["changed"] = bool(values["changed"])
    return Occurrence(**values)


_OCC = (
    "SELECT id, series_id, slot, starts_at, place, status, changed, minutes"
    " FROM meeting_occurrences"
)


async def insert_series(
    q: Queryable,
    *,
    area_id: int,
    title: str,
    rule: str,
    weekday: int | None,
    nth: int | None,
    day: int | None,
    on_date: str | None,
    local_time: str,
    place: str,
    roles: list[str],
    offsets: list[int],
    created_by: int,
    now: str,
) -> int:
    """Add a series; return its id."""
    return await q.execute(
        "INSERT INTO meeting_series (area_id, title, rule, weekday, nth, day, on_date,"
        " local_time, place, roles, offsets, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            area_id,
            title,
            rule,
            weekday,
            nth,
            day,
            on_date,
            local_time,
            place,
            json.dumps(roles),
            json.dumps(offsets),
            created_by,
            now,
        ),
    )


async def get_series(q: Queryable, series_id: int) -> Series | None:
    """The series with this id, or None."""
    row = await q.fetchone("SELECT * FROM meeting_series WHERE id = ?", (series_id,))
    return None if row is None else _series(row)


async def active_series(q: Queryable) -> list[Series]:
    """Every series not cancelled."""
    rows = await q.fetchall("SELECT * FROM meeting_series WHERE cancelled_at IS NULL ORDER BY id")
    return [_series(r) for r in rows]


async def all_series(q: Queryable) -> list[Series]:
    """Every series, cancelled ones too."""
    rows = await q.fetchall("SELECT * FROM meeting_series ORDER BY id")
    return [_series(r) for r in rows]


async def keep_place_of_started(q: Queryable, series_id: int, now: str, place: str) -> None:
    """Write the series' current place onto its occurrences that began, before it changes.

    An occurrence without a place of its own takes the series' place; one that was held
    must keep the place it was held at.
    """
    await q.execute(
        "UPDATE meeting_occurrences SET place = ?"
        " WHERE series_id = ? AND place IS NULL AND starts_at <= ?",
        (place, series_id, now),
    )


async def cancel_series(q: Queryable, series_id: int, now: str) -> None:
    """Mark a series cancelled."""
    await q.execute("UPDATE meeting_series SET cancelled_at = ? WHERE id = ?", (now, series_id))


async def set_series_place(q: Queryable, series_id: int, place: str) -> None:
    """Change a series' place."""
    await q.execute("UPDATE meeting_series SET place = ? WHERE id = ?", (place, series_id))


async def set_series_time(q: Queryable, series_id: int, local_time: str) -> None:
    """Change a series' local time of day ('HH:MM')."""
    await q.execute(
        "UPDATE meeting_series SET local_time = ? WHERE id = ?", (local_time, series_id)
    )


async def retime(q: Queryable, occurrence_id: int, starts_at: str) -> None:
    """Set when an occurrence starts, as its series now says (not an individual move)."""
    await q.execute(
        "UPDATE meeting_occurrences SET starts_at = ? WHERE id = ?", (starts_at, occurrence_id)
    )


async def add_occurrence(q: Queryable, series_id: int, slot: str, starts_at: str) -> None:
    """Record an occurrence of a series on its rule's local date ``slot``, unless it exists."""
    await q.execute(
        "INSERT INTO meeting_occurrences (series_id, slot, starts_at) VALUES (?, ?, ?)"
        " ON CONFLICT (series_id, slot) DO NOTHING",
        (series_id, slot, starts_at),
    )


async def get_occurrence(q: Queryable, occurrence_id: int) -> Occurrence | None:
    """The occurrence with this id, or None."""
    row = await q.fetchone(f"{_OCC} WHERE id = ?", (occurrence_id,))
    return None if row is None else _occurrence(row)


async def occurrences_between(
    q: Queryable, since: str, until: str, *, series_id: int | None = None
) -> list[Occurrence]:
    """Occurrences (any status) starting in [since, until], in order."""
    sql = f"{_OCC} WHERE starts_at >= ? AND starts_at <= ?"
    params: list[object] = [since, until]
    if series_id is not None:
        sql += " AND series_id = ?"
        params.append(series_id)
    rows = await q.fetchall(sql + " ORDER BY starts_at, id", params)
    return [_occurrence(r) for r in rows]


async def future_of_series(q: Queryable, series_id: int, now: str) -> list[Occurrence]:
    """A series' scheduled occurrences that have not started."""
    rows = await q.fetchall(
        f"{_OCC} WHERE series_id = ? AND status = 'scheduled' AND starts_at > ? ORDER BY starts_at",
        (series_id, now),
    )
    return [_occurrence(r) for r in rows]


async def set_status(q: Queryable, occurrence_id: int, status: str) -> None:
    """Set an occurrence's status (scheduled or cancelled)."""
    await q.execute(
        "UPDATE meeting_occurrences SET status = ? WHERE id = ?", (status, occurrence_id)
    )


async def move(q: Queryable, occurrence_id: int, starts_at: str) -> None:
    """Move an occurrence to another start time."""
    await q.execute(
        "UPDATE meeting_occurrences SET starts_at = ?, changed = 1 WHERE id = ?",
        (starts_at, occurrence_id),
    )


async def set_minutes(q: Queryable, occurrence_id: int, text: str, by: int, now: str) -> None:
    """Record the minutes (纪要) of an occurrence."""
    await q.execute(
        "UPDATE meeting_occurrences SET minutes = ?, minutes_by = ?, minutes_at = ? WHERE id = ?",
        (text, by, now, occurrence_id),
    )


async def answer(
    q: Queryable, occurrence_id: int, member_id: int, answer: str, reason: str | None, now: str
) -> None:
    """Record a member's answer (attend or excused), replacing an earlier one."""
    await q.execute(
        "INSERT INTO meeting_attendance (occurrence_id, member_id, answer, reason, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (occurrence_id, member_id) DO UPDATE SET"
        " answer = excluded.answer, reason = excluded.reason, answered_at = excluded.answered_at",
        (occurrence_id, member_id, answer, reason, now),
    )


async def check_in(q: Queryable, occurrence_id: int, member_id: int, now: str) -> bool:
    """Record a check-in; False if the member had checked in already."""
    before = await q.fetchval(
        "SELECT checked_in_at FROM meeting_attendance WHERE occurrence_id = ? AND member_id = ?",
        (occurrence_id, member_id),
    )
    if before is not None:
        return False
    await q.execute(
        "INSERT INTO meeting_attendance (occurrence_id, member_id, checked_in_at)"
        " VALUES (?, ?, ?) ON CONFLICT (occurrence_id, member_id) DO UPDATE SET"
        " checked_in_at = excluded.checked_in_at",
        (occurrence_id, member_id, now),
    )
    return True


async def attendance(q: Queryable, occurrence_id: int) -> dict[int, Attendance]:
    """Answers and check-ins of an occurrence, by member id."""
    rows = await q.fetchall(
        "SELECT occurrence_id, member_id, answer, reason, checked_in_at FROM meeting_attendance"
        " WHERE occurrence_id = ?",
        (occurrence_id,),
    )
    return {r["member_id"]: Attendance(**dict(r)) for r in rows}


async def checked_in_count(q: Queryable, member_id: int, occurrence_ids: list[int]) -> int:
    """Of these occurrences, how many the member checked in at."""
    if not occurrence_ids:
        return 0
    value = await q.fetchval(
        "SELECT count(*) FROM meeting_attendance WHERE member_id = ? AND checked_in_at IS NOT NULL"
        f" AND occurrence_id IN ({','.join('?' * len(occurrence_ids))})",
        [member_id, *occurrence_ids],
    )
    return int(value or 0)


async def reminded(q: Queryable, occurrence_id: int) -> set[tuple[int, int]]:
    """(member id, offset) of every reminder recorded for an occurrence."""
    rows = await q.fetchall(
        "SELECT member_id, offset_minutes FROM meeting_reminders WHERE occurrence_id = ?",
        (occurrence_id,),
    )
    return {(r["member_id"], r["offset_minutes"]) for r in rows}


async def record_reminder(
    q: Queryable,
    occurrence_id: int,
    member_id: int,
    offset_minutes: int,
    outcome: str,
    due_at: str,
    now: str,
) -> bool:
    """Record a reminder as sent or skipped; False if it was recorded before (never twice)."""
    row_id = await q.fetchval(
        "INSERT INTO meeting_reminders (occurrence_id, member_id, offset_minutes, outcome,"
        " due_at, at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (occurrence_id, member_id, offset_minutes) DO NOTHING RETURNING rowid",
        (occurrence_id, member_id, offset_minutes, outcome, due_at, now),
    )
    return row_id is not None
