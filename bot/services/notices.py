"""Notices down the grid (政策法规宣讲): an admin sends one, every leader meant confirms it.

An admin writes a notice (title, text, optional photos, one document, one voice
message), chooses the areas (their own or areas below it) and the roles that receive
it, whether a relay confirmation (已传达) is asked, and an optional deadline.
Sending writes the notice and one delivery row per recipient in one transaction; a
draft key makes a second press of 发送 find the same notice. The delivery rows are
then handed to the outbox a little ahead of what Telegram's limit lets out
(:func:`feed`), so a broadcast to thousands neither holds up other alerts for long
nor can be lost: every row is in SQLite, and a row is in the outbox at most once at a
time. Pausing stops what waits in the outbox; resuming hands it out again; recalling
stops it for good (the messages already sent are deleted by the Telegram side).

Recipients answer 已传达 (and leaders, about how many households, logged as a 政策宣讲
outreach linked to the notice) or 已读 when no confirmation was asked. Before the
deadline those who have not confirmed are reminded once and the author is told who.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from bot.clock import Clock
from bot.services.duties import HOUSEHOLDS
from bot.services.grid import ADMIN_ROLE_AT_LEVEL, LEADER_ROLES, Role, is_admin
from bot.services.notify import TELEGRAM, notify_member, queued
from bot.services.permissions import Action, may
from storage import areas as area_repo
from storage import duty_logs
from storage import members as member_repo
from storage import notices as repo
from storage import outbox as outbox_repo
from storage.areas import Area
from storage.db import Database, Queryable, Transaction
from storage.members import Member
from storage.notices import Counts, DeliveryRow, Notice
from storage.times import from_db, to_db

__all__ = ["Counts", "Notice"]

# Outbox kinds.
NOTICE = outbox_repo.BROADCAST  # the notice itself, to a recipient (sent after alerts)
NOTICE_REMINDER = "notice.reminder"  # before the deadline, to those who have not confirmed
NOTICE_UNCONFIRMED = "notice.unconfirmed"  # to the author: who has not confirmed

TITLE_MAX = 60
BODY_MAX = 3000  # leaves room in Telegram's 4096 for the title and the lines around it
MAX_PHOTOS = 10  # one album
# Telegram lets a bot send files of up to 50 MB; a bigger one cannot go out.
DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
DOCUMENT_TYPES = (".pdf", ".doc", ".docx", ".wps")
DEADLINE_DAYS = (0, 1, 3, 7)  # 0: no deadline
# The topic of the 政策宣讲 outreach a relayed notice is logged as (outreach.topic.legal).
OUTREACH_TOPIC = "legal"
# Role choices: the leader roles, and "admins" (the admins of the levels below the sender).
ADMINS_BELOW = "admins"
ROLE_CHOICES = (
    Role.BUILDING_LEADER.value,
    Role.BUILDING_ASSISTANT.value,
    Role.GROUP_LEADER.value,
    Role.GROUP_ASSISTANT.value,
    ADMINS_BELOW,
)
# Telegram's free limit, and the one with allow_paid_broadcast (costing Telegram Stars).
FREE_RATE = 30
PAID_RATE = 1000
# Rows handed to the outbox ahead of what is being sent, in seconds of sending: enough
# that the worker never waits for the next top-up, few enough that an alert queued
# during a broadcast goes out within seconds.
FEED_AHEAD_SECONDS = 20


class NoticeStatus(StrEnum):
    """Where a notice's sending stands (stored as its value)."""

    SENDING = "sending"  # 发送中
    PAUSED = "paused"  # 已暂停
    RECALLED = "recalled"  # 已撤回
    DONE = "done"  # 已发完


