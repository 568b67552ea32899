"""Numbered SQL migrations, applied at start, each exactly once.

A migration is a file ``storage/migrations/NNNN_what.sql``. Each runs in its own
transaction together with the row that records it in ``schema_migrations``, so a
crash in the middle leaves the database at the previous version, never between; and
the version is checked inside that transaction, so two processes starting on a new
database at once apply each migration once, the second finding it done.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from storage.db import Database, DatabaseError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script."""

    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """Every migration shipped with this gridbot, in order."""
    found: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise DatabaseError(f"migrations are not numbered 1..n without gaps: {versions}")
    return found


async def schema_version(db: Database) -> int:
    """The highest migration applied to ``db`` (0 for a new database)."""
    exists = await db.fetchval(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )
    if not exists:
        return 0
    return int(await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def migrate(db: Database) -> list[int]:
    """Bring ``db`` up to the newest schema; return the versions applied now.

    A database written by a newer gridbot is refused rather than touched.
    """
    migrations = available_migrations()
    newest = migrations[-1].version if migrations else 0
    await db.executescript(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = await schema_version(db)
    if current > newest:
        raise DatabaseError(
            f"{db.path}: database schema version {current} is newer than this gridbot "
            f"understands ({newest}); install the newer gridbot or restore a backup"
        )
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= current:
            continue
        # The version is read again inside the write lock: another process may have
        # applied this migration while we waited for it.
        async with db.transaction() as tx:
            done = await tx.fetchval(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            )
            if done:
                continue
            for statement in statements(migration.sql):
                await tx.execute(statement)
            await tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES"
                " (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                (migration.version, migration.name),
            )
        applied.append(migration.version)
    return applied


def statements(script: str) -> list[str]:
    """A script's statements, one by one (executescript would commit the transaction)."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if not _only_comments(pending):
                found.append(pending.strip())
            pending = ""
    if not _only_comments(pending):
        raise DatabaseError(f"unterminated statement in a migration: {pending[:80]!r}")
    return found


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())
