"""Exports (导出): an area's data for a period, as an Excel workbook or CSV files.

Sheets: cases with every field, their timeline, members, policy outreach, patrols,
meeting attendance, shifts, and notice coverage once notices exist. Headers are in
the reader's language; times are local dates and times (real Excel dates). The
workbook is written by bot/documents/xlsx.py, a row at a time, from rows streamed out of SQLite
(storage/exports.py), so memory stays flat; call :func:`write_export` in a thread.

What a viewer may see is what their cards show them: a reporter's phone in full only
to the admins of the reporter's own community, anonymous reporters' names to them
alone, internal notes only to the levels handling the case. The operator, on the
command line, sees everything. A file over Telegram's 50 MB is zipped, and a zip
still over it is split into numbered parts (``.zip.001``, ...: 7-Zip joins them).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.documents.xlsx import XlsxWriter
from bot.i18n import has, t
from storage import exports as repo

FORMATS = ("xlsx", "csv")
TELEGRAM_LIMIT = 50 * 1000 * 1000  # bytes a bot may send as one document
PART_LIMIT = 49 * 1000 * 1000  # what we aim under, leaving room for the request around it


class NothingToExport(Exception):
    """The area has nothing recorded in the period: no file is made."""


@dataclass(frozen=True)
class Viewer:
    """Who the export is for: an admin at ``area_id`` (``id_path``), or the operator (None)."""

    area_id: int | None
    id_path: str | None
    is_community_admin: bool = False

    @property
    def operator(self) -> bool:
        """The operator on the command line: sees everything."""
        return self.area_id is None

    def full_phone(self, community_id: int | None) -> bool:
        """Whether phones of that community's people are shown in full (and anonymous names)."""
        return self.operator or (self.is_community_admin and community_id == self.area_id)

    def internal(self, responsible_id_path: str) -> bool:
        """Whether internal notes of a case handled at that area are shown."""
        return self.operator or responsible_id_path.startswith(self.id_path or "\0")


OPERATOR = Viewer(None, None)


@dataclass(frozen=True)
class ExportRequest:
    """One export: the area, the period (as stored UTC bounds), the format, the reader."""

    db_path: str
    area_path: str  # the area's id_path
    area_name: str
    since: str
    until: str
    fmt: str
    lang: str
    tz: tzinfo
    viewer: Viewer
    folder: Path
    stem: str  # the file name without extension
    limit: int = PART_LIMIT


@dataclass(frozen=True)
class ExportResult:
    """The files written (one, or the parts of a split zip) and how many rows of each sheet."""

    files: list[Path]
    rows: dict[str, int]


def masked_phone(phone: str | None) -> str:
    """A phone with its middle hidden, as on cards: +86138****0001."""
    if not phone:
        return ""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"


@dataclass(frozen=True)
class Column:
    """A column: its header's catalogue key (``export.col.<key>``) and width."""

    key: str
    width: int


@dataclass
class Sheet:
    """A sheet: its name's key (``export.sheet.<key>``), columns, and rows to stream."""

    key: str
    columns: list[Column]
    rows: Iterator[list[Any]]


def _local(tz: tzinfo) -> Callable[[str | None], datetime | None]:
    def convert(stamp: str | None) -> datetime | None:
        if not stamp:
            return None
        return datetime.fromisoformat(stamp).astimezone(tz).replace(tzinfo=None)

    return convert


def _label(lang: str, key: str, fallback: str) -> str:
    return t(lang, key) if has(key) else fallback


def _cols(*spec: tuple[str, int]) -> list[Column]:
    return [Column(k, w) for k, w in spec]