class NoticeError(Exception):
    """Bad input or a refused step; ``code`` names the text that explains it."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Draft:
    """What the admin wrote and chose, as the compose flow keeps it."""

    key: str  # the compose flow's id
    title: str
    body: str
    photos: tuple[str, ...] = ()
    document_id: str | None = None
    document_name: str | None = None
    voice_id: str | None = None
    targets: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    confirm: bool = True
    deadline_days: int = 0


@dataclass(frozen=True)
class Sent:
    """The notice sent; ``created`` is False when this draft had been sent already."""

    notice: Notice
    created: bool


# ---------------------------------------------------------------------- checking input


def check_title(text: str) -> str:
    """The title, trimmed; :class:`NoticeError` when empty or too long."""
    title = " ".join(text.split())
    if not title:
        raise NoticeError("notices.error.empty_title")
    if len(title) > TITLE_MAX:
        raise NoticeError("notices.error.title_too_long", max=TITLE_MAX, length=len(title))
    return title


def check_body(text: str) -> str:
    """The text, trimmed; :class:`NoticeError` when empty or over :data:`BODY_MAX`."""
    body = text.strip()
    if not body:
        raise NoticeError("notices.error.empty_body")
    if len(body) > BODY_MAX:
        raise NoticeError("notices.error.body_too_long", max=BODY_MAX, length=len(body))
    return body


def check_document(name: str | None, size: int | None) -> str:
    """The document's name; :class:`NoticeError` unless a PDF or Word file Telegram can send."""
    file_name = (name or "").strip() or "file"
    if not file_name.lower().endswith(DOCUMENT_TYPES):
        raise NoticeError("notices.error.document_type", name=file_name)
    if size is not None and size > DOCUMENT_MAX_BYTES:
        raise NoticeError(
            "notices.error.document_too_big",
            name=file_name,
            size=f"{size / 1024 / 1024:.0f}",
            max=DOCUMENT_MAX_BYTES // 1024 // 1024,
        )
    return file_name


def new_key() -> str:
    """A compose flow's id (8 hex characters)."""
    return secrets.token_hex(4)


def deadline_from(clock: Clock, days: int) -> str:
    """The deadline ``days`` from now, as stored."""
    return to_db(clock.now() + timedelta(days=days))


def rate_of(paid_broadcast: bool) -> int:
    """Messages a second the broadcast goes out at."""
    return PAID_RATE if paid_broadcast else FREE_RATE


# ---------------------------------------------------------------------- recipients


def may_send(member: Member) -> bool:
    """Whether ``member`` may send notices at all (an active admin)."""
    return member.active and is_admin(member.role)


def role_choices(sender: Member) -> tuple[str, ...]:
    """The role choices offered to ``sender``: admins below only if there are levels below."""
    depth = len(sender.area_id_path.strip("/").split("/")) - 1
    below = [role for level, role in ADMIN_ROLE_AT_LEVEL.items() if level > depth]
    return tuple(r for r in ROLE_CHOICES if r != ADMINS_BELOW or below)


async def check_target(q: Queryable, sender: Member, area_id: int) -> Area:
    """The area ``area_id`` if ``sender`` may send to it; :class:`NoticeError` otherwise."""
    area = await area_repo.get(q, area_id)
    if area is None:
        raise NoticeError("notices.error.no_such_area")
    if not may(sender, Action.SEND_NOTICE, area):
        raise NoticeError("notices.error.area_outside", path=area.path)
    return area


def _depth(id_path: str) -> int:
    return len(id_path.strip("/").split("/")) - 1


async def recipients(
    q: Queryable, sender: Member, target_ids: tuple[int, ...], roles: tuple[str, ...]
) -> list[Member]:
    """The active members the notice reaches, once each, in area order, without the sender."""
    chosen = [r for r in roles if r in ROLE_CHOICES]
    leader_roles = [r for r in chosen if r in LEADER_ROLES]
    admin_roles: list[str] = []
    if ADMINS_BELOW in chosen:
        depth = _depth(sender.area_id_path)
        admin_roles = [role for level, role in ADMIN_ROLE_AT_LEVEL.items() if level > depth]
    wanted = [*leader_roles, *admin_roles]
    if not wanted:
        return []
    seen: set[int] = {sender.id}
    found: list[Member] = []
    for area_id in target_ids:
        area = await check_target(q, sender, area_id)
        for member in await member_repo.in_subtree(q, area.id_path, wanted):
            if member.id not in seen:
                seen.add(member.id)
                found.append(member)
    # In the tree's order (areas as they were made: 第一, 第二, 第三), then by name.
    found.sort(key=lambda m: ([int(i) for i in m.area_id_path.strip("/").split("/")], m.name))
    return found


