"""Keeping the file bounded: pruning sent outbox rows, and giving free pages back.

Every message ever sent stayed in the outbox (about 4 KB a case). Sent rows older than
``delivery.keep_sent_days`` are deleted, except what is still needed later: a notice's
delivery rows point at their outbox rows (coverage, recall), so those stay as long as
the notice. What the edit-in-place of alerts needs is in ``message_refs``, not here.
Deleted rows leave free pages; with ``auto_vacuum = INCREMENTAL`` (set on new databases,
and by ``python -m bot vacuum`` on old ones) ``PRAGMA incremental_vacuum`` gives them
back to the file system a few at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Queryable

AUTO_VACUUM_INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL


async def prune_sent(q: Queryable, before: str, limit: int) -> int:
    """Delete up to ``limit`` sent rows sent before ``before``, oldest first; return how many.

    Rows a notice delivery points at are kept (the notice's coverage reads them). The rows
    are found by id order from the oldest, so a pass reads what it deletes, not the queue.
    """
    rows = await q.fetchall(
        "DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o WHERE o.status = 'sent'"
        " AND o.sent_at < ? AND NOT EXISTS"
        " (SELECT 1 FROM notice_deliveries d WHERE d.outbox_id = o.id)"
        " ORDER BY o.id LIMIT ?) RETURNING id",
        (before, limit),
    )
    return len(rows)


async def prune_copies(
    q: Queryable, before: str, key_parts: tuple[str, str, str], limit: int
) -> int:
    """Forget up to ``limit`` alert copies of cases that ended before ``before``: who holds
    one (``case_watchers``) and the message kept to edit (``message_refs``, under the key
    ``key_parts`` spell around the case id and the recipient); return how many copies.

    An ended case is not alerted again nor edited any more, so its copies serve nothing
    (a later note on it refreshes no copy). Found in the holders' order, oldest first,
    each case by its id: a pass reads what it deletes.
    """
    rows = await q.fetchall(
        "SELECT w.rowid, w.case_id, w.recipient FROM case_watchers w"
        " JOIN cases c ON c.id = w.case_id WHERE c.closed_at IS NOT NULL AND c.closed_at < ?"
        " ORDER BY w.rowid LIMIT ?",
        (before, limit),
    )
    if not rows:
        return 0
    before_id, between, after = key_parts
    keys = [f"{before_id}{r[1]}{between}{r[2]}{after}" for r in rows]
    marks = ",".join("?" * len(rows))
    await q.execute(f"DELETE FROM message_refs WHERE edit_key IN ({marks})", keys)
    await q.execute(
        f"DELETE FROM case_watchers WHERE rowid IN ({marks})", [int(r[0]) for r in rows]
    )
    return len(rows)


@dataclass(frozen=True)
class FileSize:
    """The database file's pages: how many, how big, how many are free."""

    pages: int
    page_size: int
    free_pages: int
    auto_vacuum: int

    @property
    def bytes(self) -> int:
        """The file's size in bytes (without the WAL)."""
        return self.pages * self.page_size


async def file_size(db: Database) -> FileSize:
    """The database's page counts and its auto_vacuum mode."""
    return FileSize(
        pages=int(await db.fetchval("PRAGMA page_count")),
        page_size=int(await db.fetchval("PRAGMA page_size")),
        free_pages=int(await db.fetchval("PRAGMA freelist_count")),
        auto_vacuum=int(await db.fetchval("PRAGMA auto_vacuum")),
    )


async def incremental_vacuum(db: Database, pages: int) -> int:
    """Give up to ``pages`` free pages back to the file system; return how many went.

    Only with ``auto_vacuum = INCREMENTAL``; otherwise nothing happens (0). A bounded
    number per call, so the writer is held briefly.
    """
    before = await file_size(db)
    if before.auto_vacuum != AUTO_VACUUM_INCREMENTAL or not before.free_pages:
        return 0
    # It frees one page per step, and Python's execute() steps a statement without result
    # columns only once; executescript steps it to its end (one hop still).
    await db.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
    after = await file_size(db)
    return before.pages - after.pages


async def vacuum(db: Database) -> tuple[FileSize, FileSize]:
    """Rewrite the file compactly (VACUUM), switching it to incremental auto-vacuum.

    Returns the sizes before and after. VACUUM takes the write lock for as long as it
    runs and needs room for a second copy of the file while it does.
    """
    before = await file_size(db)
    await db.execute(f"PRAGMA auto_vacuum = {AUTO_VACUUM_INCREMENTAL}")
    await db.execute("VACUUM")
    # Fold the rewritten pages back into the file, so its size on disk is the new one.
    await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    return before, await file_size(db)
