"""The notifier: how the rules say "tell this person" without knowing any channel.

A service calls :func:`notify_member` (or :func:`notify_address`) inside the
transaction of the change it announces; that writes an outbox row naming the
channel, the recipient's address on it, a message kind and a payload of plain
values. The delivery worker renders and sends it later, in the recipient's
language, and retries until it is through. A second channel (WeCom) is a new
channel name and a new sender; the rules do not change.

The notifier also marks the transaction (:data:`QUEUED`): once it commits, the hook
the composition root registered for that mark wakes the delivery worker, so what was
queued leaves at once instead of at the next sweep.
"""

from __future__ import annotations

from typing import Any

from storage import outbox
from storage.db import Queryable
from storage.members import Member

TELEGRAM = "telegram"
# The mark on a transaction that wrote outbox rows due now (see storage.db.Database.on_commit).
QUEUED = "outbox.queued"


def queued(q: Queryable) -> None:
    """Say that ``q`` made outbox rows due by other means than :func:`notify_member`.

    A notice's hand-out writes its rows in bulk, and held messages are released to a
    member who can be reached again: the delivery worker is woken for them on commit.
    """
    q.mark(QUEUED)


def address_of(member: Member, channel: str = TELEGRAM) -> str:
    """Where ``member`` is reached on ``channel``."""
    if channel != TELEGRAM:
        raise ValueError(f"no address for channel {channel!r}")
    return str(member.tg_user_id)


async def notify_member(
    q: Queryable,
    member: Member,
    kind: str,
    payload: dict[str, Any],
    *,
    now: str,
    dedupe_key: str | None = None,
    not_before: str | None = None,
) -> int | None:
    """Queue a message of ``kind`` for ``member``; None if ``dedupe_key`` was queued before."""
    row_id = await outbox.enqueue(
        q,
        channel=TELEGRAM,
        recipient=address_of(member),
        member_id=member.id,
        kind=kind,
        payload=payload,
        now=now,
        dedupe_key=dedupe_key,
        not_before=not_before,
    )
    if row_id is not None:
        queued(q)
    return row_id


async def notify_address(
    q: Queryable,
    channel: str,
    address: str,
    kind: str,
    payload: dict[str, Any],
    *,
    now: str,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a message for an address that is not a member (an admins' group chat)."""
    row_id = await outbox.enqueue(
        q,
        channel=channel,
        recipient=address,
        member_id=None,
        kind=kind,
        payload=payload,
        now=now,
        dedupe_key=dedupe_key,
    )
    if row_id is not None:
        queued(q)
    return row_id
