"""``FakeTelegram``: an in-memory Bot API server for tests, the demo and benchmarks.

It keeps users, chats, per-chat message histories (both directions, one increasing
message_id per chat), files, bot commands and pending updates, and answers the Bot API methods
the bot uses with the JSON Telegram would send, errors included. Each method takes the
decoded parameters and returns the ``result`` or raises ``ApiError``; ``handle`` wraps that
into the HTTP answer and adds fault injection, flood limits and bookkeeping.

Whatever Telegram would reject because of a bot bug (bad HTML, a text too long, callback data
over 64 bytes, an unknown method ...) is also written to ``unexpected``; the test fixture
fails the test on it unless the test declared it with ``expect_error``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import struct
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from telegram.error import TimedOut

from bot.offline.standin.faults import Fault, FaultPlan
from bot.offline.standin.html import HtmlError, Rendered, clean_text, parse_html, utf16_len
from bot.offline.standin.limits import FloodLimiter, Limits
from bot.offline.standin.records import (
    JSON,
    ApiError,
    CallbackRecord,
    ChatRecord,
    FileRecord,
    Stats,
    StoredMessage,
    Upload,
    UserRecord,
    bad_request,
)

__all__ = ["BOT_ID", "BOT_USERNAME", "Expectation", "FakeTelegram"]

BOT_ID = 7000000001
BOT_USERNAME = "gridbot_demo_bot"

# Kinds of 400 that bots hit in normal operation: never "unexpected".
_ROUTINE_KINDS = frozenset({"not_modified", "injected"})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types Telegram sends when allowed_updates is empty or was never given.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "sticker",
    "location",
    "contact",
    "has_media_spoiler",
)
_FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
}
_FILE_DIR = {
    "photo": ("photos", "jpg"),
    "document": ("documents", "bin"),
    "voice": ("voice", "oga"),
    "audio": ("music", "mp3"),
    "video": ("videos", "mp4"),
    "sticker": ("stickers", "webp"),
}
_PHOTO_BOXES = (90, 320, 800, 1280)

# Lower-case method name -> handler attribute. Telegram matches method names
# case-insensitively, so does the stand-in.
_METHODS = {
    "getme": "get_me",
    "sendmessage": "send_message",
    "sendphoto": "send_photo",
    "senddocument": "send_document",
    "sendvoice": "send_voice",
    "sendlocation": "send_location",
    "sendmediagroup": "send_media_group",
    "copymessage": "copy_message",
    "forwardmessage": "forward_message",
    "editmessagetext": "edit_message_text",
    "editmessagecaption": "edit_message_caption",
    "editmessagereplymarkup": "edit_message_reply_markup",
    "answercallbackquery": "answer_callback_query",
    "setmycommands": "set_my_commands",
    "getmycommands": "get_my_commands",
    "deletemycommands": "delete_my_commands",
    "deletemessage": "delete_message",
    "getfile": "get_file",
    "sendchataction": "send_chat_action",
    "setwebhook": "set_webhook",
    "deletewebhook": "delete_webhook",
    "getwebhookinfo": "get_webhook_info",
    "getchat": "get_chat",
    "getchatmember": "get_chat_member",
    "getchatmembercount": "get_chat_member_count",
    "getchatadministrators": "get_chat_administrators",
    "setchatmenubutton": "set_chat_menu_button",
}


@dataclass(slots=True)
class Expectation:
    """A 400 the test expects; ``times=None`` means any number of times."""

    match: str
    method: str | None = None
    times: int | None = 1
    seen: int = 0

    def accepts(self, method: str, description: str) -> bool:
        """Whether this expectation covers that error (and is not used up)."""
        if self.times is not None and self.seen >= self.times:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.match.lower() in description.lower()


@dataclass(slots=True)
class _Prepared:
    """What every send checks before anything is stored."""

    chat: ChatRecord
    reply_to: JSON | None
    markup: JSON | None


def _as_int(value: object, name: str) -> int:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _json_param(value: object) -> Any:
    """A parameter that may arrive JSON-encoded (as in a form post) or already decoded."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request("can't parse JSON object") from None
    return value


