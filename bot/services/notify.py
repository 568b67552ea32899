"""The notifier: how the rules say "tell this person" without knowing any channel.

A service calls :func:`notify_member` (or :func:`notify_address`) inside the
transaction of the change it announces; that writes an outbox row naming the
channel, the recipient's address on it, a message kind and a payload of plain
values. The delivery worker renders and sends it later, in the recipient's
language, and retries until it is through. A second channel (WeCom) is a new
channel name and a new sender; the rules do not change.
"""

from __future__ import annotations

from typing import Any

from storage import outbox
from storage.db import Queryable
from storage.members import Member

TELEGRAM = "telegram"


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
    return await outbox.enqueue(
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
    return await outbox.enqueue(
        q,
        channel=channel,
        recipient=address,
        member_id=None,
        kind=kind,
        payload=payload,
        now=now,
        dedupe_key=dedupe_key,
    )
