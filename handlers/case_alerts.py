"""The alert an admin receives for a new case: what happened, where, who reported it.

Rendered from the outbox row when it is sent, in the admin's language. The case
handling work adds the action buttons and keeps each copy in step with the case.
"""

from __future__ import annotations

from bot.i18n import escape, t
from bot.outgoing import OutboxRow, Outgoing, Renderer
from bot.runtime import Runtime
from bot.services.case_view import case_view
from bot.services.reporting import CASE_NEW


async def render_new_case(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """The alert for a new case; None if the case is gone."""
    view = await case_view(runtime.db, int(row.payload["case_id"]))
    if view is None:
        return None
    case = view.case
    text = t(
        language,
        "alert.new_case",
        number=case.number,
        category=t(language, f"category.{case.category}"),
        kind=t(language, f"subcategory.{case.category}.{case.subcategory}"),
        urgency=t(language, "urgency.urgent" if case.urgent else "urgency.normal"),
        description=escape(case.description or t(language, "alert.voice_only")),
        place=view.place_path or case.place_text or view.coordinates or "-",
        reporter=view.reporter.name if view.reporter is not None else "-",
    )
    return Outgoing(text=text, photos=view.photo_ids, voice=case.voice_file_id)


RENDERERS: dict[str, Renderer] = {CASE_NEW: render_new_case}
