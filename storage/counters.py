"""Named counters (work ID numbers per year, case numbers per day)."""

from __future__ import annotations

from storage.db import Transaction


async def next_value(tx: Transaction, name: str) -> int:
    """Increment the counter ``name`` (starting at 1) and return its new value."""
    value = await tx.fetchval(
        "INSERT INTO counters (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (name,),
    )
    return int(value)
