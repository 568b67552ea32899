"""How a case's place and description read on a card and in the reporter's timeline.

The report keeps everything the reporter gave: the building (or unit) and, beside it, a
typed address or a shared location; a description typed, spoken or left out when the
photos say it all. Both views show all of it, so this is written once for both.
"""

from __future__ import annotations

from bot.i18n import Html, escape, t
from bot.services.case_view import CaseView


def place(view: CaseView, lang: str) -> Html:
    """The building and, beside it, the typed address or the shared location."""
    case = view.case
    area = view.place_path
    extra = case.place_text
    if area is None:  # no building on record: whatever else was given stands alone
        return escape(extra or view.coordinates or "-")
    if extra:
        return Html(t(lang, "handling.place.address", area=area, address=extra))
    if view.coordinates:
        return Html(t(lang, "handling.place.location", area=area, location=view.coordinates))
    return escape(area)


def description(view: CaseView, lang: str, *, voice_key: str) -> str:
    """The description, or what stands in for it: the voice message (``voice_key``, said
    as the view can point at it), the photos, or nothing given."""
    case = view.case
    if case.description and case.voice_file_id:  # typed and spoken: both are there
        return f"{case.description}\n{t(lang, voice_key)}"
    if case.description:
        return case.description
    if case.voice_file_id:
        return t(lang, voice_key)
    if view.photo_ids:
        return t(lang, "handling.card.photos_only")
    return "-"
