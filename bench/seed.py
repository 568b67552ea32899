"""Fast seeding for benchmarks: many members and cases written straight into SQLite.

Going through /start for ten thousand people would measure the join conversation,
not what the benchmark is about; these helpers write the same rows the services
write, in bulk.
"""

from __future__ import annotations

from bot.services.grid import Role
from storage.db import Database


async def add_members(
    db: Database,
    count: int,
    *,
    role: Role,
    area_ids: list[int],
    first_user_id: int,
    now: str,
    language: str = "zh-CN",
) -> list[int]:
    """Insert ``count`` members spread over ``area_ids``; return their Telegram user ids."""
    user_ids = list(range(first_user_id, first_user_id + count))
    rows = [
        (
            uid,
            f"成员{uid}",
            f"+86138{uid % 100_000_000:08d}",
            role.value,
            area_ids[i % len(area_ids)],
            f"BN-{uid}",
            language,
            now,
        )
        for i, uid in enumerate(user_ids)
    ]
    await db.executemany(
        "INSERT INTO members (tg_user_id, name, phone, role, area_id, work_id, language,"
        " joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return user_ids