def _sheets(conn: sqlite3.Connection, req: ExportRequest) -> list[Sheet]:
    lang, viewer, when = req.lang, req.viewer, _local(req.tz)
    yes, no = t(lang, "export.yes"), t(lang, "export.no")
    args = (req.area_path, req.since, req.until)

    def case_rows() -> Iterator[list[Any]]:
        for r in repo.cases(conn, *args):
            full = viewer.full_phone(r["community_id"])
            hidden = bool(r["anonymous"]) and not full
            phone = r["reporter_phone"] if full else masked_phone(r["reporter_phone"])
            yield [
                r["number"],
                _label(lang, f"category.{r['category']}", r["category"]),
                _label(lang, f"subcategory.{r['category']}.{r['subcategory']}", r["subcategory"]),
                _label(lang, f"status.{r['status']}", r["status"]),
                yes if r["urgent"] else no,
                r["description"] or "",
                yes if r["voice_file_id"] else no,
                r["photos"],
                r["place_path"] or r["place_text"] or "",
                r["latitude"],
                r["longitude"],
                r["community_path"],
                r["responsible_path"],
                r["escalations"],
                t(lang, "export.anonymous") if hidden else r["reporter_name"],
                "" if hidden else phone,
                "" if hidden else r["reporter_work_id"],
                yes if r["anonymous"] else no,
                r["assignee_name"] or "",
                when(r["created_at"]),
                when(r["accepted_at"]),
                when(r["accept_due"]),
                when(r["resolve_due"]),
                when(r["resolved_at"]),
                when(r["closed_at"]),
                r["resolution"] or "",
                r["reject_reason"] or "",
                _label(lang, f"rating.{r['rating']}", r["rating"]) if r["rating"] else "",
                "" if hidden else _details(r["details"]),
                r["mediation_agreement"] or "",
                r["mediation_fulfilment"] or "",
                when(r["mediation_revisit_at"]),
            ]

    def event_rows() -> Iterator[list[Any]]:
        for r in repo.events(conn, *args):
            if r["internal"] and not viewer.internal(r["responsible_id_path"]):
                continue
            actor = ""
            if r["actor_id"] is not None:
                actor = r["actor_name"] or ""
                if (
                    r["anonymous"]
                    and r["actor_id"] == r["reporter_id"]
                    and not viewer.full_phone(r["community_id"])
                ):
                    actor = t(lang, "export.anonymous")  # an opinion given in confidence
            yield [
                r["number"],
                when(r["at"]),
                _label(lang, f"export.event.{r['kind']}", r["kind"]),
                _label(lang, f"status.{r['from_status']}", r["from_status"] or ""),
                _label(lang, f"status.{r['to_status']}", r["to_status"] or ""),
                actor,
                _label(lang, f"role.{r['actor_role']}", r["actor_role"] or ""),
                _details(r["data"]),
                yes if r["internal"] else no,
            ]

    def member_rows() -> Iterator[list[Any]]:
        for r in repo.members(conn, req.area_path, req.until):
            full = viewer.full_phone(r["community_id"])
            yield [
                r["name"],
                _label(lang, f"role.{r['role']}", r["role"]),
                r["area_path"],
                r["work_id"],
                r["phone"] if full else masked_phone(r["phone"]),
                yes if r["active"] else no,
                when(r["joined_at"]),
            ]

    def outreach_rows() -> Iterator[list[Any]]:
        for r in repo.outreach(conn, *args):
            topic = _label(lang, f"outreach.topic.{r['topic']}", r["topic"])
            yield [when(r["at"]), r["name"], r["work_id"], r["area_path"], topic, r["households"]]

    def patrol_rows() -> Iterator[list[Any]]:
        for r in repo.patrols(conn, *args):
            yield [
                when(r["at"]),
                r["name"],
                r["work_id"],
                r["area_path"],
                r["latitude"],
                r["longitude"],
            ]

    def attendance_rows() -> Iterator[list[Any]]:
        for r in repo.attendance(conn, *args):
            answer = _label(lang, f"export.answer.{r['answer']}", "") if r["answer"] else ""
            yield [
                when(r["starts_at"]),
                r["title"],
                r["area_path"],
                yes if r["status"] == "scheduled" else no,
                r["name"],
                r["work_id"],
                answer,
                r["reason"] or "",
                when(r["answered_at"]),
                when(r["checked_in_at"]),
            ]

    def shift_rows() -> Iterator[list[Any]]:
        for r in repo.shifts(conn, *args):
            yield [
                when(r["starts_at"]),
                when(r["ends_at"]),
                r["post"],
                r["area_path"],
                r["needed"],
                r["taken"],
                r["people"] or "",
            ]

    sheets = [
        Sheet(
            "cases",
            _cols(
                ("number", 20),
                ("category", 10),
                ("subcategory", 14),
                ("status", 8),
                ("urgent", 6),
                ("description", 40),
                ("voice", 6),
                ("photos", 6),
                ("place", 30),
                ("latitude", 10),
                ("longitude", 10),
                ("community", 26),
                ("responsible", 26),
                ("escalations", 8),
                ("reporter", 10),
                ("reporter_phone", 16),
                ("work_id", 16),
                ("anonymous", 6),
                ("assignee", 10),
                ("created_at", 17),
                ("accepted_at", 17),
                ("accept_due", 17),
                ("resolve_due", 17),
                ("resolved_at", 17),
                ("closed_at", 17),
                ("resolution", 30),
                ("reject_reason", 16),
                ("rating", 8),
                ("details", 30),
                ("mediation_agreement", 30),
                ("mediation_fulfilment", 30),
                ("mediation_revisit_at", 17),
            ),
            case_rows(),
        ),
        Sheet(
            "timeline",
            _cols(
                ("number", 20),
                ("at", 17),
                ("event", 12),
                ("from_status", 8),
                ("to_status", 8),
                ("actor", 10),
                ("actor_role", 14),
                ("detail", 40),
                ("internal", 6),
            ),
            event_rows(),
        ),
        Sheet(
            "members",
            _cols(
                ("name", 10),
                ("role", 14),
                ("area", 36),
                ("work_id", 16),
                ("phone", 16),
                ("active", 6),
                ("joined_at", 17),
            ),
            member_rows(),
        ),
        Sheet(
            "outreach",
            _cols(
                ("at", 17),
                ("name", 10),
                ("work_id", 16),
                ("area", 36),
                ("topic", 12),
                ("households", 8),
            ),
            outreach_rows(),
        ),
        Sheet(
            "patrols",
            _cols(
                ("at", 17),
                ("name", 10),
                ("work_id", 16),
                ("area", 36),
                ("latitude", 10),
                ("longitude", 10),
            ),
            patrol_rows(),
        ),
        Sheet(
            "attendance",
            _cols(
                ("starts_at", 17),
                ("title", 20),
                ("area", 30),
                ("held", 6),
                ("name", 10),
                ("work_id", 16),
                ("answer", 8),
                ("reason", 20),
                ("answered_at", 17),
                ("checked_in_at", 17),
            ),
            attendance_rows(),
        ),
        Sheet(
            "shifts",
            _cols(
                ("starts_at", 17),
                ("ends_at", 17),
                ("post", 16),
                ("area", 30),
                ("needed", 6),
                ("taken", 6),
                ("people", 30),
            ),
            shift_rows(),
        ),
    ]
    notices = repo.notice_coverage(conn, *args)
    if notices is not None:
        sheets.append(
            Sheet(
                "notices",
                _cols(
                    ("notice", 8),
                    ("sent_at", 17),
                    ("relayed_at", 17),
                    ("name", 10),
                    ("work_id", 16),
                    ("area", 36),
                ),
                (
                    [
                        r["notice_id"],
                        when(r["sent_at"]),
                        when(r["relayed_at"]),
                        r["name"],
                        r["work_id"],
                        r["area_path"],
                    ]
                    for r in notices
                ),
            )
        )
    return sheets


