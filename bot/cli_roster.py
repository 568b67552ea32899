"""``python -m bot import-roster FILE``: check a roster, make its invites, print the cards.

Every row is checked and each problem printed with its row number; nothing is
written unless every row is valid or ``--apply`` is given (then the valid rows are
invited and the others left for a corrected file). The invite cards go to a PDF
beside the file (or ``--cards``). See bot/services/roster.py for the rules.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TextIO

from bot.cli_evaluation import EXIT_FAILED, EXIT_OK, Failed, open_db
from bot.clock import SystemClock
from bot.config import Config
from bot.documents.cards import write_cards
from bot.services import areas as area_service
from bot.services import roster


async def import_roster(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Check the roster ``args.file``; with every row valid or ``--apply``, invite and print."""
    path = Path(args.file)
    ttl_days = args.ttl_days or roster.DEFAULT_TTL_DAYS
    if not 1 <= ttl_days <= 365:
        raise Failed("--ttl-days must be between 1 and 365")
    try:
        rows, merged = await asyncio.to_thread(roster.read_roster, path)
    except roster.RosterFileError as error:
        raise Failed(f"{path}: {error}") from None
    clock = SystemClock()
    db = await open_db(config)
    try:
        try:
            checked = await roster.check(db, clock, rows, merged, await area_service.tree(db))
        except roster.RosterFileError as error:
            raise Failed(f"{path}: {error}") from None
        for problem in checked.problems:
            print(f"  {problem}", file=out)
        bad_rows = len({p.row for p in checked.problems})
        print(f"{path.name}: {len(checked.valid)} rows valid, {bad_rows} with problems", file=out)
        if not checked.valid:
            print("nothing written: no valid rows", file=out)
            return EXIT_FAILED
        if bad_rows and not args.apply:
            print(
                "nothing written: correct the rows above and run again, or pass --apply to"
                f" invite the {len(checked.valid)} valid rows now",
                file=out,
            )
            return EXIT_FAILED
        username = config.telegram.username
        if not username:
            raise Failed("set telegram.username in the config: each card carries the t.me link")
        cards, replaced = await roster.apply(
            db, clock, checked.valid, ttl_days=ttl_days, source=path.name
        )
    finally:
        await db.close()
    target = Path(args.cards) if args.cards else path.with_name(f"{path.stem}-invite-cards.pdf")
    pages = await asyncio.to_thread(
        write_cards, cards, username, config.locale.default_language, target
    )
    print(f"{len(cards)} invites made, valid {ttl_days} days", file=out)
    if replaced:
        print(f"{replaced} earlier unused invites for the same phones no longer work", file=out)
    print(f"invite cards: {target} ({pages} pages, 8 a page)", file=out)
    return EXIT_OK
