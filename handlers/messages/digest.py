"""The daily digest: its sweep and how it reads (bot/services/digest.py decides what is in it).

Each section (new, closed, rejected, overdue) lists its cases one to a line: number,
category and kind, and the first words of the description, with a button per case that
opens its card (the same ``ca:<id>:<version>:open`` as /cases). The text fits Telegram's
4096 characters by construction: at most MAX_LINES lines per section, each of bounded
length; the rest are counted and reachable through /cases.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Html, t
from bot.runtime import Runtime
from bot.services import digest
from bot.telegram.outgoing import OutboxRow, Outgoing, Renderer
from handlers.common import text_keys as keys
from handlers.common.callbacks import pack
from handlers.common.context import GridContext
from handlers.messages.case_cards import ADMIN

MAX_LINES = digest.LISTED  # cases listed per section; the count says the rest
WORDS = 16  # characters of the description on a case's line
BUTTONS_PER_ROW = 2


def _words(case: digest.Case, lang: str) -> str:
    text = case.description
    if not text:  # spoken, or shown in photos only (a report always has one of the three)
        return t(lang, "digest.no_text" if case.voice_file_id else "digest.photos_only")
    flat = " ".join(text.split())
    return flat if len(flat) <= WORDS else flat[: WORDS - 1] + "…"


def _line(lang: str, case: digest.Case) -> str:
    return t(
        lang,
        "digest.line",
        number=case.number,
        category=t(lang, keys.CATEGORY(case.category)),
        kind=t(lang, keys.SUBCATEGORY(case.category, case.subcategory)),
        words=_words(case, lang),
    )


async def render_digest(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """An admin's daily digest, a line and a button per case."""
    payload = row.payload
    tz = runtime.config.tz
    since = digest.local_text(str(payload["since"]), tz)
    until = digest.local_text(str(payload["until"]), tz)
    sections = {name: list(payload.get(name, [])) for name in digest.SECTIONS}
    # Only the cases that are listed are read: a section may hold thousands of ids.
    ids = [i for items in sections.values() for i in items[:MAX_LINES] if isinstance(i, int)]
    found = await digest.cases_by_id(runtime.db, ids)
    parts = [t(lang, "digest.head", since=since, until=until)]
    buttons: dict[int, InlineKeyboardButton] = {}
    for name, items in sections.items():
        # The count of all (older rows, before LISTED, held every id).
        count = int(payload.get(f"{name}_count", len(items)))
        parts.append(t(lang, keys.DIGEST_SECTION(name), count=count))
        for item in items[:MAX_LINES]:
            case = found.get(item) if isinstance(item, int) else None
            if case is None:  # a digest queued by an older version held case numbers
                parts.append(t(lang, "digest.line_number", number=str(item)))
                continue
            parts.append(_line(lang, case))
            buttons.setdefault(
                case.id,
                InlineKeyboardButton(
                    t(lang, "digest.open", number=case.number),
                    callback_data=pack(ADMIN, case.id, case.version, "open"),
                ),
            )
        if count > min(len(items), MAX_LINES):
            parts.append(t(lang, "digest.more", n=count - min(len(items), MAX_LINES)))
    shown = list(buttons.values())
    rows = [shown[i : i + BUTTONS_PER_ROW] for i in range(0, len(shown), BUTTONS_PER_ROW)]
    return Outgoing(
        text=Html("\n".join(parts)), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )


RENDERERS: dict[str, Renderer] = {digest.DIGEST: render_digest}


async def sweep(context: GridContext) -> None:
    """``sweep:digest``: queue today's digests at the configured time."""
    runtime = context.runtime
    config = runtime.config.digest
    if not config.enabled:
        return
    await digest.send_due(
        runtime.db, runtime.clock, runtime.config.tz, config.time, config.grace_minutes
    )
