"""The area tree: building it from a file, and finding an area by what someone typed.

An area file is CSV, one area per line, ``kind,path``::

    district,运河区
    street,运河区/光明街道
    community,运河区/光明街道/光明街社区
    building,运河区/光明街道/光明街社区/欣园小区1号楼
    unit,运河区/光明街道/光明街社区/欣园小区1号楼/1单元

A parent comes before its children. Kinds are the English keys or their Chinese
names (区, 街道, 镇, 社区, 村, 楼栋, 村民小组, 单元). Lines starting with ``#`` and
blank lines are skipped. Importing is all or nothing, and importing a file again
adds only what is new, so the same file can grow over time.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass

from bot.clock import Clock
from bot.services.grid import LEVEL, PARENT_KINDS, AreaKind, parse_kind
from storage import areas as area_repo
from storage.areas import Area
from storage.db import Database, Queryable, Transaction
from storage.times import to_db

__all__ = [
    "Area",
    "AreaAmbiguous",
    "AreaFileError",
    "AreaLine",
    "AreaNotFound",
    "ImportReport",
    "import_areas",
    "parse_area_file",
    "resolve",
]

MAX_NAME = 64


class AreaNotFound(Exception):
    """No area matches what was typed; ``candidates`` are the nearest names."""

    def __init__(self, text: str, candidates: list[Area]) -> None:
        super().__init__(text)
        self.text = text
        self.candidates = candidates


class AreaAmbiguous(Exception):
    """More than one area matches what was typed."""

    def __init__(self, text: str, candidates: list[Area]) -> None:
        super().__init__(text)
        self.text = text
        self.candidates = candidates


class AreaFileError(Exception):
    """A line of an area file is wrong."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class AreaLine:
    """One area of an area file."""

    line: int
    kind: AreaKind
    names: tuple[str, ...]

    @property
    def path(self) -> str:
        """The full path, '/'-joined."""
        return "/".join(self.names)


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    created: int
    existing: int


def parse_area_file(text: str) -> list[AreaLine]:
    """The areas of an area file's text; :class:`AreaFileError` on the first bad line."""
    lines: list[AreaLine] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if [c.lower() for c in cells[:2]] == ["kind", "path"] and not lines:
            continue  # a header line
        if len(cells) != 2:
            raise AreaFileError(number, f"expected 'kind,path', got {len(cells)} fields")
        try:
            kind = parse_kind(cells[0])
        except ValueError:
            raise AreaFileError(number, f"unknown kind {cells[0]!r}") from None
        names = tuple(part.strip() for part in cells[1].strip("/").split("/"))
        if not names or any(not n for n in names):
            raise AreaFileError(number, f"empty name in path {cells[1]!r}")
        if any(len(n) > MAX_NAME for n in names):
            raise AreaFileError(number, f"a name is longer than {MAX_NAME} characters")
        if len(names) != LEVEL[kind] + 1:
            raise AreaFileError(
                number,
                f"a {kind.value} sits at depth {LEVEL[kind] + 1}, "
                f"but {cells[1]!r} has {len(names)} parts",
            )
        lines.append(AreaLine(number, kind, names))
    if not lines:
        raise AreaFileError(0, "the file lists no areas")
    return lines


async def import_areas(db: Database, lines: list[AreaLine], clock: Clock) -> ImportReport:
    """Create the areas of ``lines`` that do not exist yet, in one transaction."""
    try:
        return await _import_areas(db, lines, clock)
    finally:
        area_repo.forget_cached(db)  # the tree held in memory is read again


async def _import_areas(db: Database, lines: list[AreaLine], clock: Clock) -> ImportReport:
    now = to_db(clock.now())
    created = existing = 0

    async def run(tx: Transaction) -> ImportReport:
        nonlocal created, existing
        known: dict[str, Area] = {}
        for entry in lines:
            found = known.get(entry.path) or await area_repo.by_path(tx, entry.path)
            if found is not None:
                if found.kind != entry.kind:
                    raise AreaFileError(
                        entry.line, f"{entry.path} exists already as a {found.kind}"
                    )
                known[entry.path] = found
                existing += 1
                continue
            parent: Area | None = None
            if len(entry.names) > 1:
                parent_path = "/".join(entry.names[:-1])
                parent = known.get(parent_path) or await area_repo.by_path(tx, parent_path)
                if parent is None:
                    raise AreaFileError(entry.line, f"its parent {parent_path} is not listed above")
                if AreaKind(parent.kind) not in PARENT_KINDS[entry.kind]:
                    raise AreaFileError(
                        entry.line, f"a {entry.kind.value} cannot sit in a {parent.kind}"
                    )
            elif await area_repo.roots(tx):
                raise AreaFileError(entry.line, "there is a district already; one tree only")
            known[entry.path] = await area_repo.insert(tx, parent, entry.kind, entry.names[-1], now)
            created += 1
        return ImportReport(created=created, existing=existing)

    return await db.run_transaction(run)


async def resolve(q: Queryable, text: str, *, within: Area | None = None) -> Area:
    """The area named by ``text``: a full path, a partial path, or a unique name.

    With ``within``, only that area and those below it count. Raises
    :class:`AreaAmbiguous` or :class:`AreaNotFound` with candidates to choose from.
    """
    wanted = "/".join(part.strip() for part in text.strip().strip("/").split("/"))
    if not wanted:
        raise AreaNotFound(text, [])

    def inside(area: Area) -> bool:
        return within is None or within.contains(area)

    exact = await area_repo.by_path(q, wanted)
    if exact is not None and inside(exact):
        return exact
    matches = [a for a in await area_repo.ending_with(q, wanted) if inside(a)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AreaAmbiguous(text, matches)
    last = wanted.rsplit("/", 1)[-1]
    candidates = [a for a in await area_repo.search(q, last, limit=20) if inside(a)]
    if not candidates:
        pool = (
            await area_repo.subtree(q, within)
            if within is not None
            else [a for root in await area_repo.roots(q) for a in await area_repo.subtree(q, root)]
        )
        by_name: dict[str, list[Area]] = {}
        for area in pool:
            by_name.setdefault(area.name, []).append(area)
        close = difflib.get_close_matches(last, list(by_name), n=5, cutoff=0.4)
        candidates = [a for name in close for a in by_name[name]]
    raise AreaNotFound(text, candidates[:10])


async def get(q: Queryable, area_id: int) -> Area | None:
    """The area with this id, or None."""
    return await area_repo.get(q, area_id)


async def children_with_counts(q: Queryable, area_id: int) -> list[tuple[Area, int]]:
    """The areas directly below ``area_id``, each with how many areas are below it."""
    counts = await area_repo.child_counts(q, area_id)
    return [(child, counts.get(child.id, 0)) for child in await area_repo.children(q, area_id)]


async def tree(q: Queryable) -> list[Area]:
    """Every area, each after its parent (path order)."""
    return [a for root in await area_repo.roots(q) for a in await area_repo.subtree(q, root)]


async def root(q: Queryable) -> Area | None:
    """The district at the top of the tree, or None before ``init``."""
    roots = await area_repo.roots(q)
    return roots[0] if roots else None