def _image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG, from its header."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 < len(content):
            if content[pos] != 0xFF:
                return None
            marker = content[pos + 1]
            length = int.from_bytes(content[pos + 2 : pos + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", content[pos + 5 : pos + 9])
                return int(width), int(height)
            pos += 2 + length
    return None


class FakeTelegram:
    """The in-memory Bot API. See the module docstring; one instance per test is cheap."""

    def __init__(
        self,
        *,
        bot_id: int = BOT_ID,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = "gridbot",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        strict_html: bool = True,
        privacy_mode: bool = True,
    ) -> None:
        """Create an empty Telegram.

        Args:
            bot_id, bot_username, bot_first_name: the bot's identity (getMe).
            limits: size and flood limits; Telegram's by default.
            clock: monotonic seconds for the flood limiter (move it in tests).
            wall_clock: Unix time for message dates.
            strict_html: reject a bare "&" in HTML (see ``bot.offline.standin.html``).
            privacy_mode: in groups, deliver to the bot only what a bot with privacy mode
                on gets (commands, replies to it, mentions) unless it is an admin there.
        """
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.limits = limits or Limits()
        self.clock = clock
        self.wall_clock = wall_clock
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.flood = FloodLimiter(self.limits, clock)
        self.faults = FaultPlan()
        self.stats = Stats()
        # Seconds every request waits before it is answered (benchmarks may set it).
        self.latency = 0.0

        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands_by_scope: dict[tuple[str, str], list[JSON]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.deleted: list[StoredMessage] = []
        self.sent_log: list[StoredMessage] = []
        self.unexpected: list[str] = []
        self.expectations: list[Expectation] = []
        self.errors: list[tuple[str, int, str]] = []
        self.webhook_url = ""
        self.webhook_params: JSON = {}
        self.default_menu_button: JSON = {"type": "default"}

        self._seq = 0
        self._file_counter = itertools.count(1)
        self._media_group_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self._next_update_id = 1
        self._updates: list[JSON] = []
        self._allowed_updates: frozenset[str] | None = None
        self._poll_waiter: asyncio.Event | None = None
        self._poll_generation = 0
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            name: getattr(self, attr) for name, attr in _METHODS.items()
        }

    # ------------------------------------------------------------------ identity, users, chats

    @property
    def bot_user(self) -> JSON:
        """The bot as a Bot API ``User`` (the ``from`` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        phone: str | None = None,
        *,
        started: bool = True,
    ) -> UserRecord:
        """Add a user and the private chat with the bot.

        ``started=False`` makes a user who never opened the bot: sending to them is 403
        "bot can't initiate conversation with a user" until they write to it.
        """
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = UserRecord(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone=phone,
            started=started,
        )
        self.users[user_id] = user
        chat_json: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat_json["last_name"] = last_name
        if username:
            chat_json["username"] = username
        old = self.chats.get(user_id)
        chat = ChatRecord(id=user_id, type="private", json=chat_json, user=user)
        if old is not None:  # re-adding keeps the history
            chat.messages, chat.next_message_id = old.messages, old.next_message_id
        self.chats[user_id] = chat
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        *,
        creator: int | None = None,
        bot_is_admin: bool = False,
        chat_type: str | None = None,
    ) -> ChatRecord:
        """Add a group the bot is in. Admins and the creator are members too.

        The type is "supergroup" for ids below -10**12 (like -100...), else "group".
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = chat_type or ("supergroup" if chat_id < -(10**12) else "group")
        admin_ids = set(admins)
        member_ids = set(members) | admin_ids | ({creator} if creator is not None else set())
        chat = ChatRecord(
            id=chat_id,
            type=kind,
            json={"id": chat_id, "type": kind, "title": title},
            title=title,
            members=member_ids,
            admins=admin_ids,
            creator=creator,
            bot_is_admin=bot_is_admin,
        )
        self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> ChatRecord:
        """The chat record (KeyError if unknown)."""
        return self.chats[chat_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send to them is 403 until ``unblock``."""
        self.users[user_id].blocked = True

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self.users[user_id].blocked = False

    # ------------------------------------------------------------------ history

    def mark(self) -> int:
        """A point in time: messages sent or edited later have a greater ``seq``."""
        return self._seq

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def touch(self, message: StoredMessage) -> None:
        """Note that ``message`` changed now (for ``mark``/``since``)."""
        message.seq = self._next_seq()

    def new_media_group_id(self) -> str:
        """A fresh media_group_id for an album."""
        return str(13000000000000000 + next(self._media_group_counter))

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """The whole history of a chat (both directions), oldest first."""
        return list(self.chats[chat_id].messages.values())

    def bot_messages(self, chat_id: int, since: int | None = None) -> list[StoredMessage]:
        """The bot's messages in a chat, oldest first; with ``since``, only new or edited."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            m for m in chat.messages.values() if m.from_bot and (since is None or m.seq > since)
        ]

    def record_user_message(self, chat_id: int, user_id: int, content: JSON) -> StoredMessage:
        """Store a message a user sends (used by ``UserClient``) and return it."""
        chat = self.chats[chat_id]
        user = self.users[user_id]
        if chat.type == "private":
            user.started = True
        elif user_id not in chat.members:
            chat.members.add(user_id)
        mid = chat.take_message_id()
        data: JSON = {
            "message_id": mid,
            "from": user.to_json(),
            "chat": chat.json,
            "date": int(self.wall_clock()),
            **content,
        }
        message = StoredMessage(chat.id, mid, False, data, seq=self._next_seq())
        chat.messages[mid] = message
        return message

    def bot_sees(self, chat_id: int, data: JSON) -> bool:
        """Whether a bot with this privacy setting receives a group message at all."""
        chat = self.chats[chat_id]
        if chat.type == "private" or not self.privacy_mode or chat.bot_is_admin:
            return True
        reply = data.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = data.get("text") or data.get("caption") or ""
        mention = f"@{self.bot_username}".lower()
        for entity in data.get("entities") or data.get("caption_entities") or []:
            if entity["type"] == "bot_command":
                command = text[entity["offset"] : entity["offset"] + entity["length"]]
                target = command.partition("@")[2]
                if not target or target.lower() == self.bot_username.lower():
                    return True
            if entity["type"] == "mention" and mention in text.lower():
                return True
        # Service messages (new members ...) reach the bot too.
        return not any(key in data for key in _CONTENT_KEYS)

    # ------------------------------------------------------------------ updates

    def new_update(self, payload: JSON) -> JSON:
        """Give ``payload`` (e.g. ``{"message": {...}}``) the next update_id."""
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        return update

    def continue_update_ids(self, after: int) -> None:
        """Number the next updates above ``after``, as Telegram's ids only ever grow.

        A fresh stand-in over a kept database would otherwise start at 1 again, and the
        bot would skip those updates as handled before.
        """
        self._next_update_id = max(self._next_update_id, after + 1)

    async def enqueue_update(self, update: JSON) -> None:
        """Queue an update for getUpdates (usable as a ``UserClient`` deliver function)."""
        self.put_update(update)

    def put_update(self, update: JSON) -> None:
        """Queue an update for getUpdates and wake a waiting long poll."""
        if "update_id" not in update:
            update = self.new_update(update)
        self._updates.append(update)
        if self._poll_waiter is not None:
            self._poll_waiter.set()

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def _ready_updates(self, limit: int) -> list[JSON]:
        # Telegram drops updates of types the bot did not ask for; they never come back.
        allowed = self._allowed_updates
        if allowed is not None:
            self._updates = [u for u in self._updates if not allowed.isdisjoint(u)]
        elif any(not _NOT_DEFAULT_UPDATES.isdisjoint(u) for u in self._updates):
            self._updates = [u for u in self._updates if _NOT_DEFAULT_UPDATES.isdisjoint(u)]
        return self._updates[:limit]

    async def get_updates(self, p: JSON) -> list[JSON]:
        """getUpdates: offset confirms older updates; long poll up to ``timeout`` seconds."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                kind="conflict",
            )
        offset = _as_int(p.get("offset", 0), "offset")
        limit = min(max(_as_int(p.get("limit", 100), "limit"), 1), 100)
        timeout = max(float(p.get("timeout", 0) or 0), 0.0)
        allowed = p.get("allowed_updates")
        if allowed is not None:
            allowed = _json_param(allowed)
            # An empty list means "the default", which is every type but three.
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

        self._poll_generation += 1
        generation = self._poll_generation
        if self._poll_waiter is not None:
            self._poll_waiter.set()  # an older poll is now terminated (409 below)
        ready = self._ready_updates(limit)
        if ready or timeout == 0:
            return ready
        waiter = self._poll_waiter = asyncio.Event()
        try:
            await asyncio.wait_for(waiter.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            if self._poll_waiter is waiter:
                self._poll_waiter = None
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
                kind="conflict",
            )
        return self._ready_updates(limit)

    def set_webhook(self, p: JSON) -> bool:
        """setWebhook: remember the URL (getUpdates then answers 409)."""
        url = str(p.get("url", ""))
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        self.webhook_params = dict(p)
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def delete_webhook(self, p: JSON) -> bool:
        """deleteWebhook, optionally dropping pending updates."""
        self.webhook_url = ""
        self.webhook_params = {}
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def get_webhook_info(self, p: JSON) -> JSON:
        """getWebhookInfo."""
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_params.get("allowed_updates"):
            info["allowed_updates"] = _json_param(self.webhook_params["allowed_updates"])
        return info

    # ------------------------------------------------------------------ the HTTP-level entry

    async def handle(self, method: str, params: JSON) -> tuple[int, JSON]:
        """Answer one Bot API request: ``(HTTP status, response body)``.

        Raises:
            telegram.error.TimedOut: for an injected timeout.
        """
        self.stats.requests[method] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        name = method.lower()
        fault = self.faults.take(name, params.get("chat_id"))
        if fault is not None:
            if fault.kind == "timeout":
                self.stats.timeouts += 1
                self.stats.errors["timeout"] += 1
                raise TimedOut("Timed out (injected by the stand-in)")
            error = fault.error()
            if error is not None:
                return self._answer_error(method, params, error, injected=True)

        handler = self._handlers.get(name)
        if handler is None and name != "getupdates":
            self.unexpected.append(f"{method}: unknown Bot API method (answered 404)")
            self.stats.errors["unknown_method"] += 1
            return 404, {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        try:
            if handler is None:
                result: Any = await self.get_updates(params)
            else:
                result = handler(params)
        except ApiError as error:
            return self._answer_error(method, params, error, injected=False)
        except Exception as exc:
            # A stand-in bug (or parameters it cannot digest): PTB would turn it into a
            # NetworkError the bot may well retry or swallow, so make sure the test fails.
            self.unexpected.append(f"{method}: the stand-in crashed: {exc!r}")
            raise
        if fault is not None and fault.kind == "timeout_after":
            self.stats.timeouts += 1
            self.stats.errors["timeout_after"] += 1
            raise TimedOut("Timed out (injected by the stand-in; the request was carried out)")
        return 200, {"ok": True, "result": result}

    def _answer_error(
        self, method: str, params: JSON, error: ApiError, *, injected: bool
    ) -> tuple[int, JSON]:
        self.stats.errors[error.kind] += 1
        if error.code == 429:
            self.stats.flood_429 += 1
        self.errors.append((method, error.code, error.description))
        if not injected and error.code in (400, 409) and error.kind not in _ROUTINE_KINDS:
            self._note_bad_request(method, params, error.description)
        return error.code, error.to_json()

    def _note_bad_request(self, method: str, params: JSON, description: str) -> None:
        for expectation in self.expectations:
            if expectation.accepts(method, description):
                expectation.seen += 1
                return
        detail = ""
        if "chat_id" in params:
            detail += f" chat_id={params['chat_id']}"
        text = params.get("text", params.get("caption"))
        if isinstance(text, str):
            detail += f" text={text[:80]!r}"
        self.unexpected.append(f"{method}: {description} [{detail.strip()}]")

    # ------------------------------------------------------------------ test helpers

    def expect_error(
        self, match: str, *, method: str | None = None, times: int | None = 1
    ) -> Expectation:
        """Declare that the bot will provoke a 400 whose description contains ``match``.

        Such an error is then not recorded in ``unexpected``. ``times=None``: any number.
        """
        expectation = Expectation(match, method, times)
        self.expectations.append(expectation)
        return expectation

    def assert_clean(self) -> None:
        """Fail if the bot did anything Telegram would have rejected as a bug."""
        if self.unexpected:
            lines = "\n".join(f"  - {p}" for p in self.unexpected)
            raise AssertionError(f"The bot made requests Telegram would reject:\n{lines}")

    def fail_next(
        self,
        kind: str,
        method: str | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        *,
        retry_after: int | None = None,
        code: int | None = None,
        description: str | None = None,
    ) -> Fault:
        """Make the next ``times`` matching requests fail with ``kind`` (see ``faults``).

        Without ``method`` any method but getUpdates matches.
        """
        fault = Fault(
            kind,
            method,
            chat_id,
            times,
            retry_after if retry_after is not None else self.limits.default_retry_after,
            code,
            description,
        )
        self.faults.add(fault)
        return fault

    def random_faults(
        self,
        rate: float,
        kinds: Iterable[str] = ("timeout", "timeout_after", "server_error", "flood"),
        seed: int = 0,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fail requests at random (seeded) with the given rate; ``rate=0`` stops it."""
        self.faults.random(rate, kinds, seed, methods)

    def clear_faults(self) -> None:
        """Drop planned faults and stop random ones."""
        self.faults.clear()

    def unanswered_callbacks(self) -> list[CallbackRecord]:
        """Callback queries the bot never answered (the user still sees a spinner)."""
        return [c for c in self.callbacks.values() if not c.answered]

    def register_callback(
        self, user_id: int, message: StoredMessage | None, data: str | None
    ) -> CallbackRecord:
        """Record a callback query a user sends (used by ``UserClient.press``)."""
        query_id = f"{self.bot_id % 10**6}{next(self._callback_counter):08d}"
        record = CallbackRecord(
            query_id,
            user_id,
            message.chat_id if message else None,
            message.message_id if message else None,
            data,
        )
        self.callbacks[query_id] = record
        return record

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands set for exactly this scope and language ([] if none)."""
        return list(self.commands_by_scope.get((self._scope_key(scope), language_code), []))

    def file(self, file_id: str) -> FileRecord:
        """The file record (KeyError if unknown)."""
        return self.files[file_id]

    def download(self, file_path: str) -> bytes | None:
        """The bytes served at a getFile ``file_path`` (None if there is no such file)."""
        for record in self.files.values():
            if record.file_path == file_path:
                return record.content if record.content is not None else record.file_id.encode()
        return None

    def new_file(
        self,
        kind: str,
        content: bytes | None = None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int | None = None,
        size: tuple[int, int] | None = None,
    ) -> FileRecord:
        """Store a new file; photos get the smaller sizes Telegram makes."""
        record = self._file_record(kind, content, file_name, mime_type, duration, size)
        if kind == "photo":
            width, height = record.width or 0, record.height or 0
            longest = max(width, height, 1)
            sizes: list[FileRecord] = []
            for box in _PHOTO_BOXES[:-1]:
                if box >= longest:
                    break
                scale = box / longest
                small = (max(1, round(width * scale)), max(1, round(height * scale)))
                sizes.append(self._file_record(kind, content, None, None, None, small))
            if longest > _PHOTO_BOXES[-1]:
                # Telegram keeps at most 1280 on the longest side in the biggest size we model.
                scale = _PHOTO_BOXES[-1] / longest
                record.width = max(1, round(width * scale))
                record.height = max(1, round(height * scale))
            sizes.append(record)
            for item in sizes:
                item.sizes = sizes
        return record

    def _file_record(
        self,
        kind: str,
        content: bytes | None,
        file_name: str | None,
        mime_type: str | None,
        duration: int | None,
        size: tuple[int, int] | None,
    ) -> FileRecord:
        number = next(self._file_counter)
        folder, ext = _FILE_DIR.get(kind, ("documents", "bin"))
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1]
        record = FileRecord(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{number:06d}SI",
            file_unique_id=f"AQAD{number:06d}",
            kind=kind,
            file_size=len(content) if content is not None else 1024 + number,
            file_path=f"{folder}/file_{number}.{ext}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            duration=duration,
        )
        if kind in ("photo", "sticker", "video"):
            width, height = size or (content and _image_size(content)) or (800, 600)
            record.width, record.height = width, height
        self.files[record.file_id] = record
        return record

    # ------------------------------------------------------------------ request checks

    def _chat_of(self, p: JSON, key: str = "chat_id") -> ChatRecord:
        value = p.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        if isinstance(value, str) and value.startswith("@"):
            raise bad_request("chat not found")
        chat = self.chats.get(_as_int(value, key))
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_reachable(self, chat: ChatRecord) -> None:
        user = chat.user
        if user is None:
            return
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user", kind="forbidden")
        if not user.started:
            raise ApiError(
                403, "Forbidden: bot can't initiate conversation with a user", kind="forbidden"
            )

    def _render(
        self, method: str, text: object, parse_mode: object, entities: object, *, caption: bool
    ) -> Rendered:
        """Render text or caption as Telegram stores it and check the length."""
        if text is None:
            text = ""
        if not isinstance(text, str):
            text = str(text)
        mode = str(parse_mode).lower() if parse_mode else ""
        if mode == "html":
            try:
                rendered = parse_html(text, strict=self.strict_html)
            except HtmlError as err:
                raise bad_request(f"can't parse entities: {err}", "parse_entities") from None
        else:
            if mode in ("markdown", "markdownv2"):
                self.unexpected.append(
                    f"{method}: parse_mode={parse_mode} used; the bot is meant to send HTML "
                    "only (the stand-in treats the text as plain)"
                )
            elif mode:
                raise bad_request("unsupported parse_mode", "parse_mode")
            given = _json_param(entities) if entities else None
            rendered = clean_text(text, given if isinstance(given, list) else None)
        length = utf16_len(rendered.text)
        if caption:
            if length > self.limits.caption:
                raise bad_request("message caption is too long", "too_long")
        else:
            if not rendered.text.strip():
                raise bad_request("message text is empty", "empty")
            if length > self.limits.message_text:
                raise bad_request("message is too long", "too_long")
        return rendered

    def _check_markup(self, raw: object) -> JSON | None:
        """Validate reply_markup like Telegram; returns it normalised (None for none)."""
        if raw is None or raw == "":
            return None
        markup = _json_param(raw)
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup '
                    "should be an Array of Arrays"
                )
            count = 0
            for row in rows:
                for button in row:
                    count += 1
                    self._check_inline_button(button)
            if count > self.limits.inline_buttons_max:
                raise bad_request("reply markup is too long", "markup")
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            normal = [[b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows]
            for row in normal:
                for button in row:
                    if not button.get("text"):
                        raise bad_request("keyboard button text is empty", "markup")
            return {**markup, "keyboard": normal}
        if "remove_keyboard" in markup or "force_reply" in markup:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object", "markup")

    def _check_inline_button(self, button: object) -> None:
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: Text is not specified", "markup")
        actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
        if not actions:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard",
                "markup",
            )
        data = button.get("callback_data")
        if data is not None:
            encoded = str(data).encode("utf-8")
            if not encoded or len(encoded) > self.limits.callback_data_bytes:
                raise bad_request("BUTTON_DATA_INVALID", "button_data")
        url = button.get("url")
        if url is not None and (not str(url).strip() or any(c.isspace() for c in str(url))):
            raise bad_request(
                f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL", "button_url"
            )

    def _reply_target(self, chat: ChatRecord, p: JSON) -> JSON | None:
        reply = p.get("reply_parameters")
        if reply is not None:
            reply = _json_param(reply)
        elif p.get("reply_to_message_id") is not None:
            reply = {
                "message_id": p["reply_to_message_id"],
                "allow_sending_without_reply": p.get("allow_sending_without_reply", False),
            }
        if not reply:
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            target_chat = self._chat_of(reply)
        message = target_chat.messages.get(_as_int(reply.get("message_id"), "message_id"))
        if message is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found", "reply_not_found")
        data = message.data
        if "reply_to_message" in data:  # Telegram does not nest replies
            data = {k: v for k, v in data.items() if k != "reply_to_message"}
        return data

    def _prepare(self, p: JSON) -> _Prepared:
        chat = self._chat_of(p)
        self._check_reachable(chat)
        return _Prepared(
            chat, self._reply_target(chat, p), self._check_markup(p.get("reply_markup"))
        )

    def _take_flood(self, chat: ChatRecord, count: int = 1) -> None:
        retry_after = self.flood.acquire(chat.id, count)
        if retry_after is not None:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                kind="flood",
                retry_after=retry_after,
            )

    def _store_bot_message(
        self,
        prep: _Prepared,
        content: JSON,
        raw: str | None = None,
        parse_mode: str | None = None,
    ) -> StoredMessage:
        chat = prep.chat
        mid = chat.take_message_id()
        data: JSON = {
            "message_id": mid,
            "from": self.bot_user,
            "chat": chat.json,
            "date": int(self.wall_clock()),
        }
        if prep.reply_to is not None:
            data["reply_to_message"] = prep.reply_to
        data.update(content)
        markup = prep.markup
        if markup is not None:
            if "inline_keyboard" in markup:
                data["reply_markup"] = markup
            elif "keyboard" in markup:
                chat.reply_keyboard = markup
                chat.reply_keyboard_hidden = False
            elif "remove_keyboard" in markup:
                chat.reply_keyboard = None
        message = StoredMessage(chat.id, mid, True, data, raw, parse_mode, self._next_seq())
        chat.messages[mid] = message
        self.sent_log.append(message)
        self.stats.sent_messages += 1
        return message

    @staticmethod
    def _text_content(rendered: Rendered, key: str = "text") -> JSON:
        content: JSON = {key: rendered.text}
        if rendered.entities:
            content["entities" if key == "text" else "caption_entities"] = rendered.entities
        return content

    def _caption_content(self, method: str, p: JSON) -> tuple[JSON, str | None]:
        caption = p.get("caption")
        if caption is None or caption == "":
            return {}, None
        rendered = self._render(
            method, caption, p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        if not rendered.text:
            return {}, str(caption)
        return self._text_content(rendered, "caption"), str(caption)

    def _input_file(self, value: object, kind: str, p: JSON) -> FileRecord:
        """Resolve an uploaded file, a file_id or a URL to a stored file."""
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request", "no_file")
        if isinstance(value, Upload):
            size = len(value.content)
            if size == 0:
                raise bad_request("file must be non-empty", "empty_file")
            limit = (
                self.limits.upload_photo_bytes if kind == "photo" else self.limits.upload_file_bytes
            )
            if size > limit:
                raise ApiError(413, "Request Entity Too Large", kind="too_large")
            duration = p.get("duration")
            return self.new_file(
                kind,
                value.content,
                file_name=value.filename if kind in ("document", "audio", "video") else None,
                mime_type=value.mime_type
                or ("audio/ogg" if kind == "voice" else "application/octet-stream"),
                duration=_as_int(duration, "duration")
                if duration
                else (1 if kind in ("voice", "audio", "video") else None),
            )
        text = str(value)
        if text.startswith(("http://", "https://")):
            return self.new_file(
                kind,
                None,
                file_name=text.rsplit("/", 1)[-1] or None,
                duration=1 if kind in ("voice", "audio", "video") else None,
            )
        record = self.files.get(text)
        if record is None:
            raise bad_request("wrong file identifier/HTTP URL specified", "file_id")
        if (record.kind == "photo") != (kind == "photo"):
            raise bad_request(
                f"can't use file of type {record.kind.title()} as {kind.title()}", "file_type"
            )
        return record

    # ------------------------------------------------------------------ Bot API methods

    def get_me(self, p: JSON) -> JSON:
        """getMe."""
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    def send_message(self, p: JSON) -> JSON:
        """sendMessage."""
        prep = self._prepare(p)
        rendered = self._render(
            "sendMessage", p.get("text"), p.get("parse_mode"), p.get("entities"), caption=False
        )
        self._take_flood(prep.chat)
        content = self._text_content(rendered)
        if p.get("link_preview_options") is not None:
            content["link_preview_options"] = _json_param(p["link_preview_options"])
        return self._store_bot_message(prep, content, p.get("text"), p.get("parse_mode")).data

    def _send_media(self, method: str, kind: str, p: JSON, extra: JSON | None = None) -> JSON:
        prep = self._prepare(p)
        caption, raw = self._caption_content(method, p)
        record = self._input_file(p.get(kind), kind, p)
        self._take_flood(prep.chat)
        content: JSON = {kind: record.photo_json() if kind == "photo" else record.to_json()}
        content.update(caption)
        if extra:
            content.update(extra)
        if p.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._store_bot_message(prep, content, raw, p.get("parse_mode")).data

    def send_photo(self, p: JSON) -> JSON:
        """sendPhoto."""
        return self._send_media("sendPhoto", "photo", p)

    def send_document(self, p: JSON) -> JSON:
        """sendDocument."""
        return self._send_media("sendDocument", "document", p)

    def send_voice(self, p: JSON) -> JSON:
        """sendVoice."""
        return self._send_media("sendVoice", "voice", p)

    def send_location(self, p: JSON) -> JSON:
        """sendLocation."""
        prep = self._prepare(p)
        try:
            latitude = float(p["latitude"])
            longitude = float(p["longitude"])
        except (KeyError, TypeError, ValueError):
            raise bad_request("wrong latitude or longitude specified", "location") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified", "location")
        location: JSON = {"latitude": latitude, "longitude": longitude}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if p.get(key) is not None:
                location[key] = p[key]
        self._take_flood(prep.chat)
        return self._store_bot_message(prep, {"location": location}).data

    def send_media_group(self, p: JSON) -> list[JSON]:
        """sendMediaGroup: 2-10 items; each becomes a message sharing a media_group_id."""
        prep = self._prepare(p)
        media = _json_param(p.get("media"))
        if not isinstance(media, list) or not media:
            raise bad_request("media group is empty", "album")
        if len(media) < self.limits.album_min:
            raise bad_request("there must be at least 2 media in the album", "album")
        if len(media) > self.limits.album_max:
            raise bad_request("too many messages to send as an album", "album")
        items: list[tuple[JSON, str | None, str | None]] = []
        for entry in media:
            item = _json_param(entry)
            kind = str(item.get("type", ""))
            if kind not in ("photo", "document", "audio", "video"):
                raise bad_request(f'unsupported media type "{kind}" in the album', "album")
            caption, raw = self._caption_content("sendMediaGroup", item)
            record = self._input_file(item.get("media"), kind, item)
            content: JSON = {kind: record.photo_json() if kind == "photo" else record.to_json()}
            content.update(caption)
            items.append((content, raw, item.get("parse_mode")))
        kinds = {next(iter(c)) for c, _, _ in items}
        if "document" in kinds and len(kinds) > 1:
            raise bad_request("document can't be mixed with other media types", "album")
        self._take_flood(prep.chat, len(items))
        group_id = self.new_media_group_id()
        results = []
        for content, raw, parse_mode in items:
            content["media_group_id"] = group_id
            results.append(self._store_bot_message(prep, content, raw, parse_mode).data)
        return results

    def _source_message(self, p: JSON, what: str) -> StoredMessage:
        source_chat = self._chat_of(p, "from_chat_id")
        message = source_chat.messages.get(_as_int(p.get("message_id"), "message_id"))
        if message is None:
            raise bad_request(f"message to {what} not found", "source_not_found")
        return message

    def copy_message(self, p: JSON) -> JSON:
        """copyMessage: the content without a link to the original; returns a MessageId."""
        prep = self._prepare(p)
        source = self._source_message(p, "copy")
        content = {k: source.data[k] for k in _CONTENT_KEYS if k in source.data}
        raw = source.raw
        if p.get("caption") is not None and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            caption, raw = self._caption_content("copyMessage", p)
            content.update(caption)
        self._take_flood(prep.chat)
        message = self._store_bot_message(prep, content, raw, p.get("parse_mode"))
        return {"message_id": message.message_id}

    def forward_message(self, p: JSON) -> JSON:
        """forwardMessage: the message with its forward_origin."""
        prep = self._prepare(p)
        prep.markup = None
        source = self._source_message(p, "forward")
        content = {k: source.data[k] for k in _CONTENT_KEYS if k in source.data}
        origin_from = source.data.get("forward_origin")
        if origin_from is None:
            origin_from = {
                "type": "user",
                "sender_user": source.data.get("from", self.bot_user),
                "date": source.data["date"],
            }
        content["forward_origin"] = origin_from
        self._take_flood(prep.chat)
        return self._store_bot_message(prep, content, source.raw).data

    def _edit_target(self, p: JSON) -> tuple[ChatRecord, StoredMessage]:
        if p.get("inline_message_id"):
            self.unexpected.append("edit of an inline message: the stand-in does not model them")
            raise bad_request("MESSAGE_ID_INVALID", "inline_message")
        chat = self._chat_of(p)
        self._check_reachable(chat)
        message = chat.messages.get(_as_int(p.get("message_id"), "message_id"))
        if message is None:
            raise bad_request("message to edit not found", "edit_not_found")
        if not message.from_bot:
            raise bad_request("message can't be edited", "edit_forbidden")
        return chat, message

    def _apply_edit(self, message: StoredMessage, data: JSON, raw: str | None) -> JSON:
        old = message.data
        same = all(old.get(k) == data.get(k) for k in set(old) | set(data) if k != "edit_date")
        if same:
            raise bad_request(_NOT_MODIFIED, "not_modified")
        data["edit_date"] = int(self.wall_clock())
        # A new dict, so updates already built with the old version keep it.
        message.data = data
        message.raw = raw if raw is not None else message.raw
        message.seq = self._next_seq()
        message.edits += 1
        return data

    def edit_message_text(self, p: JSON) -> JSON:
        """editMessageText. Without reply_markup the inline keyboard goes away, as on Telegram."""
        _chat, message = self._edit_target(p)
        if "text" not in message.data:
            raise bad_request("there is no text in the message to edit", "edit_no_text")
        rendered = self._render(
            "editMessageText",
            p.get("text"),
            p.get("parse_mode"),
            p.get("entities"),
            caption=False,
        )
        markup = self._check_markup(p.get("reply_markup"))
        data = {
            k: v for k, v in message.data.items() if k not in ("text", "entities", "reply_markup")
        }
        data.update(self._text_content(rendered))
        if markup is not None:
            data["reply_markup"] = markup
        if p.get("link_preview_options") is not None:
            data["link_preview_options"] = _json_param(p["link_preview_options"])
        return self._apply_edit(message, data, p.get("text"))

    def edit_message_caption(self, p: JSON) -> JSON:
        """editMessageCaption."""
        _chat, message = self._edit_target(p)
        if "text" in message.data:
            raise bad_request("there is no caption in the message to edit", "edit_no_caption")
        caption, raw = self._caption_content("editMessageCaption", p)
        markup = self._check_markup(p.get("reply_markup"))
        data = {
            k: v
            for k, v in message.data.items()
            if k not in ("caption", "caption_entities", "reply_markup")
        }
        data.update(caption)
        if markup is not None:
            data["reply_markup"] = markup
        return self._apply_edit(message, data, raw)

    def edit_message_reply_markup(self, p: JSON) -> JSON:
        """editMessageReplyMarkup (no reply_markup removes the inline keyboard)."""
        _chat, message = self._edit_target(p)
        markup = self._check_markup(p.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected", "markup")
        data = {k: v for k, v in message.data.items() if k != "reply_markup"}
        if markup is not None and markup["inline_keyboard"]:
            data["reply_markup"] = markup
        return self._apply_edit(message, data, None)

    def delete_message(self, p: JSON) -> bool:
        """deleteMessage. In groups, others' messages need the bot to be an admin."""
        chat = self._chat_of(p)
        message = chat.messages.get(_as_int(p.get("message_id"), "message_id"))
        if message is None:
            raise bad_request("message to delete not found", "delete_not_found")
        if chat.type != "private" and not message.from_bot and not chat.bot_is_admin:
            raise bad_request("message can't be deleted", "delete_forbidden")
        del chat.messages[message.message_id]
        self.deleted.append(message)
        return True

    def answer_callback_query(self, p: JSON) -> bool:
        """answerCallbackQuery; a query can be answered once."""
        record = self.callbacks.get(str(p.get("callback_query_id", "")))
        if record is None or record.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid",
                "query_too_old",
            )
        text = p.get("text")
        if text is not None and utf16_len(str(text)) > self.limits.callback_answer_text:
            raise bad_request("MESSAGE_TOO_LONG", "too_long")
        record.answered = True
        record.text = str(text) if text is not None else None
        record.show_alert = bool(p.get("show_alert", False))
        record.url = p.get("url")
        return True

    @staticmethod
    def _scope_key(scope: object) -> str:
        value = _json_param(scope) if scope else None
        if not value:
            value = {"type": "default"}
        if not isinstance(value, dict):
            raise bad_request("can't parse BotCommandScope JSON object", "scope")
        chat_id = value.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            value = {**value, "chat_id": int(chat_id)}
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    def set_my_commands(self, p: JSON) -> bool:
        """setMyCommands, keyed by (scope, language_code)."""
        commands = _json_param(p.get("commands"))
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object", "commands")
        if len(commands) > self.limits.commands_max:
            raise bad_request("BOT_COMMANDS_TOO_MUCH", "commands")
        clean: list[JSON] = []
        for entry in commands:
            item = _json_param(entry)
            name = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", ""))
            if not (
                0 < len(name) <= self.limits.command_name_max
                and all(c.islower() or c.isdigit() or c == "_" for c in name)
                and name.isascii()
            ):
                raise bad_request("BOT_COMMAND_INVALID", "commands")
            if not 0 < utf16_len(description) <= self.limits.command_description_max:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID", "commands")
            clean.append({"command": name, "description": description})
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        if clean:
            self.commands_by_scope[key] = clean
        else:
            self.commands_by_scope.pop(key, None)
        return True

    def get_my_commands(self, p: JSON) -> list[JSON]:
        """getMyCommands for exactly that scope and language."""
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        return list(self.commands_by_scope.get(key, []))

    def delete_my_commands(self, p: JSON) -> bool:
        """deleteMyCommands."""
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        self.commands_by_scope.pop(key, None)
        return True

    def get_file(self, p: JSON) -> JSON:
        """getFile."""
        record = self.files.get(str(p.get("file_id", "")))
        if record is None:
            raise bad_request("invalid file_id", "file_id")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.file_size,
            "file_path": record.file_path,
        }

    def send_chat_action(self, p: JSON) -> bool:
        """sendChatAction."""
        chat = self._chat_of(p)
        self._check_reachable(chat)
        action = str(p.get("action", ""))
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request", "chat_action")
        self.chat_actions.append((chat.id, action))
        return True

    def get_chat(self, p: JSON) -> JSON:
        """getChat (a ChatFullInfo)."""
        chat = self._chat_of(p)
        info: JSON = {
            **chat.json,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        return info

    def _member_json(self, chat: ChatRecord, user_id: int) -> JSON:
        if user_id == self.bot_id:
            user_json = self.bot_user
            status = "administrator" if chat.bot_is_admin else "member"
        else:
            user = self.users.get(user_id)
            if user is None:
                raise bad_request("user not found", "user_not_found")
            user_json = user.to_json()
            if chat.type == "private":
                status = "member" if user_id == chat.id else "left"
            elif user_id == chat.creator:
                status = "creator"
            elif user_id in chat.admins:
                status = "administrator"
            elif user_id in chat.members:
                status = "member"
            else:
                status = "left"
        member: JSON = {"status": status, "user": user_json}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
            )
        return member

    def get_chat_member(self, p: JSON) -> JSON:
        """getChatMember."""
        chat = self._chat_of(p)
        return self._member_json(chat, _as_int(p.get("user_id"), "user_id"))

    def get_chat_member_count(self, p: JSON) -> int:
        """getChatMemberCount: the group's members and the bot (1 and 2 in a private chat)."""
        chat = self._chat_of(p)
        if chat.type == "private":
            return 2
        return len(chat.members - {self.bot_id}) + 1

    def get_chat_administrators(self, p: JSON) -> list[JSON]:
        """getChatAdministrators: the creator, the admins, and the bot if it is one."""
        chat = self._chat_of(p)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat", "private_chat")
        ids = [chat.creator] if chat.creator is not None else []
        ids += sorted(chat.admins - set(ids))
        if chat.bot_is_admin:
            ids.append(self.bot_id)
        return [self._member_json(chat, uid) for uid in ids if uid is not None]

    def set_chat_menu_button(self, p: JSON) -> bool:
        """setChatMenuButton (for one private chat, or the default without chat_id)."""
        button = _json_param(p["menu_button"]) if p.get("menu_button") else {"type": "default"}
        if p.get("chat_id") is None:
            self.default_menu_button = button
        else:
            chat = self._chat_of(p)
            if chat.type != "private":
                raise bad_request("chat must be private", "menu_button")
            chat.menu_button = button
        return True