async def count_recipients(
    q: Queryable, sender: Member, target_ids: tuple[int, ...], roles: tuple[str, ...]
) -> int:
    """How many members the notice would reach."""
    return len(await recipients(q, sender, target_ids, roles))


# ---------------------------------------------------------------------- sending


async def send(db: Database, clock: Clock, sender: Member, draft: Draft, *, rate: int) -> Sent:
    """Send ``draft``: the notice and one delivery row per recipient, in one transaction.

    The first rows go to the outbox in the same transaction. A draft sent already gives
    that notice back (``created`` False). :class:`NoticeError` for bad input, an area
    outside the sender's, or nobody to send to.
    """
    if not may_send(sender):
        raise NoticeError("access.admins_only")
    title = check_title(draft.title)
    body = check_body(draft.body)
    if len(draft.photos) > MAX_PHOTOS:
        raise NoticeError("notices.error.too_many_photos", max=MAX_PHOTOS)
    if draft.deadline_days not in DEADLINE_DAYS:
        raise NoticeError("notices.error.bad_deadline")
    if not draft.targets:
        raise NoticeError("notices.error.no_areas")
    now = clock.now()

    async def run(tx: Transaction) -> Sent:
        existing = await repo.by_draft_key(tx, draft.key)
        if existing is not None:
            return Sent(existing, created=False)
        members = await recipients(tx, sender, draft.targets, draft.roles)
        if not members:
            raise NoticeError("notices.error.no_recipients")
        deadline = now + timedelta(days=draft.deadline_days) if draft.deadline_days else None
        notice_id = await repo.insert(
            tx,
            {
                "draft_key": draft.key,
                "author_id": sender.id,
                "area_id": sender.area_id,
                "title": title,
                "body": body,
                "photos": draft.photos,
                "document_id": draft.document_id,
                "document_name": draft.document_name,
                "voice_id": draft.voice_id,
                "targets": draft.targets,
                "roles": draft.roles,
                "confirm": draft.confirm,
                "deadline_at": None if deadline is None else to_db(deadline),
                "recipients": len(members),
                "created_at": to_db(now),
            },
        )
        assert notice_id is not None  # the draft key was checked inside this transaction
        rows = []
        for member in members:
            ids = [int(p) for p in member.area_id_path.strip("/").split("/")]
            levels = [ids[i] if len(ids) > i else None for i in (1, 2, 3)]
            rows.append((member.id, member.area_id, levels[0], levels[1], levels[2]))
        await repo.add_deliveries(tx, notice_id, rows)
        await repo.feed(tx, notice_id, NOTICE, TELEGRAM, to_db(now), rate * FEED_AHEAD_SECONDS)
        queued(tx)
        notice = await repo.get(tx, notice_id)
        assert notice is not None
        return Sent(notice, created=True)

    return await db.run_transaction(run)


async def _controlled(q: Queryable, member: Member, notice_id: int) -> Notice:
    notice = await repo.get(q, notice_id)
    if notice is None:
        raise NoticeError("notices.error.no_such_notice")
    area = await area_repo.get(q, notice.area_id)
    if area is None or not may(member, Action.SEND_NOTICE, area):
        raise NoticeError("access.not_allowed_here")
    return notice


async def pause(db: Database, member: Member, notice_id: int) -> Notice:
    """Stop handing out the notice; what waits in the outbox is held back."""

    async def run(tx: Transaction) -> Notice:
        notice = await _controlled(tx, member, notice_id)
        if notice.status != NoticeStatus.SENDING:
            raise NoticeError("notices.error.not_sending")
        await repo.set_status(tx, notice_id, NoticeStatus.PAUSED)
        await repo.cancel_queued(tx, notice_id)
        paused = await repo.get(tx, notice_id)
        assert paused is not None
        return paused

    return await db.run_transaction(run)


