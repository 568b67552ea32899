"""The notices repository: notices sent down the grid and their deliveries, one per recipient.

A delivery row is written for every recipient when the notice is sent; it is handed to
the outbox later (``outbox_id``), a few hundred at a time, and its outbox row says whether
Telegram took it (sent), refused it for good (failed: unreachable) or it was stopped
(cancelled). Reading, relaying and the households reached are kept on the delivery row.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Queryable, Row

_COLUMNS = (
    "id, draft_key, author_id, area_id, title, body, photos, document_id, document_name,"
    " voice_id, targets, roles, confirm, deadline_at, status, recipients, created_at,"
    " finished_at, progress_chat_id, progress_message_id, progress_text, progress_final,"
    " reminded_at"
)


@dataclass(frozen=True)
class Notice:
    """A notice as its author wrote it, and where its sending stands."""

    id: int
    draft_key: str
    author_id: int
    area_id: int
    title: str
    body: str
    photos: tuple[str, ...]
    document_id: str | None
    document_name: str | None
    voice_id: str | None
    targets: tuple[int, ...]
    roles: tuple[str, ...]
    confirm: bool
    deadline_at: str | None
    status: str  # sending, paused, recalled, done
    recipients: int
    created_at: str
    finished_at: str | None
    progress_chat_id: int | None
    progress_message_id: int | None
    progress_text: str | None
    progress_final: bool
    reminded_at: str | None


def _notice(row: Row) -> Notice:
    values = dict(row)
    values["photos"] = tuple(json.loads(values["photos"]))
    values["targets"] = tuple(json.loads(values["targets"]))
    values["roles"] = tuple(json.loads(values["roles"]))
    values["confirm"] = bool(values["confirm"])
    values["progress_final"] = bool(values["progress_final"])
    return Notice(**values)


@dataclass(frozen=True)
class Counts:
    """How far a notice has gone: per delivery row, its outbox state and the answers."""

    total: int
    sent: int  # Telegram took it
    failed: int  # unreachable (blocked the bot, or kept failing)
    cancelled: int  # stopped by a pause or a recall, not handed out again (yet)
    queued: int  # in the outbox, waiting
    unfed: int  # not handed to the outbox yet
    read: int
    relayed: int
    households: int

    @property
    def done(self) -> int:
        """Rows that will not change any more by sending: sent or unreachable."""
        return self.sent + self.failed


@dataclass(frozen=True)
class DeliveryRow:
    """One recipient of a notice."""

    notice_id: int
    member_id: int
    area_id: int
    outbox_id: int | None
    outbox_status: str | None
    read_at: str | None
    relayed_at: str | None
    households: int | None
    outreach_id: int | None


async def insert(q: Queryable, values: dict[str, Any]) -> int | None:
    """Add a notice; None if a notice with its ``draft_key`` exists already."""
    data = dict(values)
    for key in ("photos", "targets", "roles"):
        data[key] = json.dumps(list(data[key]), ensure_ascii=False)
    data["confirm"] = int(bool(data["confirm"]))
    names = list(data)
    row_id = await q.fetchval(
        f"INSERT INTO notices ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        " ON CONFLICT (draft_key) DO NOTHING RETURNING id",
        [data[n] for n in names],
    )
    return None if row_id is None else int(row_id)


async def get(q: Queryable, notice_id: int) -> Notice | None:
    """The notice with this id, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM notices WHERE id = ?", (notice_id,))
    return None if row is None else _notice(row)


async def status(q: Queryable, notice_id: int) -> tuple[str, str] | None:
    """The notice's status and draft key, or None if there is no such notice."""
    row = await q.fetchone("SELECT status, draft_key FROM notices WHERE id = ?", (notice_id,))
    return None if row is None else (str(row[0]), str(row[1]))


async def by_draft_key(q: Queryable, draft_key: str) -> Notice | None:
    """The notice sent from the compose flow ``draft_key``, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM notices WHERE draft_key = ?", (draft_key,))
    return None if row is None else _notice(row)


async def by_author(q: Queryable, author_id: int, limit: int) -> list[Notice]:
    """The author's notices, newest first."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM notices WHERE author_id = ? ORDER BY id DESC LIMIT ?",
        (author_id, limit),
    )
    return [_notice(r) for r in rows]


