"""The daily digest: its sweep and how it reads (bot/services/digest.py decides what is in it)."""

from __future__ import annotations

from bot.i18n import t
from bot.outgoing import OutboxRow, Outgoing, Renderer
from bot.runtime import Runtime
from bot.services import digest
from handlers.context import GridContext

MAX_NUMBERS = 15  # case numbers listed per section; the count says the rest


def _section(lang: str, key: str, numbers: list[str]) -> str:
    shown = "、".join(numbers[:MAX_NUMBERS])
    more = len(numbers) - MAX_NUMBERS
    if more > 0:
        shown += t(lang, "digest.more", n=more)
    return t(lang, key, count=len(numbers), numbers=shown or "-")


async def render_digest(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """An admin's daily digest."""
    payload = row.payload
    tz = runtime.config.tz
    since = digest.local_text(str(payload["since"]), tz)
    until = digest.local_text(str(payload["until"]), tz)
    parts = [
        t(lang, "digest.head", since=since, until=until),
        _section(lang, "digest.new", list(payload["new"])),
        _section(lang, "digest.closed", list(payload["closed"])),
        _section(lang, "digest.overdue", list(payload["overdue"])),
    ]
    return Outgoing(text="\n".join(parts))


RENDERERS: dict[str, Renderer] = {digest.DIGEST: render_digest}


async def sweep(context: GridContext) -> None:
    """``sweep:digest``: queue today's digests once the configured time has passed."""
    runtime = context.runtime
    if not runtime.config.digest.enabled:
        return
    await digest.send_due(runtime.db, runtime.clock, runtime.config.tz, runtime.config.digest.time)
