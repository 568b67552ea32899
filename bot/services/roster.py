"""Roster import (花名册): many members invited at once from an Excel or CSV file.

A roster has a header row and one person per row: name, phone, role, area (a full
path or a unique name) and, optionally, a work ID number (工作证号). Every row is
checked before anything is written: an unknown area, an unknown role, a role that
does not fit the area, a phone or work ID twice in the file, someone who is a member
already. Cells are tidied first: full-width digits and letters (ＮＦＫＣ), extra spaces,
phones that Excel turned into numbers (1.3812345678E10). A merged cell spans rows
whose values Excel keeps only in the first, so its rows are refused, each by number.

Each valid row gets a one-time invite tied to that name and phone: joining with it,
the phone shared must be that phone (:func:`check_join`), and the roster's name and
work ID number become the member's. An import again for the same phone replaces the
unused invite it had.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.i18n import LANGUAGES, t
from bot.services.grid import Role, role_fits
from bot.services.invites import CODE_BYTES, hash_code
from storage import invites as invite_repo
from storage import roster as repo
from storage.areas import Area
from storage.db import Database, Queryable, Transaction
from storage.roster import RosterEntry
from storage.times import to_db

FIELDS = ("name", "phone", "role", "area", "work_id")
REQUIRED = ("name", "phone", "role", "area")
# Header names understood, besides the English keys (compared after tidying, lower case).
HEADERS: dict[str, frozenset[str]] = {
    "name": frozenset({"姓名", "名字", "name"}),
    "phone": frozenset({"手机号", "手机", "手机号码", "电话", "联系电话", "phone", "mobile"}),
    "role": frozenset({"角色", "身份", "职务", "role"}),
    "area": frozenset({"区域", "所在区域", "所属区域", "网格", "area"}),
    "work_id": frozenset({"工作证号", "工号", "work_id", "work id", "工作证编号"}),
}
MAX_NAME = 32
DEFAULT_TTL_DAYS = 60  # cards are handed out at the next 例会, which may be weeks away
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_WORK_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")


class RosterFileError(Exception):
    """The file as a whole cannot be used; the message says why."""


class PhoneMismatch(Exception):
    """Joining with a roster invite, the phone shared is not the roster's."""


@dataclass(frozen=True)
class Problem:
    """Why one row of the roster cannot be imported (``row`` as the spreadsheet numbers it)."""

    row: int
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}{': ' + self.detail if self.detail else ''}"


@dataclass(frozen=True)
class RosterRow:
    """A valid row: who, with which role, where."""

    row: int
    name: str
    phone: str  # national mobile number, digits only
    role: Role
    area: Area
    work_id: str | None


@dataclass
class Checked:
    """A roster after checking: its valid rows, and the problems of the others."""

    valid: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Card:
    """What an invite card shows: the person, role, area, work ID and the code."""

    name: str
    role: Role
    area: Area
    work_id: str | None
    code: str
    expires_at: datetime


# ---------------------------------------------------------------------- reading


def tidy(value: object) -> str:
    """A cell as text: full-width forms folded (NFKC), spaces trimmed and collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


def national_phone(value: object) -> str | None:
    """A mainland mobile number (11 digits) from a cell or a Telegram contact; None if not one.

    Takes numbers Excel made of it, full-width digits, spaces, dashes, brackets, and
    the country code (+86, 0086, 86).
    """
    text = re.sub(r"[\s()\-+.]", "", tidy(value))
    if text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text if _MOBILE.match(text) else None


def same_phone(roster_phone: str, shared: str | None) -> bool:
    """Whether the phone shared on joining is the roster's."""
    return shared is not None and national_phone(shared) == roster_phone