async def resume(
    db: Database, clock: Clock, member: Member, notice_id: int, *, rate: int
) -> Notice:
    """Go on sending a paused notice, from where it stopped."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Notice:
        notice = await _controlled(tx, member, notice_id)
        if notice.status != NoticeStatus.PAUSED:
            raise NoticeError("notices.error.not_paused")
        await repo.set_status(tx, notice_id, NoticeStatus.SENDING)
        await repo.feed(tx, notice_id, NOTICE, TELEGRAM, now, rate * FEED_AHEAD_SECONDS)
        queued(tx)
        resumed = await repo.get(tx, notice_id)
        assert resumed is not None
        return resumed

    return await db.run_transaction(run)


async def recall(db: Database, clock: Clock, member: Member, notice_id: int) -> Notice:
    """Recall the notice: nothing more is sent, and what was sent is to be deleted."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Notice:
        notice = await _controlled(tx, member, notice_id)
        if notice.status == NoticeStatus.RECALLED:
            raise NoticeError("notices.error.recalled")
        await repo.set_status(tx, notice_id, NoticeStatus.RECALLED, now)
        await repo.cancel_queued(tx, notice_id)
        recalled = await repo.get(tx, notice_id)
        assert recalled is not None
        return recalled

    return await db.run_transaction(run)


@dataclass(frozen=True)
class ToDelete:
    """The messages of one recipient that a recall deletes."""

    member_id: int
    chat_id: int
    message_ids: tuple[int, ...]


async def to_delete(q: Queryable, notice_id: int, limit: int) -> list[ToDelete]:
    """The next recipients whose copy of a recalled notice is to be deleted."""
    found = []
    for member_id, result in await repo.to_delete(q, notice_id, limit):
        ids = [result.get("message_id"), *result.get("part_message_ids", [])]
        chat = result.get("chat_id")
        found.append(
            ToDelete(
                member_id,
                int(chat) if chat is not None else 0,
                tuple(int(i) for i in ids if i is not None),
            )
        )
    return found


async def deleted(db: Database, notice_id: int, member_ids: list[int]) -> None:
    """Record that the recall dealt with these recipients' copies."""

    async def run(tx: Transaction) -> None:
        await repo.mark_deleted(tx, notice_id, member_ids)

    return await db.run_transaction(run)


# ---------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    """How far a notice has gone, for its sender's progress message."""

    notice: Notice
    counts: Counts
    seconds_left: int | None  # None: nothing left to send
    deleted: int  # recall: copies dealt with


def _progress(notice: Notice, counts: Counts, clock: Clock, rate: int, deleted: int) -> Progress:
    left = counts.total - counts.done
    seconds: int | None = None
    if left > 0 and notice.status in (NoticeStatus.SENDING, NoticeStatus.PAUSED):
        elapsed = (clock.now() - from_db(notice.created_at)).total_seconds()
        observed = counts.sent / elapsed if elapsed >= 5 and counts.sent else rate
        seconds = int(left / max(min(observed, rate), 0.1)) + 1
    return Progress(notice, counts, seconds, deleted)


async def progress(q: Queryable, clock: Clock, notice_id: int, *, rate: int) -> Progress | None:
    """The notice's progress now, or None if there is no such notice."""
    notice = await repo.get(q, notice_id)
    if notice is None:
        return None
    counts = await repo.counts(q, notice_id)
    deleted_count = (
        await repo.deleted(q, notice_id) if notice.status == NoticeStatus.RECALLED else 0
    )
    return _progress(notice, counts, clock, rate, deleted_count)


@dataclass(frozen=True)
class Advanced:
    """What one step of the sweep did to a notice: rows handed out, and its progress."""

    fed: int
    progress: Progress


