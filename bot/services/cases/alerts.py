"""Who is told when a case moves: the outbox kinds of case messages, the first alert
of a level (its admins and bound group chats, once each), the edit of every copy of a
card, and the short notices to the reporter, the holders and the handlers."""

from __future__ import annotations

from typing import Any

from bot.services.cases.routing import responsible_admins
from bot.services.notify import TELEGRAM, address_of, notify_address, notify_member
from storage import areas as area_repo
from storage import case_copies as copy_repo
from storage import group_chats as group_repo
from storage import members as member_repo
from storage.areas import Area
from storage.case_copies import Watcher
from storage.cases import Case
from storage.db import Transaction
from storage.members import Member

# Outbox kinds (rendered by handlers/messages/case_cards.py).
CASE_NEW = "case.new"  # the first alert of a case to an admin, a bound group or an assignee
CASE_ALERT = "case.alert"  # the first alert to a level put over the case (督办)
CASE_UPDATE = "case.update"  # an edit, in place, of an alert someone holds
CASE_NOTICE = "case.notice"  # a short message to handlers: supervised, urged, reopened, ...
CASE_REPORTER = "case.reporter"  # what the reporter is told
CASE_REVISIT = "case.revisit"  # 回访: the mediator is reminded to visit again
CASE_TODO = "case.todo"  # the assignee is reminded that the limit is near
CASE_VOICE = "case.voice"  # a voice message of the report after the first, under the alert
MEMBER_BLOCKED = "member.blocked"  # an admin is told a member blocked the bot


async def alert_level(tx: Transaction, case: Case, area: Area, kind: str, now: str) -> None:
    """Alert the admins answering for ``area`` and its bound group chats about a case.

    Someone who holds a copy already is not alerted again (one alert per person).
    """
    case_id = case.id
    for admin in await responsible_admins(tx, area):
        address = address_of(admin)
        if await copy_repo.add_watcher(tx, case_id, address, admin.id, area.id, now):
            await notify_member(
                tx,
                admin,
                kind,
                {"case_id": case_id},
                now=now,
                dedupe_key=f"case:{case_id}:new:{admin.id}",
            )
            await more_voices(tx, case, address, admin, now)
    for chat_id in await group_repo.groups_of(tx, area.id):
        if await copy_repo.add_watcher(tx, case_id, str(chat_id), None, area.id, now):
            await notify_address(
                tx,
                TELEGRAM,
                str(chat_id),
                kind,
                {"case_id": case_id},
                now=now,
                dedupe_key=f"case:{case_id}:new:g{chat_id}",
            )
            await more_voices(tx, case, str(chat_id), None, now)


async def more_voices(
    tx: Transaction, case: Case, address: str, member: Member | None, now: str
) -> None:
    """Queue the report's voice messages after the first (kept in ``details["voices"]``)
    to someone who gets the case's first alert: one message each, after the alert."""
    case_id = case.id
    voices = case.details.get("voices")
    if not isinstance(voices, list):
        return
    for index in range(len(voices)):
        payload = {"case_id": case_id, "index": index}
        key = f"case:{case_id}:voice{index}:{address}"
        if member is not None:
            await notify_member(tx, member, CASE_VOICE, payload, now=now, dedupe_key=key)
        else:
            await notify_address(
                tx, TELEGRAM, address, CASE_VOICE, payload, now=now, dedupe_key=key
            )


async def _refresh_copies(tx: Transaction, case: Case, event_id: int, now: str) -> list[Watcher]:
    """Queue an edit of every alert copy of the case; return who holds one."""
    held = await copy_repo.watchers(tx, case.id)
    # The reporter read with them, in the same statement: the event tells them next.
    people = await _members_of(tx, held, also=case.reporter_id)
    for watcher in held:
        await _queue(
            tx,
            watcher,
            people,
            CASE_UPDATE,
            {"case_id": case.id},
            now,
            refresh_key(case.id, event_id, watcher.recipient),
        )
    return held


# The key a holder's copy of a case's card is kept under for its edits (message_refs):
# "case:{case id}:{recipient}". Its parts, for the pruning that matches it in SQL.
COPY_KEY_PARTS = ("case:", ":", "")


