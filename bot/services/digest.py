"""The daily digest (每日简报): each admin's cases since the last one, case by case.

At the configured local time each day (``digest.time``, and only then: within
``digest.grace_minutes`` after it, so a bot started in the afternoon does not send
the morning's digest), every active admin gets the cases of their area and below:
created, closed and rejected (不予受理) since their previous digest, and open cases
that are overdue. An empty digest is recorded but not sent. The record (one per
admin and local date) and the outbox row are written together, so a restart never
sends a day's digest twice. The payload holds case ids; the message is drawn when
it is sent, each case with its number, category and a few words.

The sweep reads on the read-only connection (``Database.reader``), so it never holds
the writer, and reads each section once for all admins whose period is the same (all
of them, on an ordinary day): each admin takes the rows under their own area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.cases.rules import STAGE_DUE, Status
from bot.services.grid import ADMIN_ROLES
from bot.services.notify import notify_member
from bot.services.schedule import parse_hhmm
from storage import cases as case_repo
from storage import digests as repo
from storage import members as member_repo
from storage.cases import Case as Case  # re-exported for the renderer
from storage.db import Database, Queryable, Transaction
from storage.members import Member
from storage.times import from_db, to_db

DIGEST = "digest.daily"
SECTIONS = ("new", "closed", "rejected", "overdue")
# Case ids kept per section in the outbox row; ``<section>_count`` says how many in all.
# The digest lists that many, so a district's thousands of overdue cases cost one number.
LISTED = 8
WRITE_BATCH = 50  # admins whose digests are written in one transaction


@dataclass(frozen=True)
class Digest:
    """One admin's digest: the ids of the cases in each section."""

    since: str
    until: str
    new: list[int]
    closed: list[int]
    rejected: list[int]
    overdue: list[int]

    @property
    def empty(self) -> bool:
        """Whether there is nothing to report."""
        return not (self.new or self.closed or self.rejected or self.overdue)


async def compose(db: Database, admin: Member, since: str, until: str) -> Digest:
    """The digest of ``admin``'s area for [since, until)."""
    return _for_admin(admin, since, until, await _sections(db.reader, "/", since, until))


Sections = dict[str, repo.Rows]


async def _sections(q: Queryable, id_path: str, since: str, until: str) -> Sections:
    """Every section's rows under ``id_path`` for [since, until), each in its order."""
    return {
        "new": await repo.new_rows(q, id_path, since, until),
        "closed": await repo.ended_rows(q, id_path, Status.CLOSED, since, until),
        "rejected": await repo.ended_rows(q, id_path, Status.REJECTED, since, until),
        "overdue": await repo.overdue_rows(q, id_path, until, STAGE_DUE),
    }


def _for_admin(admin: Member, since: str, until: str, sections: Sections) -> Digest:
    """The part of ``sections`` under the admin's area (a case counts where it was reported)."""
    path = admin.area_id_path

    def mine(name: str) -> list[int]:
        return [case_id for case_id, where in sections[name] if where.startswith(path)]

    return Digest(
        since=since,
        until=until,
        new=mine("new"),
        closed=mine("closed"),
        rejected=mine("rejected"),
        overdue=mine("overdue"),
    )


def payload_sections(digest: Digest) -> dict[str, object]:
    """The sections as the outbox row keeps them: the first :data:`LISTED` ids and the count."""
    payload: dict[str, object] = {}
    for name in SECTIONS:
        ids: list[int] = getattr(digest, name)
        payload[name] = ids[:LISTED]
        payload[f"{name}_count"] = len(ids)
    return payload


def due_today(now: datetime, tz: ZoneInfo, at: str, grace_minutes: int) -> str | None:
    """Today's local date if now is within ``grace_minutes`` after the digest time, else None.

    Only then: a bot that starts (or comes back) long after the digest time waits for
    the next day's, instead of sending this morning's at an odd hour.
    """
    moment = parse_hhmm(at)
    assert moment is not None
    local = now.astimezone(tz)
    start = local.replace(hour=moment.hour, minute=moment.minute, second=0, microsecond=0)
    if not start <= local < start + timedelta(minutes=grace_minutes):
        return None
    return local.date().isoformat()


async def send_due(
    db: Database, clock: Clock, tz: ZoneInfo, at: str, grace_minutes: int = 30
) -> tuple[int, int]:
    """Queue today's digest for every admin who has not had one; return (sent, empty)."""
    now = clock.now()
    today = due_today(now, tz, at, grace_minutes)
    if today is None:
        return 0, 0
    reader = db.reader
    admins = await member_repo.in_subtree(reader, "/", sorted(ADMIN_ROLES))
    until = to_db(now)
    read: dict[str, Sections] = {}  # by the period's start: one read for all who share it
    digests: list[tuple[Member, Digest]] = []
    for admin in admins:
        since = await repo.last_until(reader, admin.id) or to_db(now - timedelta(days=1))
        if since not in read:
            read[since] = await _sections(reader, "/", since, until)
        digests.append((admin, _for_admin(admin, since, until, read[since])))

    # Written a batch of admins per transaction, each one trip to the database thread:
    # each digest's record and its outbox row together (a restart never sends one twice),
    # the writer held a few milliseconds. If a batch fails, its admins are written one by
    # one, so one bad row holds back only those after it, as before batching.
    async def write_batch(tx: Transaction, batch: list[tuple[Member, Digest]]) -> list[str | None]:
        return [await _write(tx, admin, digest, today, until) for admin, digest in batch]

    outcomes: list[str | None] = []
    for first in range(0, len(digests), WRITE_BATCH):
        batch = digests[first : first + WRITE_BATCH]
        try:
            done = await db.run_transaction(partial(write_batch, batch=batch))
        except Exception:
            done = []
            for one in batch:
                done.extend(await db.run_transaction(partial(write_batch, batch=[one])))
        outcomes.extend(done)
    sent, empty = outcomes.count("sent"), outcomes.count("empty")
    return sent, empty


async def _write(
    tx: Transaction, admin: Member, digest: Digest, today: str, until: str
) -> str | None:
    """Record the admin's digest of ``today`` and queue it; "sent", "empty" or None (had it)."""
    if not await repo.record(tx, admin.id, today, digest.since, until, not digest.empty):
        return None
    if digest.empty:
        return "empty"
    await notify_member(
        tx,
        admin,
        DIGEST,
        {"since": digest.since, "until": until, **payload_sections(digest)},
        now=until,
        dedupe_key=f"{DIGEST}:{admin.id}:{today}",
    )
    return "sent"


async def cases_by_id(q: Queryable, ids: list[int]) -> dict[int, Case]:
    """The cases with these ids (those that still exist)."""
    found: dict[int, Case] = {}
    for case_id in dict.fromkeys(ids):
        case = await case_repo.get(q, case_id)
        if case is not None:
            found[case_id] = case
    return found


def local_text(stamp: str, tz: ZoneInfo) -> str:
    """A stored time as local 'YYYY-MM-DD HH:MM'."""
    return f"{from_db(stamp).astimezone(tz):%Y-%m-%d %H:%M}"