async def advance(db: Database, clock: Clock, notice_id: int, *, rate: int) -> Advanced | None:
    """One sweep step: top up the outbox, mark the notice done once all is through.

    One count of the notice's rows serves the top-up, the end and the progress message.
    """

    async def run(tx: Transaction) -> Advanced | None:
        notice = await repo.get(tx, notice_id)
        if notice is None:
            return None
        counts = await repo.counts(tx, notice_id)
        fed = 0
        if notice.status == NoticeStatus.SENDING:
            room = rate * FEED_AHEAD_SECONDS - counts.queued
            if counts.done >= counts.total:
                await repo.set_status(tx, notice_id, NoticeStatus.DONE, to_db(clock.now()))
                notice = replace(notice, status=NoticeStatus.DONE)
            # Topped up once half the rows ahead have gone: fewer, bigger hand-outs.
            elif room >= rate * FEED_AHEAD_SECONDS // 2 and counts.unfed + counts.cancelled:
                fed = await repo.feed(tx, notice_id, NOTICE, TELEGRAM, to_db(clock.now()), room)
                queued(tx)
        deleted_count = (
            await repo.deleted(tx, notice_id) if notice.status == NoticeStatus.RECALLED else 0
        )
        return Advanced(fed, _progress(notice, counts, clock, rate, deleted_count))

    return await db.run_transaction(run)


async def unfinished(q: Queryable) -> list[Notice]:
    """Notices whose sending, recall or progress message is not finished."""
    return await repo.unfinished(q)


async def set_progress_message(db: Database, notice_id: int, chat_id: int, message_id: int) -> None:
    """Remember the sender's progress message, to edit it in place."""

    async def run(tx: Transaction) -> None:
        await repo.set_progress_message(tx, notice_id, chat_id, message_id)

    return await db.run_transaction(run)


async def set_progress_text(db: Database, notice_id: int, text: str, final: bool) -> None:
    """Remember what the progress message shows (``final``: it will not change again)."""

    async def run(tx: Transaction) -> None:
        await repo.set_progress_text(tx, notice_id, text, final)

    return await db.run_transaction(run)


# ---------------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Answer:
    """A recipient's answer, and whether it was new."""

    notice: Notice
    delivery: DeliveryRow
    created: bool


async def _received(q: Queryable, member: Member, notice_id: int) -> tuple[Notice, DeliveryRow]:
    notice = await repo.get(q, notice_id)
    row = None if notice is None else await repo.delivery(q, notice_id, member.id)
    # Only someone the notice reached may answer it, whatever a button says.
    if notice is None or row is None or row.outbox_status != "sent":
        raise NoticeError("notices.error.not_yours")
    if notice.status == NoticeStatus.RECALLED:
        raise NoticeError("notices.error.recalled")
    return notice, row