def copy_key(case_id: int, recipient: str) -> str:
    """The key under which a holder's copy of a case's alert is kept for editing."""
    before, between, after = COPY_KEY_PARTS
    return f"{before}{case_id}{between}{recipient}{after}"


def refresh_key(case_id: int, event_id: int, recipient: str) -> str:
    """The dedupe key of the edit of ``recipient``'s copy queued for event ``event_id``."""
    return f"case:{case_id}:e{event_id}:{recipient}"


async def _members_of(
    tx: Transaction, watchers: list[Watcher], *, also: int | None = None
) -> dict[int, Member]:
    """The members among ``watchers`` (and ``also``), read in one statement."""
    ids = [w.member_id for w in watchers if w.member_id is not None]
    return await member_repo.get_many(tx, ids if also is None else [*ids, also])


async def _queue(
    tx: Transaction,
    watcher: Watcher,
    people: dict[int, Member],
    kind: str,
    payload: dict[str, Any],
    now: str,
    dedupe: str,
) -> None:
    if watcher.member_id is not None:
        member = people.get(watcher.member_id)
        if member is None or not member.active:
            return
        await notify_member(tx, member, kind, payload, now=now, dedupe_key=dedupe)
    else:
        await notify_address(
            tx, TELEGRAM, watcher.recipient, kind, payload, now=now, dedupe_key=dedupe
        )


async def _tell_reporter(
    tx: Transaction, case: Case, event_id: int | str, event: str, now: str, **values: Any
) -> None:
    reporter = await member_repo.get(tx, case.reporter_id)
    if reporter is None or not reporter.active:
        return
    await notify_member(
        tx,
        reporter,
        CASE_REPORTER,
        {"case_id": case.id, "event": event, "event_id": event_id, **values},
        now=now,
        dedupe_key=reporter_key(case.id, event_id),
    )


# The dedupe key of what the reporter is told of one event: "case:{case id}:e{event id}"
# and REPORTER_KEY_TAIL; its two parts around the event id, for a write that matches it
# in SQL (lifecycle.closing_shown).
REPORTER_KEY_TAIL = ":reporter"


def reporter_key_parts(case_id: int) -> tuple[str, str]:
    """The dedupe key of what the reporter is told of an event of a case, around its id."""
    return f"case:{case_id}:e", REPORTER_KEY_TAIL


def reporter_key(case_id: int, event_id: int | str) -> str:
    """The dedupe key of what the reporter is told of one event of a case."""
    before, after = reporter_key_parts(case_id)
    return f"{before}{event_id}{after}"


async def _tell_watchers(
    tx: Transaction,
    case: Case,
    event_id: int,
    event: str,
    now: str,
    *,
    actor: Member | None = None,
    **values: Any,
) -> None:
    """A notice to everyone holding a copy of the alert but the actor, who was answered."""
    held = await copy_repo.watchers(tx, case.id)
    people = await _members_of(tx, held)
    for watcher in held:
        if actor is not None and watcher.member_id == actor.id:
            continue  # one message per event per person: the actor has their answer
        await _queue(
            tx,
            watcher,
            people,
            CASE_NOTICE,
            {"case_id": case.id, "event": event, **values},
            now,
            f"case:{case.id}:e{event_id}:n:{watcher.recipient}",
        )


async def _tell_handlers(
    tx: Transaction, case: Case, event_id: int, event: str, now: str, **values: Any
) -> None:
    """A notice to those who handle the case: its handling area's admins and the assignee."""
    responsible = await area_repo.get(tx, case.responsible_area_id)
    people = [] if responsible is None else await responsible_admins(tx, responsible)
    if case.assignee_id is not None:
        assignee = await member_repo.get(tx, case.assignee_id)
        if assignee is not None and assignee.id not in {p.id for p in people}:
            people.append(assignee)
    for person in people:
        if person.active:
            await notify_member(
                tx,
                person,
                CASE_NOTICE,
                {"case_id": case.id, "event": event, **values},
                now=now,
                dedupe_key=f"case:{case.id}:e{event_id}:h:{person.id}",
            )
