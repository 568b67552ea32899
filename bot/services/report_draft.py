"""The rules of a /report draft: what is asked next, what may be typed, what is filed.

A draft is what a leader has answered so far. It is kept as plain JSON in the
member's conversation data (so it survives a restart) and read back here.

Only three things are asked (issue 15): the category, its kind, and one message
describing what happened (text, voice, or photos with or without a caption). The
rest has a default the summary shows and one tap changes: the place is the leader's
own building (or village group), the urgency is 一般, there are no photos until
some are sent, a dispute's parties are left out and an opinion is not anonymous.
The next question is always the first unanswered one of :data:`ORDER`; at the
summary, :attr:`Draft.mode` says which of its small screens is open (the place,
the parties, ...), so a message sent there is taken for what that screen asks.
Nothing here touches the database or Telegram.
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
    DESCRIPTION = "description"
    SUMMARY = "summary"


ORDER: tuple[Step, ...] = tuple(Step)


class Mode(StrEnum):
    """A small screen of the summary: what a message sent at the summary is taken for."""

    PLACE = "place"  # 📍 改地点: a unit button, a shared location or a typed address
    PARTIES = "parties"  # ➕ 当事双方: the parties typed (disputes)
    PHOTOS = "photos"  # 📷 加照片: photos (taken at the summary anyway)
    DESCRIBE = "describe"  # the description said again, replacing the old one
    CHANGE = "change"  # ✏️ 修改: which of category, kind, description
    CANCEL = "cancel"  # ❌ 取消: are you sure?


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
    anonymous: bool = False
    description: str | None = None
    voice_file_id: str | None = None
    voice_duration: int | None = None
    more_voices: list[list[Any]] = field(
        default_factory=list
    )  # [file_id, seconds], after the first
    photos: list[list[str | None]] = field(default_factory=list)  # [file_id, unique_id]
    albums: list[str] = field(default_factory=list)
    full_noted: bool = False  # the leader was told that photos past the limit are not kept
    place_area_id: int | None = None  # set to the leader's own area when the draft begins
    place_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    urgent: bool = False
    mode: str | None = None  # the summary's open screen (a Mode), None for the summary itself
    keyboard_message: int | None = None  # the message whose buttons answer the open question
    # A text sent over its limit: kept (and shown back) so the leader shortens it, not retypes it.
    held_text: str | None = None
    # The note shown above the open question, so a redraw in place (an album's next photo)
    # keeps saying it.
    lead: str | None = None
    # When the draft's row was last touched in the database (report_flow.touch).
    touched: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The draft as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Draft | None:
        """The draft stored as ``data``; None if it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("flow"), str):
            return None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        # drafts begun before the four-tap flow kept "not answered yet" as None
        for flag in ("anonymous", "urgent"):
            values[flag] = bool(values.get(flag))
        try:
            return cls(**values)
        except TypeError:
            return None

    @property
    def described(self) -> bool:
        """Whether the leader has said what happened: text, voice or photos."""
        return self.description is not None or self.voice_file_id is not None or bool(self.photos)

    @property
    def open_mode(self) -> Mode | None:
        """The summary's open screen, if any."""
        try:
            return Mode(self.mode) if self.mode else None
        except ValueError:
            return None


def steps_of(category: str | None) -> tuple[Step, ...]:
    """The questions asked for a category, in order (the summary last): the same for all."""
    return ORDER


def answered(draft: Draft, step: Step) -> bool:
    """Whether ``step`` has its answer in ``draft``."""
    match step:
        case Step.CATEGORY:
            return draft.category is not None
        case Step.KIND:
            return draft.kind is not None
        case Step.DESCRIPTION:
            return draft.described
        case Step.SUMMARY:
            return False


def next_step(draft: Draft) -> Step:
    """The first question of ``draft`` not yet answered; SUMMARY when all are."""
    for step in steps_of(draft.category):
        if not answered(draft, step):
            return step
    return Step.SUMMARY  # pragma: no cover - SUMMARY is never answered


def changeable(draft: Draft) -> tuple[Step, ...]:
    """The questions a leader may answer again from the summary (✏️ 修改)."""
    return (Step.CATEGORY, Step.KIND, Step.DESCRIPTION)


def reopen(draft: Draft, step: Step) -> None:
    """Clear ``step``'s answer (and what depends on it), so it is asked again."""
    match step:
        case Step.CATEGORY:
            # the kinds, parties and anonymity belong to the category
            draft.category = draft.kind = draft.parties = None
            draft.anonymous = False
        case Step.KIND:
            draft.kind = None
        case Step.DESCRIPTION:
            draft.description = draft.voice_file_id = None
            draft.voice_duration = None
            draft.more_voices = []
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


def add_description(draft: Draft, text: str, limit: int) -> None:
    """Add typed text to the description (a new line); :class:`BadText` past ``limit`` in all.

    Nothing is changed when the text is refused; the caller keeps it in ``held_text``.
    """
    cleaned = text.strip()
    if not cleaned:
        raise BadText("empty", 0, limit)
    combined = cleaned if draft.description is None else f"{draft.description}\n{cleaned}"
    if len(combined) > limit:
        raise BadText("too_long", len(combined), limit)
    draft.description = combined
    draft.held_text = None


def add_voice(draft: Draft, file_id: str, seconds: int) -> None:
    """Add a voice message to the description: the first is the case's voice, others follow."""
    if draft.voice_file_id is None:
        draft.voice_file_id, draft.voice_duration = file_id, seconds
    else:
        draft.more_voices = [*draft.more_voices, [file_id, seconds]]


def toggle_urgent(draft: Draft) -> None:
    """🔴 标为紧急 / back to 一般."""
    draft.urgent = not draft.urgent


def toggle_anonymous(draft: Draft) -> bool:
    """🙈 匿名 on or off, for an opinion; False (nothing changed) for another category."""
    if draft.category != Category.OPINION:
        return False
    draft.anonymous = not draft.anonymous
    return True


def place_at(draft: Draft, area_id: int) -> None:
    """A building or unit chosen by button: it replaces any address or location given."""
    draft.place_area_id = area_id
    draft.place_text = None
    draft.latitude = draft.longitude = None


def place_with_address(draft: Draft, home_area_id: int, text: str) -> None:
    """A typed address, kept with the area it is in (the chosen unit, else the leader's own)."""
    if draft.place_area_id is None:
        draft.place_area_id = home_area_id
    draft.place_text = text


def place_with_location(draft: Draft, home_area_id: int, latitude: float, longitude: float) -> None:
    """A shared location, kept with the area it is in (the chosen unit, else the leader's own)."""
    if draft.place_area_id is None:
        draft.place_area_id = home_area_id
    draft.latitude, draft.longitude = latitude, longitude


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
    if draft.more_voices:
        # the case has one voice column; further voice messages ride in the details
        details["voices"] = [{"file_id": f, "duration": s} for f, s in draft.more_voices]
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
        urgent=draft.urgent,
        anonymous=category is Category.OPINION and draft.anonymous,
    )