def _details(text: str | None) -> str:
    """A JSON detail column as 'key: value' pairs (parties, reason, note...)."""
    if not text or text == "{}":
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return str(data)
    return "; ".join(f"{k}: {v}" for k, v in data.items())


def _write_xlsx(sheets: list[Sheet], lang: str, target: Path) -> dict[str, int]:
    book = XlsxWriter(target)
    counts: dict[str, int] = {}
    try:
        for sheet in sheets:
            counts[sheet.key] = book.sheet(
                t(lang, f"export.sheet.{sheet.key}"),
                [t(lang, f"export.col.{c.key}") for c in sheet.columns],
                [c.width for c in sheet.columns],
                sheet.rows,
            )
    finally:
        book.close()
    return counts


def _write_csv_zip(sheets: list[Sheet], lang: str, target: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, sheet in enumerate(sheets, 1):
            name = f"{index:02d}-{t(lang, f'export.sheet.{sheet.key}')}.csv"
            with (
                archive.open(name, "w", force_zip64=True) as raw,
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
            ):
                writer = csv.writer(text)
                writer.writerow([t(lang, f"export.col.{c.key}") for c in sheet.columns])
                n = 0
                for row in sheet.rows:
                    writer.writerow(
                        [
                            v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v
                            for v in row
                        ]
                    )
                    n += 1
            counts[sheet.key] = n
    return counts


def package(path: Path, limit: int) -> list[Path]:
    """``path`` as files each at most ``limit`` bytes: itself, zipped, or a zip in parts."""
    if path.stat().st_size <= limit:
        return [path]
    archive = path
    if path.suffix != ".zip":
        archive = path.with_suffix(path.suffix + ".zip")
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.write(path, path.name)
        path.unlink()
        if archive.stat().st_size <= limit:
            return [archive]
    parts: list[Path] = []
    with archive.open("rb") as source:
        while chunk := source.read(limit):
            part = archive.with_name(f"{archive.name}.{len(parts) + 1:03d}")
            part.write_bytes(chunk)
            parts.append(part)
    archive.unlink()
    return parts


def write_export(req: ExportRequest) -> ExportResult:
    """Write the export (blocking: run it in a thread); :class:`NothingToExport` if empty."""
    conn = repo.connect(req.db_path)
    try:
        if not repo.anything(conn, req.area_path, req.since, req.until):
            raise NothingToExport(req.area_name)
        req.folder.mkdir(parents=True, exist_ok=True)
        sheets = _sheets(conn, req)
        if req.fmt == "xlsx":
            target = req.folder / f"{req.stem}.xlsx"
            counts = _write_xlsx(sheets, req.lang, target)
        else:
            target = req.folder / f"{req.stem}.zip"
            counts = _write_csv_zip(sheets, req.lang, target)
    finally:
        conn.close()
    return ExportResult(package(target, req.limit), counts)


def file_stem(area_name: str, first: str, last: str) -> str:
    """A file name for an export: area and dates, with nothing a file system refuses."""
    safe = "".join(ch for ch in area_name if ch not in '\\/:*?"<>|').strip() or "export"
    return f"{safe}_{first}_{last}"
