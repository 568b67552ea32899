"""The rules of a /report draft: what is asked next, what may be typed, what is filed.

A draft is what a leader has answered so far. It is kept as plain JSON in the
member's conversation data (so it survives a restart) and read back here. The
next question is always the first one not yet answered, in the order of
:data:`ORDER`; changing a field at the summary clears it (and what depends on it),
so the same rule asks it again and then returns to the summary. Nothing here
touches the database or Telegram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from bot.services.categories import SUBCATEGORIES, Category
from bot.services.reporting import Report

MAX_PARTIES = 200  # characters of the parties of a dispute, typed briefly
MAX_ADDRESS = 200  # characters of a typed address
KEPT_ALBUMS = 10  # media group ids remembered, to acknowledge an album once


class Step(StrEnum):
    """A question of the report conversation."""

    CATEGORY = "category"
    KIND = "kind"  # the kind of case; for an opinion, its topic
    PARTIES = "parties"  # disputes only
    ANONYMOUS = "anonymous"  # opinions only
    DESCRIPTION = "description"
    PHOTOS = "photos"
    PLACE = "place"
    URGENCY = "urgency"
    SUMMARY = "summary"


ORDER: tuple[Step, ...] = tuple(Step)


class BadText(ValueError):
    """Typed text that cannot be used; ``reason`` is 'empty' or 'too_long'."""

    def __init__(self, reason: str, length: int, limit: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.length = length
        self.limit = limit


class DraftIncomplete(ValueError):
    """The draft cannot be filed yet: a question is unanswered."""


@dataclass
class Draft:
    """A report being filled in."""

    flow: str
    category: str | None = None
    kind: str | None = None
    parties: str | None = None
    parties_done: bool = False
    anonymous: bool | None = None
    description: str | None = None
    voice_file_id: str | None = None
    voice_duration: int | None = None
    photos: list[list[str | None]] = field(default_factory=list)  # [file_id, unique_id]
    photos_done: bool = False
    photos_allowed: bool = True  # reports.max_photos = 0 turns the photo step off
    albums: list[str] = field(default_factory=list)
    full_noted: bool = False  # the leader was told that photos past the limit are not kept
    place_area_id: int | None = None
    place_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    urgent: bool | None = None
    keyboard_message: int | None = None  # the message whose buttons answer the open question
    # A text sent over its limit: kept (and shown back) so the leader shortens it, not retypes it.
    held_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The draft as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Draft | None:
        """The draft stored as ``data``; None if it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("flow"), str):
            return None
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError:
            return None

    @property
    def has_place(self) -> bool:
        """Whether a place was given, in any of the three ways."""
        return (
            self.place_area_id is not None
            or self.place_text is not None
            or self.latitude is not None
        )


def steps_of(category: str | None) -> tuple[Step, ...]:
    """The questions asked for a category, in order (the summary last)."""
    skipped = set()
    if category != Category.DISPUTE:
        skipped.add(Step.PARTIES)
    if category != Category.OPINION:
        skipped.add(Step.ANONYMOUS)
    return tuple(step for step in ORDER if step not in skipped)


def answered(draft: Draft, step: Step) -> bool:
    """Whether ``step`` has its answer in ``draft``."""
    match step:
        case Step.CATEGORY:
            return draft.category is not None
        case Step.KIND:
            return draft.kind is not None
        case Step.PARTIES:
            return draft.parties_done
        case Step.ANONYMOUS:
            return draft.anonymous is not None
        case Step.DESCRIPTION:
            return draft.description is not None or draft.voice_file_id is not None
        case Step.PHOTOS:
            return draft.photos_done or not draft.photos_allowed
        case Step.PLACE:
            return draft.has_place
        case Step.URGENCY:
            return draft.urgent is not None
        case Step.SUMMARY:
            return False


def next_step(draft: Draft) -> Step:
    """The first question of ``draft`` not yet answered; SUMMARY when all are."""
    for step in steps_of(draft.category):
        if not answered(draft, step):
            return step
    return Step.SUMMARY  # pragma: no cover - SUMMARY is never answered