def _read_xlsx(path: Path) -> tuple[list[tuple[int, list[Any]]], list[tuple[int, int, str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise RosterFileError(f"{path.name} cannot be read as an Excel file ({error})") from None
    sheet = book.worksheets[0]
    rows = [
        (index, list(values)) for index, values in enumerate(sheet.iter_rows(values_only=True), 1)
    ]
    merged = [(r.min_row, r.max_row, r.coord) for r in sheet.merged_cells.ranges]
    return rows, merged


def _read_csv(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RosterFileError(f"{path.name} cannot be read ({error.strerror})") from None
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError(f"{path.name} is neither UTF-8 nor GBK text")
    if "\0" in text:
        raise RosterFileError(f"{path.name} is not a text file")
    return [(index, row) for index, row in enumerate(csv.reader(io.StringIO(text)), 1)]


def read_roster(path: Path) -> tuple[list[tuple[int, list[Any]]], list[tuple[int, int, str]]]:
    """The rows of a roster file, numbered as the spreadsheet numbers them, and merged ranges.

    Blocking (call it in a thread). Raises :class:`RosterFileError`.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_csv(path), []
    raise RosterFileError(f"{path.name}: a roster is an .xlsx or a .csv file")


def header_map(cells: list[Any]) -> dict[str, int]:
    """Which column holds which field; :class:`RosterFileError` naming what is missing."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = tidy(cell).lower()
        for name, aliases in HEADERS.items():
            if text in aliases and name not in found:
                found[name] = index
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        seen = ", ".join(tidy(c) for c in cells if tidy(c)) or "nothing"
        wanted = ", ".join(f"{name} ({'/'.join(sorted(HEADERS[name]))})" for name in missing)
        raise RosterFileError(
            f"the first row must name the columns; missing: {wanted}; found: {seen}"
        )
    return found


def _role_names() -> dict[str, Role]:
    names: dict[str, Role] = {}
    for role in Role:
        names[role.value] = role
        for language in LANGUAGES:
            names[tidy(t(language, f"role.{role.value}")).lower()] = role
    # short forms people write
    names.update(
        {
            "社区管理员": Role.COMMUNITY_ADMIN,
            "村管理员": Role.COMMUNITY_ADMIN,
            "街道管理员": Role.STREET_ADMIN,
            "镇管理员": Role.STREET_ADMIN,
            "区管理员": Role.DISTRICT_ADMIN,
            "楼长": Role.BUILDING_LEADER,
            "小组长": Role.GROUP_LEADER,
        }
    )
    return names


class _Areas:
    """The area tree in memory, resolved as the CLI resolves names (path, tail, unique name)."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self.by_path: dict[str, Area] = {}
        self.by_name: dict[str, list[Area]] = {}
        for area in areas:
            self.by_path[area.path] = area
            self.by_name.setdefault(area.name, []).append(area)

    def find(self, text: str) -> tuple[Area | None, str]:
        wanted = "/".join(part.strip() for part in text.strip("/").split("/"))
        exact = self.by_path.get(wanted)
        if exact is not None:
            return exact, ""
        last = wanted.rsplit("/", 1)[-1]
        matches = [
            a
            for a in self.by_name.get(last, [])
            if a.path == wanted or a.path.endswith("/" + wanted)
        ]
        if len(matches) == 1:
            return matches[0], ""
        if matches:
            return None, "ambiguous area, give more of its path: " + "; ".join(
                a.path for a in matches[:5]
            )
        return None, "unknown area"


async def check(q: Queryable, clock: Clock, rows: list[tuple[int, list[Any]]],
                merged: list[tuple[int, int, str]], areas: Iterable[Area]) -> Checked:  # fmt: skip
    """Check every row of a roster (the header first); nothing is written.

    Raises :class:`RosterFileError` for a file with no header or no rows.
    """
    content = [(n, cells) for n, cells in rows if any(tidy(c) for c in cells)]
    if not content:
        raise RosterFileError("the file is empty")
    header_row, header = content[0]
    columns = header_map(header)
    data = content[1:]
    if not data:
        raise RosterFileError("the file has a header but no people")
    result = Checked()
    spans: dict[int, str] = {}
    for first, last, ref in merged:
        if first <= header_row <= last:
            raise RosterFileError(f"merged cells {ref} in the header: unmerge them")
        for n in range(first, last + 1):
            spans.setdefault(n, ref)
    tree = _Areas(areas)
    roles = _role_names()
    now = to_db(clock.now())
    phones_in = {national_phone(p): w for p, w in (await repo.member_phones(q)).items()}
    ids_taken = await repo.work_ids(q, now)
    seen_phone: dict[str, int] = {}
    seen_id: dict[str, int] = {}

    def cell(cells: list[Any], name: str) -> Any:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    for n, cells in data:
        if n in spans:
            result.problems.append(
                Problem(n, "merged cells", f"{spans[n]}: unmerge them and fill in every row")
            )
            continue
        problems: list[Problem] = []
        name = tidy(cell(cells, "name"))
        if not name:
            problems.append(Problem(n, "no name"))
        elif len(name) > MAX_NAME or any(unicodedata.category(c).startswith("C") for c in name):
            problems.append(Problem(n, "bad name", name))
        raw_phone = cell(cells, "phone")
        phone = national_phone(raw_phone)
        if phone is None:
            problems.append(Problem(n, "bad phone", tidy(raw_phone) or "empty"))
        role_text = tidy(cell(cells, "role"))
        role = roles.get(role_text.lower())
        if role is None:
            problems.append(Problem(n, "unknown role", role_text or "empty"))
        area_text = tidy(cell(cells, "area"))
        area, why = tree.find(area_text) if area_text else (None, "no area")
        if area is None:
            if why.startswith("ambiguous"):
                problems.append(Problem(n, "ambiguous area", why.split(": ", 1)[1]))
            else:
                problems.append(Problem(n, why, area_text))
        if role is not None and area is not None and not role_fits(role, area.kind):
            detail = f"a {role.value} is not appointed to a {area.kind} ({area.path})"
            problems.append(Problem(n, "role does not fit the area", detail))
        work_id = tidy(cell(cells, "work_id")) or None
        if work_id is not None and not _WORK_ID.match(work_id):
            problems.append(Problem(n, "bad work ID", work_id))
        if phone is not None:
            if phone in phones_in:
                problems.append(Problem(n, "already a member", f"{phone} ({phones_in[phone]})"))
            elif phone in seen_phone:
                problems.append(
                    Problem(n, "duplicate phone", f"{phone}, as in row {seen_phone[phone]}")
                )
            else:
                seen_phone[phone] = n
        if work_id is not None:
            holder = ids_taken.get(work_id, "free")
            if work_id in seen_id:
                problems.append(
                    Problem(n, "duplicate work ID", f"{work_id}, as in row {seen_id[work_id]}")
                )
            elif holder != "free" and holder != phone:
                problems.append(Problem(n, "work ID taken", work_id))
            else:
                seen_id[work_id] = n
        if problems:
            result.problems.extend(problems)
            continue
        assert phone is not None and role is not None and area is not None
        result.valid.append(RosterRow(n, name, phone, role, area, work_id))
    return result


async def apply(
    db: Database, clock: Clock, rows: list[RosterRow], *, ttl_days: int, source: str
) -> tuple[list[Card], int]:
    """Make one invite per row, in one transaction; return the cards and how many replaced.

    Each code is shown once, on its card; only its hash is kept, as for any invite.
    """
    now = clock.now()
    stamp = to_db(now)
    expires = now + timedelta(days=ttl_days)
    cards: list[Card] = []
    replaced = 0

    async def run(tx: Transaction) -> tuple[list[Card], int]:
        nonlocal replaced
        for row in rows:
            replaced += await repo.supersede(tx, row.phone, stamp)
            code = secrets.token_urlsafe(CODE_BYTES)
            invite_id = await invite_repo.insert(
                tx,
                code_hash=hash_code(code),
                role=row.role.value,
                area_id=row.area.id,
                created_by=None,
                now=stamp,
                expires_at=to_db(expires),
            )
            await repo.add(
                tx,
                invite_id=invite_id,
                name=row.name,
                phone=row.phone,
                work_id=row.work_id,
                source=f"{source}:{row.row}",
                now=stamp,
            )
            cards.append(Card(row.name, row.role, row.area, row.work_id, code, expires))
        return cards, replaced

    return await db.run_transaction(run)


async def check_join(q: Queryable, invite_id: int, phone: str | None) -> RosterEntry | None:
    """The roster row behind an invite, if any, after checking the phone shared is its phone.

    Raises :class:`PhoneMismatch`; None for an ordinary invite (anyone may use it).
    """
    found = await repo.entry(q, invite_id)
    if found is not None and not same_phone(found.phone, phone):
        raise PhoneMismatch(invite_id)
    return found


async def entry(q: Queryable, invite_id: int) -> RosterEntry | None:
    """The roster row behind an invite, or None."""
    return await repo.entry(q, invite_id)