async def unfinished(q: Queryable) -> list[Notice]:
    """Notices whose sending, recall or progress message is not finished."""
    rows = await q.fetchall(f"SELECT {_COLUMNS} FROM notices WHERE progress_final = 0 ORDER BY id")
    return [_notice(r) for r in rows]


async def awaiting_reminder(q: Queryable) -> list[Notice]:
    """Notices asking for a confirmation, with a deadline, whose reminder has not gone out."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM notices WHERE confirm = 1 AND reminded_at IS NULL"
        " AND deadline_at IS NOT NULL AND status IN ('sending', 'done') ORDER BY id"
    )
    return [_notice(r) for r in rows]


async def add_deliveries(
    q: Queryable,
    notice_id: int,
    rows: Sequence[tuple[int, int, int | None, int | None, int | None]],
) -> None:
    """One delivery row per recipient: (member id, area id, level 1/2/3 area ids), in order."""
    await q.executemany(
        "INSERT INTO notice_deliveries (notice_id, member_id, seq, area_id, level1_id,"
        " level2_id, level3_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(notice_id, m, seq, a, l1, l2, l3) for seq, (m, a, l1, l2, l3) in enumerate(rows)],
    )


async def feed(q: Queryable, notice_id: int, kind: str, channel: str, now: str, limit: int) -> int:
    """Hand the next ``limit`` recipients not in the outbox to it; return how many.

    One INSERT ... SELECT and one batch of UPDATEs, however many rows: a broadcast to
    thousands is handed out a few hundred at a time, and row by row that would be
    thousands of round trips. The rows are what ``storage.outbox.enqueue`` writes; the
    feed's token makes each dedupe key new (a row stopped by a pause is handed out again).
    """
    if limit <= 0:
        return 0
    token = secrets.token_hex(4)
    payload = json.dumps({"notice_id": notice_id}, sort_keys=True)
    prefix = f"notice:{notice_id}:"
    added = await q.fetchall(
        "INSERT INTO outbox (channel, recipient, member_id, kind, payload, dedupe_key,"
        " next_try_at, created_at)"
        " SELECT ?, CAST(m.tg_user_id AS TEXT), d.member_id, ?, ?, ? || d.member_id || ':' || ?,"
        " ?, ? FROM notice_deliveries d JOIN members m ON m.id = d.member_id"
        " LEFT JOIN outbox o ON o.id = d.outbox_id"
        " WHERE d.notice_id = ? AND (d.outbox_id IS NULL OR o.status = 'cancelled')"
        " ORDER BY d.seq LIMIT ? RETURNING id, member_id",
        (channel, kind, payload, prefix, token, now, now, notice_id, limit),
    )
    await q.executemany(
        "UPDATE notice_deliveries SET outbox_id = ? WHERE notice_id = ? AND member_id = ?",
        [(int(r[0]), notice_id, int(r[1])) for r in added],
    )
    return len(added)


async def queued(q: Queryable, notice_id: int) -> int:
    """How many of the notice's rows wait in the outbox."""
    return int(
        await q.fetchval(
            "SELECT count(*) FROM notice_deliveries d JOIN outbox o ON o.id = d.outbox_id"
            " WHERE d.notice_id = ? AND o.status = 'pending'",
            (notice_id,),
        )
    )


async def cancel_queued(q: Queryable, notice_id: int) -> int:
    """Stop the notice's rows waiting in the outbox; return how many."""
    await q.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' AND id IN"
        " (SELECT outbox_id FROM notice_deliveries WHERE notice_id = ? AND outbox_id IS NOT NULL)",
        (notice_id,),
    )
    return int(await q.fetchval("SELECT changes()"))


async def set_status(q: Queryable, notice_id: int, status: str, at: str | None = None) -> None:
    """Change the notice's status (``at``: when it finished, for done and recalled)."""
    await q.execute(
        "UPDATE notices SET status = ?, finished_at = coalesce(?, finished_at),"
        " progress_final = CASE WHEN ? IN ('sending', 'paused', 'recalled') THEN 0"
        " ELSE progress_final END WHERE id = ?",
        (status, at, status, notice_id),
    )