def changeable(draft: Draft) -> tuple[Step, ...]:
    """The fields a leader may change from the summary."""
    return tuple(
        s
        for s in steps_of(draft.category)
        if s is not Step.SUMMARY and (s is not Step.PHOTOS or draft.photos_allowed)
    )


def reopen(draft: Draft, step: Step) -> None:
    """Clear ``step``'s answer (and what depends on it), so it is asked again."""
    match step:
        case Step.CATEGORY:
            # the kinds, parties and anonymity belong to the category
            draft.category = draft.kind = draft.parties = None
            draft.parties_done = False
            draft.anonymous = None
        case Step.KIND:
            draft.kind = None
        case Step.PARTIES:
            draft.parties, draft.parties_done = None, False
        case Step.ANONYMOUS:
            draft.anonymous = None
        case Step.DESCRIPTION:
            draft.description = draft.voice_file_id = None
            draft.voice_duration = None
        case Step.PHOTOS:
            draft.photos, draft.albums, draft.photos_done = [], [], False
            draft.full_noted = False
        case Step.PLACE:
            draft.place_area_id = draft.place_text = None
            draft.latitude = draft.longitude = None
        case Step.URGENCY:
            draft.urgent = None
        case Step.SUMMARY:
            raise ValueError("the summary is not a field")


def choose_category(draft: Draft, value: str) -> bool:
    """Set the category if ``value`` is one; False otherwise."""
    if value not in {c.value for c in Category}:
        return False
    draft.category = value
    return True


def choose_kind(draft: Draft, value: str) -> bool:
    """Set the kind if ``value`` is one of the category's kinds; False otherwise."""
    if draft.category is None or value not in SUBCATEGORIES[Category(draft.category)]:
        return False
    draft.kind = value
    return True


def clean_text(text: str, limit: int) -> str:
    """Typed text, trimmed; :class:`BadText` if empty or longer than ``limit``."""
    cleaned = text.strip()
    if not cleaned:
        raise BadText("empty", 0, limit)
    if len(cleaned) > limit:
        raise BadText("too_long", len(cleaned), limit)
    return cleaned


def place_with_address(draft: Draft, home_area_id: int, text: str) -> None:
    """A typed address, kept with the area it is in (the chosen unit, else the leader's own)."""
    if draft.place_area_id is None:
        draft.place_area_id = home_area_id
    draft.place_text = text


def add_photo(draft: Draft, file_id: str, unique_id: str | None, limit: int) -> bool:
    """Keep a photo; False (and nothing kept) when ``limit`` photos are there already."""
    if len(draft.photos) >= limit:
        return False
    draft.photos.append([file_id, unique_id])
    return True


def first_of_album(draft: Draft, media_group_id: str) -> bool:
    """Whether this photo is the first seen of its album (remembering that it was seen)."""
    if media_group_id in draft.albums:
        return False
    draft.albums = [*draft.albums, media_group_id][-KEPT_ALBUMS:]
    return True


def to_report(draft: Draft) -> Report:
    """The report a complete draft files; :class:`DraftIncomplete` otherwise."""
    step = next_step(draft)
    if step is not Step.SUMMARY or draft.category is None or draft.kind is None:
        raise DraftIncomplete(step.value)
    category = Category(draft.category)
    details: dict[str, Any] = {}
    if category is Category.DISPUTE and draft.parties:
        details["parties"] = draft.parties
    return Report(
        category=category,
        subcategory=draft.kind,
        details=details,
        description=draft.description,
        voice_file_id=draft.voice_file_id,
        voice_duration=draft.voice_duration,
        photos=tuple((str(p[0]), p[1]) for p in draft.photos),
        place_area_id=draft.place_area_id,
        place_text=draft.place_text,
        latitude=draft.latitude,
        longitude=draft.longitude,
        urgent=bool(draft.urgent),
        anonymous=category is Category.OPINION and bool(draft.anonymous),
    )