async def mark_read(db: Database, clock: Clock, member: Member, notice_id: int) -> Answer:
    """👌 已读: the member read a notice that asked no confirmation."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Answer:
        notice, row = await _received(tx, member, notice_id)
        if row.read_at is None:
            await repo.set_read(tx, notice_id, member.id, now)
        after = await repo.delivery(tx, notice_id, member.id)
        assert after is not None
        return Answer(notice, after, created=row.read_at is None)

    return await db.run_transaction(run)


async def relay(db: Database, clock: Clock, member: Member, notice_id: int) -> Answer:
    """✅ 已传达: the member passed the notice on to the residents."""
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Answer:
        notice, _ = await _received(tx, member, notice_id)
        if not notice.confirm:
            raise NoticeError("notices.error.not_yours")
        created = await repo.set_relayed(tx, notice_id, member.id, now)
        after = await repo.delivery(tx, notice_id, member.id)
        assert after is not None
        return Answer(notice, after, created=created)

    return await db.run_transaction(run)


async def households(
    db: Database, clock: Clock, member: Member, notice_id: int, count: int
) -> Answer:
    """About how many households a leader reached: logged as a 政策宣讲 outreach, once."""
    if count not in HOUSEHOLDS:
        raise NoticeError("notices.error.not_yours")
    now = to_db(clock.now())

    async def run(tx: Transaction) -> Answer:
        notice, row = await _received(tx, member, notice_id)
        if row.relayed_at is None:
            raise NoticeError("notices.error.not_yours")
        created = False
        if row.outreach_id is None:
            outreach_id = await duty_logs.add_outreach(
                tx,
                member_id=member.id,
                area_id=member.area_id,
                topic=OUTREACH_TOPIC,
                households=count,
                at=now,
                idempotency_key=f"notice:{notice_id}:{member.id}",
            )
            if outreach_id is not None:
                created = await repo.set_households(tx, notice_id, member.id, count, outreach_id)
        after = await repo.delivery(tx, notice_id, member.id)
        assert after is not None
        return Answer(notice, after, created=created)

    return await db.run_transaction(run)


# ---------------------------------------------------------------------- reminders


def reminder_due(notice: Notice, hours: int) -> datetime | None:
    """When the reminder of ``notice`` is due: ``hours`` before its deadline, or halfway."""
    if hours <= 0 or notice.deadline_at is None or not notice.confirm:
        return None
    deadline, created = from_db(notice.deadline_at), from_db(notice.created_at)
    return max(deadline - timedelta(hours=hours), created + (deadline - created) / 2)


async def remind_due(db: Database, clock: Clock, hours: int) -> int:
    """Queue the reminders due now, once per notice, and tell each author who has not confirmed.

    Returns how many reminders were queued.
    """
    if hours <= 0:
        return 0
    now = clock.now()

    # One notice per transaction, each one trip to the database thread: one that fails
    # rolls back only itself. Returns how many reminders it queued.
    async def remind(tx: Transaction, notice_id: int) -> int:
        notice = await repo.get(tx, notice_id)
        if notice is None or notice.reminded_at is not None:
            return 0
        reminded = 0
        member_ids = await repo.to_remind(tx, notice.id)
        for member_id in member_ids:
            member = await member_repo.get(tx, member_id)
            if member is None or not member.active:
                continue
            await notify_member(
                tx,
                member,
                NOTICE_REMINDER,
                {"notice_id": notice.id},
                now=to_db(now),
                dedupe_key=f"notice-remind:{notice.id}:{member_id}",
            )
            reminded += 1
        await repo.mark_reminded(tx, notice.id, member_ids)
        await repo.set_reminded(tx, notice.id, to_db(now))
        author = await member_repo.get(tx, notice.author_id)
        if author is not None and author.active:
            await notify_member(
                tx,
                author,
                NOTICE_UNCONFIRMED,
                {"notice_id": notice.id},
                now=to_db(now),
                dedupe_key=f"notice-unconfirmed:{notice.id}",
            )
        return reminded

    queued = 0
    for candidate in await repo.awaiting_reminder(db):
        due = reminder_due(candidate, hours)
        if due is None or due > now:
            continue
        queued += await db.run_transaction(partial(remind, notice_id=candidate.id))
    return queued


# ---------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class CoverageLine:
    """One area below in the breakdown (None: recipients who sit above it, admins)."""

    area: Area | None
    counts: Counts


@dataclass(frozen=True)
class Coverage:
    """A notice's coverage in one area: totals, each area below, who has not confirmed."""

    notice: Notice
    top: Area  # the notice's own area: the breakdown does not go above it
    area: Area
    counts: Counts
    lines: list[CoverageLine]
    unconfirmed: list[tuple[str, str]]  # (name, area name)
    unconfirmed_total: int


async def viewable(q: Queryable, viewer: Member, notice_id: int) -> Notice:
    """The notice if ``viewer`` may see its coverage; :class:`NoticeError` otherwise."""
    return await _controlled(q, viewer, notice_id)


