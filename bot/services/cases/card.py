"""The read model of a case card: what an alert or a /cases entry shows (:class:`Card`),
and what its holder may see and do on it (:class:`Viewer`: a member in a private chat,
or a group chat as its least-privileged member), masked phones and local times."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo

from bot.services.cases.parts import at_top, group_parts, parts_of, supervisor_ids
from bot.services.cases.rules import Act, Who, acts_for
from bot.services.cases.transition import _area
from bot.services.cases.view import CaseView, case_view
from bot.services.categories import Category
from bot.services.grid import is_admin
from storage import areas as area_repo
from storage import cases as case_repo
from storage import mediations as mediation_repo
from storage import members as member_repo
from storage.areas import Area
from storage.cases import Case
from storage.db import Database, Queryable, Transaction
from storage.mediations import Mediation
from storage.members import Member
from storage.times import from_db


@dataclass(frozen=True)
class Card:
    """What an alert or a /cases entry shows of a case, gathered in one read."""

    view: CaseView
    responsible: Area
    supervisors: tuple[Area, ...]  # the levels supervising it (督办), highest first
    assignee: str | None
    notes: tuple[str, ...]  # the latest internal notes, oldest first
    mediation: Mediation | None
    at_top: bool  # no level left to escalate to
    last_event_id: int = 0  # the newest event the card shows (0: none)


async def card(q: Queryable, case_id: int) -> Card | None:
    """The case with the names shown beside it; None if there is no such case."""
    view = await case_view(q, case_id)
    if view is None:
        return None
    responsible = await _area(q, view.case.responsible_area_id)
    supervisors = tuple(await area_repo.get_many(q, supervisor_ids(view.case, responsible)))
    assignee = None
    if view.case.assignee_id is not None:
        member = await member_repo.get(q, view.case.assignee_id)
        assignee = None if member is None else member.name
    trail = await case_repo.events(q, case_id, include_internal=True)
    notes = tuple(str(e.data.get("text", "")) for e in trail if e.kind == "note")[-3:]
    return Card(
        view,
        responsible,
        tuple(sorted(supervisors, key=lambda a: a.depth)),
        assignee,
        notes,
        # Only a dispute is mediated (lifecycle.resolve records it): no read for the others.
        await mediation_repo.mediation(q, case_id)
        if view.case.category == Category.DISPUTE.value
        else None,
        at_top(view.case, responsible),
        trail[-1].id if trail else 0,
    )


async def read_card(db: Database, case_id: int, *, fresh: int | None = None) -> Card | None:
    """:func:`card`, its reads in one trip to the database's thread.

    With ``fresh``, the version of the case an action of this process just committed, the
    card that action drew in its own transaction (:func:`acting`) is taken instead, if it
    is of that version: no trip at all. It is at least as new as the action, as a read
    would be; a change that came after it queues its own edit of every copy.

    No read transaction around the reads: this process's writers wait while they run (they
    hold the one connection), and a write of another process (the CLI) landing between
    two of them can only show a step of the case's trail late; its own edit follows.
    """
    if fresh is not None:
        kept = _fresh_cards(db).pop(case_id, None)
        if kept is not None and kept[0] == fresh:
            return kept[1]

    async def reads(q: Transaction) -> Card | None:
        return await card(q, case_id)

    return await db.run_reads(reads, snapshot=False)


# Cards drawn by the last actions, by case id: (version, card); taken once, the oldest
# dropped beyond this many (an action of a sweep is never redrawn by a handler).
FRESH_KEPT = 64
_FRESH = "cases.fresh_cards"


def _fresh_cards(db: Database) -> OrderedDict[int, tuple[int, Card]]:
    kept: OrderedDict[int, tuple[int, Card]] = db.cache.setdefault(_FRESH, OrderedDict())
    return kept


async def acting(db: Database, run: Callable[[Transaction], Awaitable[Case]]) -> Case:
    """Run a case action's transaction ``run`` (one trip, as Database.run_transaction) and
    draw the case's card at its end, in the same transaction: the handler that redraws
    the pressed card takes it (:func:`read_card` with ``fresh``) instead of reading it."""

    async def body(tx: Transaction) -> tuple[Case, Card | None]:
        moved = await run(tx)
        return moved, await card(tx, moved.id)

    moved, drawn = await db.run_transaction(body)
    if drawn is not None:
        kept = _fresh_cards(db)
        kept[moved.id] = (moved.version, drawn)
        kept.move_to_end(moved.id)
        while len(kept) > FRESH_KEPT:
            kept.popitem(last=False)
    return moved


@dataclass(frozen=True)
class Viewer:
    """What one holder of a card may see and do on it.

    A bound group chat is the least-privileged audience of its members: masked phone,
    no anonymous reporter's name, no internal notes, whoever presses a button there.
    """

    parts: frozenset[Who]
    full_phone: bool  # only admins of the reporter's own community see the phone in full
    internal: bool  # internal notes are shown (never in a group chat)

    @property
    def may_act(self) -> bool:
        """Whether the holder plays a part that has buttons."""
        return bool(self.parts - {Who.REPORTER, Who.BOT})

    def acts(self, case: Case) -> list[Act]:
        """The actions this holder may take on the case now, in the table's order."""
        return acts_for(case.status, self.parts - {Who.REPORTER, Who.BOT})


async def viewer(q: Queryable, card: Card, member: Member | None, recipient: str) -> Viewer:
    """The rights of the holder of ``card``: ``member`` in a private chat, or (None) the
    group chat ``recipient`` as its least-privileged member.

    The member is the caller's (the sender of the update, or the recipient as delivery
    read it), so nothing is read for them; a group's binding is read.
    """
    case, responsible = card.view.case, card.responsible
    if member is None:
        try:
            chat_id = int(recipient)
        except ValueError:
            return NOBODY
        parts = await group_parts(q, case, chat_id, responsible=responsible)
        return Viewer(parts, full_phone=False, internal=False)
    parts = await parts_of(q, member, case, responsible=responsible) - {Who.REPORTER}
    return Viewer(
        parts=parts,
        full_phone=is_admin(member.role) and member.area_id == case.community_id,
        internal=bool(parts),
    )


# The holder of a card who may see nothing beyond what anyone may (a member since gone).
NOBODY = Viewer(frozenset(), full_phone=False, internal=False)


def masked_phone(phone: str | None) -> str:
    """A phone number with its middle hidden: +86138****0001."""
    if not phone:
        return "-"
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"


def local_time(stamp_text: str, tz: tzinfo) -> str:
    """A stored UTC time as local 'MM-DD HH:MM'."""
    return from_db(stamp_text).astimezone(tz).strftime("%m-%d %H:%M")
