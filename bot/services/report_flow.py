"""The life of a /report draft in the database: begun, kept alive, filed, or ended idle.

The draft's answers live in the member's conversation data; a row in
``report_drafts`` says the draft is alive and when it was last touched. Every step
touches it; a step that finds it gone knows the draft was ended. The sweep ends
drafts idle longer than ``reports.draft_timeout_minutes``: in one transaction it
forgets the row and queues the message saying so, so a restart neither loses nor
repeats that message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from bot.clock import Clock
from bot.config import Config
from bot.services.notify import notify_member
from bot.services.permissions import Action, may
from bot.services.report_draft import Draft, to_report
from bot.services.reporting import Opened, open_case
from storage import areas as area_repo
from storage import cases as case_repo
from storage import members as member_repo
from storage import report_drafts as draft_repo
from storage.areas import Area
from storage.cases import Case
from storage.db import Database, Queryable, Statement, Transaction
from storage.members import Member
from storage.report_drafts import DraftRow
from storage.times import from_db, to_db

DRAFT_EXPIRED = "report.expired"  # outbox kind: "your unfinished report was ended"


@dataclass(frozen=True)
class Ended:
    """A draft the sweep ended: whose, and which."""

    tg_user_id: int
    flow: str


def draft_key(member: Member, flow: str) -> str:
    """The idempotency key of the case a draft becomes."""
    return f"report:{member.id}:{flow}"


def begin(clock: Clock, member: Member, draft: Draft) -> Statement:
    """The write that tracks ``member``'s new ``draft`` (an older draft of theirs is then no
    longer alive), for the save of the update that began it: the draft itself is in that
    update's conversation data, so the two are stored together or not at all, in one
    commit (``GridApplication.write_with_update``)."""
    now = to_db(clock.now())
    draft.touched = now
    return draft_repo.put_statement(
        member_id=member.id, tg_user_id=member.tg_user_id, flow=draft.flow, now=now
    )


# A step within this long of the draft's last stored touch stores nothing (no write, no
# commit): the sweep ends a draft only after reports.draft_timeout_minutes idle (a minute
# at the least), so a draft touched this recently cannot have been ended, and the stored
# time lags the last step by at most this much (a draft may end this much early).
TOUCH_EVERY = timedelta(seconds=20)


async def touch(
    db: Database,
    clock: Clock,
    member: Member,
    draft: Draft,
    *,
    category: str | None = None,
    later: Callable[[Statement], None] | None = None,
) -> bool:
    """Mark ``draft`` active now (with ``category``, one just chosen, if given); False if
    it was ended (by the sweep) or replaced.

    Within :data:`TOUCH_EVERY` of its last stored touch (``draft.touched``) the draft is
    known to be alive: with no category to store nothing is written, and a category is
    handed to ``later`` (the update's save, which stores the draft's data too) if given.
    """
    now = clock.now()
    if draft.touched is not None:
        since = now - from_db(draft.touched)
        if timedelta(0) <= since < TOUCH_EVERY:
            if category is None:
                return True
            if later is not None:
                later(
                    draft_repo.touch_statement(
                        member_id=member.id, flow=draft.flow, category=category, now=to_db(now)
                    )
                )
                return True
    alive = await draft_repo.touch(  # one statement: atomic without a transaction
        db,
        member_id=member.id,
        flow=draft.flow,
        category=category or draft.category,
        now=to_db(now),
    )
    if alive:
        draft.touched = to_db(now)
    return alive


async def discard(db: Database, member: Member, flow: str) -> None:
    """Forget a draft the member cancelled."""

    async def run(tx: Transaction) -> None:
        await draft_repo.remove(tx, member_id=member.id, flow=flow)

    return await db.run_transaction(run)


class DraftEnded(Exception):
    """The draft confirmed is no longer the member's: the sweep ended it, or a new one
    replaced it, and it was never filed."""


async def submit(
    db: Database, clock: Clock, config: Config, member: Member, draft: Draft
) -> Opened:
    """File a complete draft as a case (once, however often confirmed) and stop tracking it.

    Whether the draft is still alive is checked in the same transaction, by its removal
    (no read before it). Raises :class:`DraftEnded`,
    :class:`~bot.services.report_draft.DraftIncomplete` or
    :class:`~bot.services.reporting.ReportRefused`.
    """
    key = draft_key(member, draft.flow)

    async def remove_draft(tx: Transaction) -> None:
        if await draft_repo.remove(tx, member_id=member.id, flow=draft.flow):
            return
        # Not tracked: filed already (a confirm cut short, sent again), or ended unfiled.
        if await case_repo.by_idempotency_key(tx, key) is None:
            raise DraftEnded(draft.flow)

    # The draft goes in the case's own transaction: one commit for the confirm.
    return await open_case(
        db,
        clock,
        config,
        member,
        to_report(draft),
        idempotency_key=key,
        also=remove_draft,
    )


async def case_of_draft(q: Queryable, member: Member, flow: str) -> Case | None:
    """The case draft ``flow`` of ``member`` became, if it was filed."""
    return await case_repo.by_idempotency_key(q, draft_key(member, flow))


async def place_choices(q: Queryable, member: Member) -> list[Area]:
    """The places offered as buttons: the member's own area, then the areas below it."""
    home = await area_repo.get(q, member.area_id)
    if home is None:
        return []
    return [home, *await area_repo.children(q, home.id)]


async def place_area(q: Queryable, member: Member, area_id: int) -> Area | None:
    """Area ``area_id`` if the member may report about it, else None (a forged button)."""
    area = await area_repo.get(q, area_id)
    if area is None or not may(member, Action.REPORT, area):
        return None
    return area


async def expire_idle(db: Database, clock: Clock, timeout_minutes: int) -> list[Ended]:
    """End drafts idle longer than ``timeout_minutes``, each with a message to its member.

    A draft that was filed already (the case exists) is forgotten without a message.
    """
    now = clock.now()
    cutoff = to_db(now - timedelta(minutes=timeout_minutes))
    ended: list[Ended] = []

    async def end(tx: Transaction, row: DraftRow) -> bool:
        """End one idle draft; False if it was touched or replaced, or its member is gone."""
        current = await draft_repo.get(tx, row.member_id)
        if current is None or current.flow != row.flow or current.touched_at >= cutoff:
            return False  # touched or replaced since it was read
        await draft_repo.remove(tx, member_id=row.member_id, flow=row.flow)
        member = await member_repo.get(tx, row.member_id)
        if member is None:
            return False
        if await case_repo.by_idempotency_key(tx, draft_key(member, row.flow)) is None:
            await notify_member(
                tx,
                member,
                DRAFT_EXPIRED,
                {"category": row.category, "minutes": timeout_minutes},
                now=to_db(now),
                dedupe_key=f"report:{member.id}:{row.flow}:expired",
            )
        return True

    for row in await draft_repo.idle_since(db, cutoff):
        # One transaction (one trip to the database thread) per draft, as before: a
        # draft that fails does not keep the others from ending.
        if await db.run_transaction(partial(end, row=row)):
            ended.append(Ended(tg_user_id=row.tg_user_id, flow=row.flow))
    return ended
