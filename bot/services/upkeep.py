"""Keeping the database bounded: sent messages pruned after a while, free pages returned.

Run by the ``sweep:upkeep`` job (hourly) and, for a full rewrite, by ``python -m bot
vacuum``. Channel-free: it knows the outbox only as rows that were sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.services.cases.alerts import COPY_KEY_PARTS
from storage import upkeep as repo
from storage.db import Database, Transaction
from storage.times import to_db
from storage.upkeep import FileSize

BATCH = 1000  # rows per delete transaction: the writer is held a few milliseconds each
MAX_BATCHES = 50  # per pass; what is left waits for the next one
VACUUM_PAGES = 2048  # free pages given back per pass (8 MB at the default page size)


@dataclass(frozen=True)
class Upkeep:
    """What one pass did."""

    pruned: int  # outbox rows deleted
    freed_pages: int  # pages given back to the file system
    copies: int = 0  # alert copies of ended cases forgotten


async def prune(db: Database, clock: Clock, keep_sent_days: int) -> Upkeep:
    """Delete sent outbox rows older than ``keep_sent_days`` (0: keep all), and the alert
    copies of cases ended that long ago (they are edited no more), then free pages.

    Rows a notice still reads (its coverage) are kept; see :mod:`storage.upkeep`.
    """
    pruned = copies = 0
    if keep_sent_days > 0:
        before = to_db(clock.now() - timedelta(days=keep_sent_days))

        async def run(tx: Transaction) -> int:
            return await repo.prune_sent(tx, before, BATCH)

        for _ in range(MAX_BATCHES):
            # One transaction, and one trip to the database thread, per batch.
            deleted = await db.run_transaction(run)
            pruned += deleted
            if deleted < BATCH:
                break
        copies = await _prune_copies(db, before)
    freed = await repo.incremental_vacuum(db, VACUUM_PAGES)
    return Upkeep(pruned=pruned, freed_pages=freed, copies=copies)


async def _prune_copies(db: Database, before: str) -> int:
    """The alert copies of cases ended before ``before``, in batches (see storage.upkeep)."""

    async def run(tx: Transaction) -> int:
        return await repo.prune_copies(tx, before, COPY_KEY_PARTS, BATCH)

    forgotten = 0
    for _ in range(MAX_BATCHES):
        deleted = await db.run_transaction(run)
        forgotten += deleted
        if deleted < BATCH:
            break
    return forgotten


async def vacuum(db: Database) -> tuple[FileSize, FileSize]:
    """Rewrite the database compactly and switch it to incremental auto-vacuum.

    Returns its size before and after.
    """
    return await repo.vacuum(db)
