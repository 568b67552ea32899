"""The records the stand-in keeps: users, chats, messages, files, callback queries, stats.

Message records hold the Bot API JSON of the message's current version. An edit replaces that
dict instead of changing it, so an update that already carries the old version keeps it, as a
real update would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "JSON",
    "ApiError",
    "CallbackRecord",
    "ChatRecord",
    "FileRecord",
    "Stats",
    "StoredMessage",
    "Upload",
    "UserRecord",
]

JSON = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer: HTTP status = ``code``, Telegram's ``description``."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        kind: str = "bad_request",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.kind = kind
        self.retry_after = retry_after

    def to_json(self) -> JSON:
        """The response body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str, kind: str = "bad_request") -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {description}", kind=kind)


@dataclass(slots=True)
class Upload:
    """A file the bot uploaded in a multipart request."""

    filename: str
    content: bytes
    mime_type: str | None = None


@dataclass(slots=True, eq=False)
class UserRecord:
    """One Telegram user known to the stand-in."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    phone: str | None = None
    is_bot: bool = False
    # A user who never opened the bot cannot be messaged first (403).
    started: bool = True
    blocked: bool = False

    def to_json(self) -> JSON:
        """The Bot API ``User`` object."""
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(slots=True, eq=False)
class StoredMessage:
    """One message in a chat's history, either direction, in its current version."""

    chat_id: int
    message_id: int
    from_bot: bool
    data: JSON
    # The text or caption exactly as the bot sent it (with HTML markup), None for user messages.
    raw: str | None = None
    parse_mode: str | None = None
    # Global change sequence number; see FakeTelegram.mark().
    seq: int = 0
    edits: int = 0

    @property
    def text(self) -> str:
        """Rendered text or caption, as the user sees it ("" for neither)."""
        value = self.data.get("text")
        if value is None:
            value = self.data.get("caption", "")
        return str(value)

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """The inline keyboard rows under the message ([] for none)."""
        markup = self.data.get("reply_markup")
        if not markup:
            return []
        rows: list[list[JSON]] = markup.get("inline_keyboard", [])
        return rows

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline buttons, as rows."""
        return [[str(b.get("text", "")) for b in row] for row in self.inline_keyboard]

    @property
    def kind(self) -> str:
        """What the message holds: text, photo, document, voice, location, contact, ..."""
        for key in (
            "text",
            "photo",
            "document",
            "voice",
            "location",
            "contact",
            "sticker",
            "video",
            "audio",
        ):
            if key in self.data:
                return key
        return "other"

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        return (
            f"<StoredMessage {self.chat_id}/{self.message_id} {who} {self.kind} {self.text[:40]!r}>"
        )


@dataclass(slots=True, eq=False)
class ChatRecord:
    """A private chat (id = user id) or a group (id < 0) and its message history."""

    id: int
    type: str
    json: JSON
    user: UserRecord | None = None
    title: str | None = None
    members: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    creator: int | None = None
    bot_is_admin: bool = False
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    # The reply keyboard the user currently has (a ReplyKeyboardMarkup dict) and whether a
    # one_time_keyboard has been folded away after use.
    reply_keyboard: JSON | None = None
    reply_keyboard_hidden: bool = False
    menu_button: JSON | None = None

    def take_message_id(self) -> int:
        """The next message_id; ids are per chat and shared by both directions."""
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass(slots=True, eq=False)
class FileRecord:
    """A file Telegram stores: uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    kind: str
    file_size: int
    file_path: str
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    # For photos: the other sizes Telegram made, smallest first, this one last.
    sizes: list[FileRecord] = field(default_factory=list)

    def to_json(self) -> JSON:
        """The Bot API object for this file (PhotoSize, Document, Voice, ...)."""
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.width is not None:
            data["width"] = self.width
            data["height"] = self.height
        if self.duration is not None:
            data["duration"] = self.duration
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None and self.kind != "photo":
            data["mime_type"] = self.mime_type
        return data

    def photo_json(self) -> list[JSON]:
        """The ``photo`` array of a message: every size, smallest first."""
        return [size.to_json() for size in self.sizes] if self.sizes else [self.to_json()]


@dataclass(slots=True, eq=False)
class CallbackRecord:
    """A callback query a user sent, and how (or whether) the bot answered it."""

    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass(slots=True)
class Stats:
    """Counters for benchmarks and assertions."""

    requests: Counter[str] = field(default_factory=Counter)
    sent_messages: int = 0
    flood_429: int = 0
    timeouts: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        """Zero every counter."""
        self.requests.clear()
        self.errors.clear()
        self.sent_messages = self.flood_429 = self.timeouts = 0
