"""The daily digest (每日简报): each admin's new, closed and overdue cases since the last one.

At the configured local time each day, every active admin gets the figures of
their area and below: cases created and closed since their previous digest, and
open cases past a due time now. An empty digest is recorded but not sent. The
record (one per admin and local date) and the outbox row are written together,
so a restart never sends a day's digest twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.case_lifecycle import STAGE_DUE
from bot.services.grid import ADMIN_ROLES
from bot.services.notify import notify_member
from bot.services.schedule import parse_hhmm
from storage import digests as repo
from storage import members as member_repo
from storage.db import Database
from storage.members import Member
from storage.times import from_db, to_db

DIGEST = "digest.daily"


@dataclass(frozen=True)
class Digest:
    """The figures of one admin's digest."""

    since: str
    until: str
    new: list[str]
    closed: list[str]
    overdue: list[str]

    @property
    def empty(self) -> bool:
        """Whether there is nothing to report."""
        return not (self.new or self.closed or self.overdue)


async def compose(db: Database, admin: Member, since: str, until: str) -> Digest:
    """The digest of ``admin``'s area for [since, until)."""
    path = admin.area_id_path
    return Digest(
        since=since,
        until=until,
        new=await repo.new_cases(db, path, since, until),
        closed=await repo.closed_cases(db, path, since, until),
        overdue=await repo.overdue_cases(db, path, since, until, STAGE_DUE),
    )


def due_today(now: datetime, tz: ZoneInfo, at: str) -> str | None:
    """Today's local date if the digest time has passed today, else None."""
    moment = parse_hhmm(at)
    assert moment is not None
    local = now.astimezone(tz)
    if (local.hour, local.minute) < (moment.hour, moment.minute):
        return None
    return local.date().isoformat()


async def send_due(db: Database, clock: Clock, tz: ZoneInfo, at: str) -> tuple[int, int]:
    """Queue today's digest for every admin who has not had one; return (sent, empty)."""
    now = clock.now()
    today = due_today(now, tz, at)
    if today is None:
        return 0, 0
    sent = empty = 0
    admins = await member_repo.in_subtree(db, "/", sorted(ADMIN_ROLES))
    until = to_db(now)
    for admin in admins:
        since = await repo.last_until(db, admin.id) or to_db(now - timedelta(days=1))
        digest = await compose(db, admin, since, until)
        async with db.transaction() as tx:
            if not await repo.record(tx, admin.id, today, since, until, not digest.empty):
                continue
            if digest.empty:
                empty += 1
                continue
            await notify_member(
                tx,
                admin,
                DIGEST,
                {
                    "since": since,
                    "until": until,
                    "new": digest.new,
                    "closed": digest.closed,
                    "overdue": digest.overdue,
                },
                now=until,
                dedupe_key=f"{DIGEST}:{admin.id}:{today}",
            )
            sent += 1
    return sent, empty


def local_text(stamp: str, tz: ZoneInfo) -> str:
    """A stored time as local 'YYYY-MM-DD HH:MM'."""
    return f"{from_db(stamp).astimezone(tz):%Y-%m-%d %H:%M}"
