"""Group chats bound to an area (area_groups): the area's alerts also go there."""

from __future__ import annotations

from storage.db import Queryable

# ---------------------------------------------------------------------- group chats


async def bind_group(q: Queryable, area_id: int, chat_id: int, by: int, now: str) -> None:
    """Bind a group chat to an area (a chat serves one area; binding again moves it)."""
    await q.execute("DELETE FROM area_groups WHERE chat_id = ?", (chat_id,))
    await q.execute(
        "INSERT INTO area_groups (area_id, chat_id, bound_by, bound_at) VALUES (?, ?, ?, ?)",
        (area_id, chat_id, by, now),
    )


async def unbind_group(q: Queryable, chat_id: int) -> int | None:
    """Unbind a group chat; return the area it served, or None if it was not bound."""
    area_id = await q.fetchval("SELECT area_id FROM area_groups WHERE chat_id = ?", (chat_id,))
    await q.execute("DELETE FROM area_groups WHERE chat_id = ?", (chat_id,))
    return None if area_id is None else int(area_id)


async def group_area(q: Queryable, chat_id: int) -> int | None:
    """The area a group chat is bound to, or None."""
    area_id = await q.fetchval("SELECT area_id FROM area_groups WHERE chat_id = ?", (chat_id,))
    return None if area_id is None else int(area_id)


async def groups_of(q: Queryable, area_id: int) -> list[int]:
    """The chat ids of the group chats bound to an area."""
    rows = await q.fetchall(
        "SELECT chat_id FROM area_groups WHERE area_id = ? ORDER BY chat_id", (area_id,)
    )
    return [int(r[0]) for r in rows]