async def coverage(
    q: Queryable, viewer: Member, notice_id: int, area_id: int | None = None, names: int = 80
) -> Coverage:
    """The notice's coverage in ``area_id`` (default: the notice's own area) and below it."""
    notice = await viewable(q, viewer, notice_id)
    top = await area_repo.get(q, notice.area_id)
    assert top is not None
    area = top if area_id is None else await area_repo.get(q, area_id)
    if area is None or not top.contains(area):
        raise NoticeError("notices.error.no_such_area")
    level = area.depth
    filter_level = level if level >= 1 else None
    # One grouped count gives the lines and, summed, the area's own totals.
    lines: list[CoverageLine] = []
    if level + 1 <= 3:
        grouped = await repo.counts_by(
            q, notice_id, level + 1, filter_level, area.id if filter_level else None
        )
        known = {a.id: a for a in await area_repo.get_many(q, [a for a, _ in grouped if a])}
        for child_id, child_counts in grouped:
            lines.append(CoverageLine(known.get(child_id) if child_id else None, child_counts))
        # Admins above first, then the areas in the order they were made (第一, 第二, ...).
        lines.sort(key=lambda line: (line.area is not None, line.area.id if line.area else 0))
        counts = _sum([line.counts for line in lines])
    else:
        counts = _sum([c for _, c in await repo.counts_by(q, notice_id, level, level, area.id)])
    total = counts.total - (counts.relayed if notice.confirm else counts.read)
    people = await repo.unconfirmed_names(q, notice_id, filter_level, area.id, names)
    return Coverage(notice, top, area, counts, lines, people, total)


def _sum(parts: list[Counts]) -> Counts:
    fields = [f.name for f in dataclasses.fields(Counts)]
    return Counts(*[sum(getattr(part, name) for part in parts) for name in fields])


@dataclass(frozen=True)
class Recent:
    """A notice in the sender's list, with its coverage."""

    notice: Notice
    counts: Counts


async def recent(q: Queryable, member: Member, limit: int = 5) -> list[Recent]:
    """The member's latest notices, newest first, with their coverage."""
    return [
        Recent(n, await repo.counts(q, n.id)) for n in await repo.by_author(q, member.id, limit)
    ]


# The export's columns (their headers: notices.csv.<column>).
EXPORT_COLUMNS = ("area", "name", "role", "work_id", "state", "read", "relayed", "households")


@dataclass(frozen=True)
class ExportRow:
    """One recipient in the export."""

    area_path: str
    name: str
    role: str
    work_id: str
    state: str  # sent, failed, cancelled, queued
    read_at: str | None
    relayed_at: str | None
    households: int | None


async def export(q: Queryable, viewer: Member, notice_id: int) -> tuple[Notice, list[ExportRow]]:
    """Every recipient of the notice with their answers, for the CSV export."""
    notice = await viewable(q, viewer, notice_id)
    rows = [
        ExportRow(
            r[0], r[1], r[2], r[3], "queued" if r[4] in (None, "pending") else r[4], *tuple(r)[5:]
        )
        for r in await repo.export_rows(q, notice_id)
    ]
    return notice, rows


async def get(q: Queryable, notice_id: int) -> Notice | None:
    """The notice with this id, or None."""
    return await repo.get(q, notice_id)


async def status_of(q: Queryable, notice_id: int) -> tuple[str, str] | None:
    """The notice's status (sending, paused, recalled, done) and draft key; None if none."""
    return await repo.status(q, notice_id)


async def by_draft_key(q: Queryable, key: str) -> Notice | None:
    """The notice sent from the compose flow ``key``, or None."""
    return await repo.by_draft_key(q, key)


async def delivery_of(q: Queryable, notice_id: int, member_id: int) -> DeliveryRow | None:
    """The notice's delivery to a member, or None."""
    return await repo.delivery(q, notice_id, member_id)


async def author_of(q: Queryable, notice: Notice) -> Member | None:
    """Who sent the notice."""
    return await member_repo.get(q, notice.author_id)


async def unconfirmed_names(
    q: Queryable, notice_id: int, limit: int
) -> tuple[list[tuple[str, str]], int]:
    """Names (and area names) of those who have not confirmed, and how many in all."""
    counts = await repo.counts(q, notice_id)
    notice = await repo.get(q, notice_id)
    confirmed = counts.relayed if notice is None or notice.confirm else counts.read
    return await repo.unconfirmed_names(q, notice_id, None, None, limit), counts.total - confirmed
