"""The operator's evaluation commands: ``export`` and ``import-roster`` (issue 13).

``python -m bot export --area AREA --from DATE --to DATE [--format xlsx|csv] [--out DIR]``
writes an area's data for a period (the operator sees everything, phones in full).
``python -m bot import-roster FILE.xlsx|csv [--apply] [--cards FILE.pdf]`` checks a
roster row by row and, when every row is valid or ``--apply`` is given, makes a
one-time invite for each valid row and a printable PDF of invite cards.
bot/cli.py adds these parsers and hands these commands here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Config
from bot.i18n import LANGUAGES
from bot.services import areas as area_service
from bot.services import exports, stats
from bot.services.areas import AreaAmbiguous, AreaNotFound
from storage.db import Database
from storage.migrate import migrate

COMMANDS = ("export", "import-roster")
EXIT_OK, EXIT_FAILED = 0, 1


def add_parsers(sub: argparse._SubParsersAction, with_config: Callable[..., None]) -> None:  # type: ignore[type-arg]
    """Add ``export`` and ``import-roster`` to the command line."""
    export = sub.add_parser("export", help="write an area's data for a period to XLSX or CSV")
    export.add_argument("--area", required=True, help="a full path or a unique name")
    export.add_argument("--from", dest="first", metavar="DATE", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="last", metavar="DATE", help="last day, YYYY-MM-DD")
    export.add_argument(
        "--period", choices=stats.PRESETS, help="instead of --from/--to: a named period"
    )
    export.add_argument("--format", choices=exports.FORMATS, default="xlsx")
    export.add_argument("--out", default=".", metavar="DIR", help="folder for the file(s)")
    export.add_argument("--lang", choices=LANGUAGES, help="headers' language (default: config)")
    with_config(export)

    roster = sub.add_parser(
        "import-roster", help="check a roster (xlsx/csv), make invites and printable cards"
    )
    roster.add_argument("file", metavar="FILE", help="the roster: .xlsx or .csv")
    roster.add_argument(
        "--apply", action="store_true", help="make invites for the valid rows even if some are not"
    )
    roster.add_argument(
        "--cards", metavar="PDF", help="where to write the invite cards (default: beside FILE)"
    )
    roster.add_argument("--ttl-days", type=int, help="days the invites stay valid (default: 60)")
    with_config(roster)


def dispatch(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Run ``export`` or ``import-roster``; problems go to stderr with exit status 1."""
    try:
        if args.command == "export":
            return asyncio.run(_export(args, config, out))
        from bot.cli_roster import import_roster

        return asyncio.run(import_roster(args, config, out))
    except Failed as error:
        print(f"gridbot: {error}", file=sys.stderr)
        return EXIT_FAILED


class Failed(Exception):
    """The command could not do what was asked; the message says why."""


async def open_db(config: Config) -> Database:
    """The migrated database of ``config``."""
    db = await Database(config.database.path, config.database.busy_timeout_ms).open()
    try:
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db


def _period(args: argparse.Namespace, day: date) -> stats.Period:
    try:
        if args.period:
            return stats.preset(args.period, day)
        if not args.first or not args.last:
            raise Failed("give --from and --to (YYYY-MM-DD), or --period")
        return stats.parse_period(f"{args.first} {args.last}", day)
    except stats.PeriodError as error:
        problem = {
            "reversed": "the period ends before it starts",
            "future": "the period has not started yet",
        }.get(error.reason, "dates must be YYYY-MM-DD")
        raise Failed(problem) from None


async def _export(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    period = _period(args, stats.today(SystemClock(), config.tz))
    db = await open_db(config)
    try:
        try:
            area = await area_service.resolve(db, args.area)
        except (AreaAmbiguous, AreaNotFound) as error:
            listed = ", ".join(a.path for a in error.candidates[:5])
            raise Failed(
                f"{args.area!r} is not one area{'; candidates: ' + listed if listed else ''}"
            ) from None
    finally:
        await db.close()
    since, until = period.bounds(config.tz)
    first, last = f"{period.first:%Y-%m-%d}", f"{period.last:%Y-%m-%d}"
    request = exports.ExportRequest(
        db_path=config.database.path,
        area_path=area.id_path,
        area_name=area.name,
        since=since,
        until=until,
        fmt=args.format,
        lang=args.lang or config.locale.default_language,
        tz=config.tz,
        viewer=exports.OPERATOR,
        folder=Path(args.out),
        stem=exports.file_stem(area.name, first, last),
    )
    try:
        result = await asyncio.to_thread(exports.write_export, request)
    except exports.NothingToExport:
        problem = f"{area.path} has nothing recorded from {first} to {last}; no file written"
        raise Failed(problem) from None
    counts = ", ".join(f"{n:,} {key}" for key, n in result.rows.items())
    for path in result.files:
        print(f"written: {path}", file=out)
    print(f"{area.path}, {first} to {last}: {counts}", file=out)
    return EXIT_OK