async def set_progress_message(q: Queryable, notice_id: int, chat_id: int, message_id: int) -> None:
    """Remember the admin's progress message, to edit it in place."""
    await q.execute(
        "UPDATE notices SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, notice_id),
    )


async def set_progress_text(q: Queryable, notice_id: int, text: str, final: bool) -> None:
    """Remember what the progress message shows; ``final``: it will not change any more."""
    await q.execute(
        "UPDATE notices SET progress_text = ?, progress_final = ? WHERE id = ?",
        (text, int(final), notice_id),
    )


async def set_reminded(q: Queryable, notice_id: int, at: str) -> None:
    """Record that the reminder before the deadline went out."""
    await q.execute("UPDATE notices SET reminded_at = ? WHERE id = ?", (at, notice_id))


# A row held for a member who blocked the bot (pending, member unreachable) counts as
# unreachable: it is not retried, and goes out if they unblock the bot.
_COUNTS = (
    "SELECT count(*), sum(o.status = 'sent'),"
    " sum(o.status = 'failed' OR (o.status = 'pending' AND m.unreachable_since IS NOT NULL)),"
    " sum(o.status = 'cancelled'),"
    " sum(o.status = 'pending' AND m.unreachable_since IS NULL), sum(d.outbox_id IS NULL),"
    " sum(d.read_at IS NOT NULL), sum(d.relayed_at IS NOT NULL), sum(coalesce(d.households, 0))"
    " FROM notice_deliveries d LEFT JOIN outbox o ON o.id = d.outbox_id"
    " JOIN members m ON m.id = d.member_id"
)


def _counts(values: Sequence[Any] | None) -> Counts:
    return Counts(*[int(v or 0) for v in (values or [0] * 9)])


async def counts(q: Queryable, notice_id: int) -> Counts:
    """Where the notice's deliveries stand."""
    row = await q.fetchone(f"{_COUNTS} WHERE d.notice_id = ?", (notice_id,))
    return _counts(None if row is None else tuple(row))


async def counts_by(
    q: Queryable, notice_id: int, level: int, parent_level: int | None, parent_id: int | None
) -> list[tuple[int | None, Counts]]:
    """The notice's counts grouped by the recipients' area at ``level`` (1, 2 or 3).

    With ``parent_level``, only recipients whose area at that level is ``parent_id``.
    Recipients sitting above ``level`` (admins) are grouped under None.
    """
    column = f"d.level{level}_id"
    sql = f"SELECT {column}, {_COUNTS.removeprefix('SELECT ')} WHERE d.notice_id = ?"
    params: list[object] = [notice_id]
    if parent_level is not None:
        sql += f" AND d.level{parent_level}_id = ?"
        params.append(parent_id)
    rows = await q.fetchall(sql + f" GROUP BY {column}", params)
    return [(None if r[0] is None else int(r[0]), _counts(tuple(r)[1:])) for r in rows]


async def unconfirmed_names(
    q: Queryable, notice_id: int, level: int | None, area_id: int | None, limit: int
) -> list[tuple[str, str]]:
    """Names and area names of the first recipients (in sending order) not confirmed yet.

    Confirmed means relayed (已传达) for a notice asking it, read (已读) otherwise.
    With ``level``, only recipients whose area at that level is ``area_id``.
    """
    confirm = await q.fetchval("SELECT confirm FROM notices WHERE id = ?", (notice_id,))
    answered = "d.relayed_at" if confirm else "d.read_at"
    sql = (
        "SELECT m.name, a.name FROM notice_deliveries d JOIN members m ON m.id = d.member_id"
        f" JOIN areas a ON a.id = d.area_id WHERE d.notice_id = ? AND {answered} IS NULL"
    )
    params: list[object] = [notice_id]
    if level is not None:
        sql += f" AND d.level{level}_id = ?"
        params.append(area_id)
    rows = await q.fetchall(sql + " ORDER BY d.seq LIMIT ?", [*params, limit])
    return [(str(r[0]), str(r[1])) for r in rows]


async def delivery(q: Queryable, notice_id: int, member_id: int) -> DeliveryRow | None:
    """The delivery of the notice to this member, or None (it was not sent to them)."""
    row = await q.fetchone(
        "SELECT d.notice_id, d.member_id, d.area_id, d.outbox_id, o.status, d.read_at,"
        " d.relayed_at, d.households, d.outreach_id FROM notice_deliveries d"
        " LEFT JOIN outbox o ON o.id = d.outbox_id WHERE d.notice_id = ? AND d.member_id = ?",
        (notice_id, member_id),
    )
    return None if row is None else DeliveryRow(*row)


