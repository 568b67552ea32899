"""The report messages of the outbox (RENDERERS): an unfinished report that was ended."""

from __future__ import annotations

from bot.i18n import t
from bot.runtime import Runtime
from bot.services.report_flow import DRAFT_EXPIRED
from bot.telegram.outgoing import OutboxRow, Outgoing, Renderer
from handlers.common import text_keys as keys


async def render_expired(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """The message saying an unfinished report was ended."""
    category = row.payload.get("category")
    name = (
        t(language, keys.CATEGORY(category)) if category else t(language, "report.expired_unknown")
    )
    return Outgoing(
        text=t(language, "report.expired", category=name, minutes=row.payload.get("minutes", ""))
    )


RENDERERS: dict[str, Renderer] = {DRAFT_EXPIRED: render_expired}
