"""The areas repository: the grid's tree of district, streets, communities, buildings."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Queryable, Row, Transaction

_COLUMNS = "id, parent_id, kind, name, path, id_path, depth"


@dataclass(frozen=True)
class Area:
    """One node of the grid."""

    id: int
    parent_id: int | None
    kind: str
    name: str
    path: str  # '运河区/光明街道/光明街社区'
    id_path: str  # '/1/3/7/'
    depth: int

    def contains(self, other: Area) -> bool:
        """Whether ``other`` is this area or below it."""
        return other.id_path.startswith(self.id_path)

    @property
    def ancestor_ids(self) -> list[int]:
        """The ids from the root down to this area's parent."""
        return [int(part) for part in self.id_path.strip("/").split("/")[:-1]]


def _area(row: Row) -> Area:
    return Area(
        id=row["id"],
        parent_id=row["parent_id"],
        kind=row["kind"],
        name=row["name"],
        path=row["path"],
        id_path=row["id_path"],
        depth=row["depth"],
    )


async def insert(q: Queryable, parent: Area | None, kind: str, name: str, now: str) -> Area:
    """Add an area under ``parent`` (None: the root) and return it."""
    database = q if isinstance(q, Database) else q.database if isinstance(q, Transaction) else None
    if database is not None:
        forget_cached(database)
    path = name if parent is None else f"{parent.path}/{name}"
    depth = 0 if parent is None else parent.depth + 1
    # id_path needs the new id: insert with a unique placeholder, then set it.
    area_id = await q.execute(
        "INSERT INTO areas (parent_id, kind, name, path, id_path, depth, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (None if parent is None else parent.id, kind, name, path, f"?{path}", depth, now),
    )
    id_path = f"/{area_id}/" if parent is None else f"{parent.id_path}{area_id}/"
    await q.execute("UPDATE areas SET id_path = ? WHERE id = ?", (id_path, area_id))
    return Area(area_id, None if parent is None else parent.id, kind, name, path, id_path, depth)


async def get(q: Queryable, area_id: int) -> Area | None:
    """The area with this id, or None.

    Held in memory once read: an area never changes once its insert is committed (no
    statement renames, moves or deletes one), so a cached area is never stale; one not
    cached yet (made by another process) is read. :func:`insert` and the import that
    calls it clear the cache, so nothing a rolled-back import read stays.
    """
    cache = _cache_of(q)
    if cache is not None:
        found: Area | None = cache.get(area_id)
        if found is not None:
            return found
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM areas WHERE id = ?", (area_id,))
    if row is None:
        return None
    area = _area(row)
    if cache is not None:
        cache[area_id] = area
    return area


def forget_cached(db: Database) -> None:
    """Drop the areas held in memory (after an import, committed or not)."""
    db.cache.pop(_CACHE, None)


_CACHE = "areas"


def _cache_of(q: Queryable) -> dict[int, Area] | None:
    database = q if isinstance(q, Database) else q.database if isinstance(q, Transaction) else None
    if database is None:
        return None
    cache: dict[int, Area] = database.cache.setdefault(_CACHE, {})
    return cache


async def get_many(q: Queryable, area_ids: list[int]) -> list[Area]:
    """The areas with these ids, in the order of their paths."""
    if not area_ids:
        return []
    marks = ",".join("?" * len(area_ids))
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM areas WHERE id IN ({marks}) ORDER BY path", area_ids
    )
    return [_area(r) for r in rows]


async def by_path(q: Queryable, path: str) -> Area | None:
    """The area with this full path, or None."""
    row = await q.fetchone(f"SELECT {_COLUMNS} FROM areas WHERE path = ?", (path,))
    return None if row is None else _area(row)


async def ending_with(q: Queryable, tail: str, limit: int = 20) -> list[Area]:
    """Areas whose path is ``tail`` or ends with '/' + ``tail`` (a name or a partial path)."""
    last = tail.rsplit("/", 1)[-1]
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM areas WHERE name = ? AND (path = ? OR path LIKE ? ESCAPE '\\')"
        " ORDER BY path LIMIT ?",
        (last, tail, "%/" + _like_escape(tail), limit),
    )
    return [_area(r) for r in rows]


async def search(q: Queryable, text: str, limit: int = 10) -> list[Area]:
    """Areas whose name contains ``text``, shortest paths first."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM areas WHERE name LIKE ? ESCAPE '\\' ORDER BY depth, path LIMIT ?",
        ("%" + _like_escape(text) + "%", limit),
    )
    return [_area(r) for r in rows]


async def children(q: Queryable, area_id: int) -> list[Area]:
    """The areas directly below ``area_id``, in the order they were created.

    That is the order of the operator's area file (第一, 第二, 第三村民小组; 1号楼 … 10号楼),
    which sorting by name would scramble (第一, 第三, 第二; 10号楼 before 2号楼).
    """
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM areas WHERE parent_id = ? ORDER BY id", (area_id,)
    )
    return [_area(r) for r in rows]


async def subtree(q: Queryable, area: Area) -> list[Area]:
    """``area`` and everything below it, in path order."""
    rows = await q.fetchall(
        f"SELECT {_COLUMNS} FROM areas WHERE id_path LIKE ? ORDER BY path",
        (area.id_path + "%",),
    )
    return [_area(r) for r in rows]


async def roots(q: Queryable) -> list[Area]:
    """The top areas (a district, normally exactly one)."""
    rows = await q.fetchall(f"SELECT {_COLUMNS} FROM areas WHERE parent_id IS NULL ORDER BY name")
    return [_area(r) for r in rows]


async def count(q: Queryable) -> int:
    """How many areas there are."""
    return int(await q.fetchval("SELECT count(*) FROM areas"))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def child_counts(q: Queryable, parent_id: int) -> dict[int, int]:
    """For each area directly below ``parent_id``, how many areas are directly below it."""
    rows = await q.fetchall(
        "SELECT c.id, count(g.id) FROM areas c LEFT JOIN areas g ON g.parent_id = c.id"
        " WHERE c.parent_id = ? GROUP BY c.id",
        (parent_id,),
    )
    return {int(r[0]): int(r[1]) for r in rows}