async def set_read(q: Queryable, notice_id: int, member_id: int, at: str) -> None:
    """Record that the member read the notice (first time only)."""
    await q.execute(
        "UPDATE notice_deliveries SET read_at = coalesce(read_at, ?)"
        " WHERE notice_id = ? AND member_id = ?",
        (at, notice_id, member_id),
    )


async def set_relayed(q: Queryable, notice_id: int, member_id: int, at: str) -> bool:
    """Record that the member relayed the notice; False if they had already."""
    changed = await q.fetchval(
        "UPDATE notice_deliveries SET relayed_at = ?, read_at = coalesce(read_at, ?)"
        " WHERE notice_id = ? AND member_id = ? AND relayed_at IS NULL RETURNING 1",
        (at, at, notice_id, member_id),
    )
    return changed is not None


async def set_households(
    q: Queryable, notice_id: int, member_id: int, households: int, outreach_id: int
) -> bool:
    """Record the households reached and the outreach logged; False if recorded already."""
    changed = await q.fetchval(
        "UPDATE notice_deliveries SET households = ?, outreach_id = ?"
        " WHERE notice_id = ? AND member_id = ? AND outreach_id IS NULL RETURNING 1",
        (households, outreach_id, notice_id, member_id),
    )
    return changed is not None


async def to_remind(q: Queryable, notice_id: int) -> list[int]:
    """Members the notice reached who have not relayed it and were not reminded."""
    rows = await q.fetchall(
        "SELECT d.member_id FROM notice_deliveries d JOIN outbox o ON o.id = d.outbox_id"
        " WHERE d.notice_id = ? AND o.status = 'sent' AND d.relayed_at IS NULL"
        " AND d.reminded = 0 ORDER BY d.seq",
        (notice_id,),
    )
    return [int(r[0]) for r in rows]


async def mark_reminded(q: Queryable, notice_id: int, member_ids: Sequence[int]) -> None:
    """Record that these recipients were reminded."""
    await q.executemany(
        "UPDATE notice_deliveries SET reminded = 1 WHERE notice_id = ? AND member_id = ?",
        [(notice_id, m) for m in member_ids],
    )


async def to_delete(q: Queryable, notice_id: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """Sent deliveries of a recalled notice whose messages are not deleted yet: (member, result)."""
    rows = await q.fetchall(
        "SELECT d.member_id, o.result FROM notice_deliveries d JOIN outbox o ON o.id = d.outbox_id"
        " WHERE d.notice_id = ? AND o.status = 'sent' AND d.recall_done = 0 ORDER BY d.seq LIMIT ?",
        (notice_id, limit),
    )
    return [(int(r[0]), json.loads(r[1]) if r[1] else {}) for r in rows]


async def mark_deleted(q: Queryable, notice_id: int, member_ids: Sequence[int]) -> None:
    """Record that the recall dealt with these recipients' messages."""
    await q.executemany(
        "UPDATE notice_deliveries SET recall_done = 1 WHERE notice_id = ? AND member_id = ?",
        [(notice_id, m) for m in member_ids],
    )


async def deleted(q: Queryable, notice_id: int) -> int:
    """How many recipients' messages the recall has dealt with."""
    return int(
        await q.fetchval(
            "SELECT count(*) FROM notice_deliveries WHERE notice_id = ? AND recall_done = 1",
            (notice_id,),
        )
    )


async def export_rows(q: Queryable, notice_id: int) -> list[Row]:
    """Every recipient with their area, role and answers, in sending order."""
    return await q.fetchall(
        "SELECT a.path, m.name, m.role, m.work_id, o.status, d.read_at, d.relayed_at,"
        " d.households FROM notice_deliveries d JOIN members m ON m.id = d.member_id"
        " JOIN areas a ON a.id = d.area_id LEFT JOIN outbox o ON o.id = d.outbox_id"
        " WHERE d.notice_id = ? ORDER BY d.seq",
        (notice_id,),
    )
