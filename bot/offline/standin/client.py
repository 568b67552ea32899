"""``UserClient``: one Telegram user talking to the bot, for tests and the demo.

Each action builds the update a real Telegram client would cause, records the user's message
in the chat history (with its proper message_id), and hands the update to ``deliver``; the
reading side shows the bot's messages as the user sees them now (rendered text, current
version after edits, the keyboard on screen)::

    alice = UserClient(api, api.add_user(1001, "Alice"), deliver)
    await alice.send("/start")
    await alice.press("报告问题")
    assert "已提交" in alice.last_text
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.offline.standin.api import FakeTelegram
from bot.offline.standin.records import JSON, CallbackRecord, ChatRecord, StoredMessage, UserRecord

__all__ = ["Deliver", "UserClient"]

Deliver = Callable[[JSON], Awaitable[None]]

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")
_UNSUPPORTED_REPLY_BUTTONS = ("request_users", "request_chat", "request_poll", "web_app")
# Shanghai People's Square, the default place of a request_location button press.
DEFAULT_LOCATION = (31.2304, 121.4737)


def _utf16_offset(text: str, index: int) -> int:
    prefix = text[:index]
    return len(prefix) if prefix.isascii() else len(prefix.encode("utf-16-le")) // 2


def text_entities(text: str) -> list[JSON]:
    """The entities Telegram adds to a user's plain text: bot commands and mentions."""
    if "/" not in text and "@" not in text:
        return []
    found: list[JSON] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            offset = _utf16_offset(text, match.start())
            found.append(
                {
                    "type": kind,
                    "offset": offset,
                    "length": _utf16_offset(text, match.end()) - offset,
                }
            )
    found.sort(key=lambda e: e["offset"])
    return found


class UserClient:
    """Plays ``user`` in one chat (the private chat with the bot unless ``chat_id``)."""

    def __init__(
        self,
        api: FakeTelegram,
        user: UserRecord | int,
        deliver: Deliver,
        chat_id: int | None = None,
    ) -> None:
        self.api = api
        self.user = user if isinstance(user, UserRecord) else api.users[user]
        self.deliver = deliver
        self.chat_id = self.user.id if chat_id is None else chat_id
        if self.chat_id not in api.chats:
            raise KeyError(f"unknown chat {self.chat_id}; add it with api.add_group first")
        self.last_answer: CallbackRecord | None = None
        self.location = DEFAULT_LOCATION

    def __repr__(self) -> str:
        return f"<UserClient {self.user.full_name} ({self.user.id}) in chat {self.chat_id}>"

    def in_chat(self, chat_id: int) -> UserClient:
        """The same user acting in another chat (a group), with the same deliver."""
        return UserClient(self.api, self.user, self.deliver, chat_id)

    @property
    def chat(self) -> ChatRecord:
        """The chat this client acts in."""
        return self.api.chats[self.chat_id]

    # ------------------------------------------------------------------ acting

    async def _post(self, content: JSON, reply_to: int | None = None) -> JSON:
        if reply_to is not None:
            target = self.chat.messages.get(reply_to)
            if target is None:
                raise AssertionError(f"no message {reply_to} in chat {self.chat_id} to reply to")
            data = target.data
            if "reply_to_message" in data:
                data = {k: v for k, v in data.items() if k != "reply_to_message"}
            content["reply_to_message"] = data
        message = self.api.record_user_message(self.chat_id, self.user.id, content)
        update = self.api.new_update({"message": message.data})
        if self.api.bot_sees(self.chat_id, message.data):
            await self.deliver(update)
        return update

    async def send(self, text: str, *, reply_to: int | None = None) -> JSON:
        """Send a text; "/start abc" carries a bot_command entity, as Telegram adds it."""
        text = text.strip()
        if not text:
            raise ValueError("Telegram clients do not send empty messages")
        content: JSON = {"text": text}
        entities = text_entities(text)
        if entities:
            content["entities"] = entities
        return await self._post(content, reply_to)

    async def send_sticker(self, emoji: str = "👍") -> JSON:
        """Send a sticker."""
        record = self.api.new_file("sticker", None, size=(512, 512))
        sticker = {
            **record.to_json(),
            "type": "regular",
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._post({"sticker": sticker})

    def _photo(self, width: int, height: int, content: bytes | None) -> list[JSON]:
        record = self.api.new_file("photo", content, size=(width, height))
        return record.photo_json()

    async def send_photo(
        self,
        caption: str | None = None,
        *,
        width: int = 1280,
        height: int = 960,
        content: bytes | None = None,
    ) -> JSON:
        """Send a photo (with the sizes Telegram makes) and an optional caption."""
        data: JSON = {"photo": self._photo(width, height, content)}
        if caption:
            data["caption"] = caption
        return await self._post(data)

    async def send_album(self, n: int, caption: str | None = None) -> list[JSON]:
        """Send ``n`` photos as one album: ``n`` updates sharing a media_group_id.

        As in Telegram clients, the caption rides on the first photo.
        """
        if not 2 <= n <= 10:
            raise ValueError("an album has 2 to 10 items")
        group_id = self.api.new_media_group_id()
        updates = []
        for index in range(n):
            data: JSON = {"photo": self._photo(1280, 960, None), "media_group_id": group_id}
            if caption and index == 0:
                data["caption"] = caption
            updates.append(await self._post(data))
        return updates

    async def send_voice(self, duration: int = 5) -> JSON:
        """Send a voice message of ``duration`` seconds."""
        record = self.api.new_file(
            "voice", b"OggS" + bytes(duration * 100), mime_type="audio/ogg", duration=duration
        )
        return await self._post({"voice": record.to_json()})

    async def send_location(self, latitude: float, longitude: float) -> JSON:
        """Send a location."""
        return await self._post({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_document(
        self, name: str, content: bytes | None = None, mime_type: str | None = None
    ) -> JSON:
        """Send a file as a document."""
        record = self.api.new_file(
            "document",
            content if content is not None else f"standin document {name}".encode(),
            file_name=name,
            mime_type=mime_type or "application/octet-stream",
        )
        return await self._post({"document": record.to_json()})

    async def share_contact(self) -> JSON:
        """Share one's own contact, as a request_contact button does (phone and user_id).

        A user added without a phone gets a made-up one: +86138 followed by the id.
        """
        phone = self.user.phone or f"+86138{self.user.id % 10**8:08d}"
        contact: JSON = {
            "phone_number": phone,
            "first_name": self.user.first_name,
            "user_id": self.user.id,
        }
        if self.user.last_name:
            contact["last_name"] = self.user.last_name
        return await self._post({"contact": contact})

    async def send_contact(
        self,
        phone: str,
        first_name: str,
        user_id: int | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """Send someone else's contact card."""
        contact: JSON = {"phone_number": phone, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._post({"contact": contact})

    async def forward_text(self, text: str, from_user: UserRecord | JSON | str) -> JSON:
        """Forward a text written by ``from_user`` (a user, a User dict, or a hidden name)."""
        if isinstance(from_user, str):
            origin: JSON = {"type": "hidden_user", "sender_user_name": from_user}
        else:
            sender = from_user.to_json() if isinstance(from_user, UserRecord) else from_user
            origin = {"type": "user", "sender_user": sender}
        origin["date"] = int(self.api.wall_clock()) - 60
        content: JSON = {"text": text, "forward_origin": origin}
        entities = text_entities(text)
        if entities:
            content["entities"] = entities
        return await self._post(content)

    async def edit_last(self, text: str) -> JSON:
        """Edit this user's newest text message; the bot gets an ``edited_message``."""
        mine = [
            m
            for m in self.chat.messages.values()
            if not m.from_bot and m.data.get("from", {}).get("id") == self.user.id
        ]
        target = next((m for m in reversed(mine) if "text" in m.data), None)
        if target is None:
            raise AssertionError(f"{self.user.full_name} has no text message to edit")
        data = {k: v for k, v in target.data.items() if k != "entities"}
        data["text"] = text
        data["edit_date"] = int(self.api.wall_clock())
        entities = text_entities(text)
        if entities:
            data["entities"] = entities
        target.data = data
        self.api.touch(target)
        update = self.api.new_update({"edited_message": data})
        if self.api.bot_sees(self.chat_id, data):
            await self.deliver(update)
        return update

    async def press(self, label: str) -> JSON:
        """Press the button labelled ``label`` (exact text first, then a substring).

        Inline buttons of the bot's messages come first, newest message first; then the reply
        keyboard, where a request_contact button shares the contact and a request_location
        button sends ``self.location``.
        """
        inline = [m for m in reversed(self.messages) if m.inline_keyboard]
        keyboard = self.chat.reply_keyboard
        reply_buttons = [b for row in keyboard["keyboard"] for b in row] if keyboard else []
        for exact in (True, False):
            for message in inline:
                hits = [
                    b
                    for row in message.inline_keyboard
                    for b in row
                    if (b.get("text") == label if exact else label in str(b.get("text", "")))
                ]
                if len(hits) > 1 and not exact:
                    names = [str(b.get("text")) for b in hits]
                    raise AssertionError(f"{label!r} matches several buttons: {names}")
                if hits:
                    return await self._press_inline(message, hits[0])
            hits = [
                b
                for b in reply_buttons
                if (b.get("text") == label if exact else label in str(b.get("text", "")))
            ]
            if len(hits) > 1 and not exact:
                names = [str(b.get("text")) for b in hits]
                raise AssertionError(f"{label!r} matches several keyboard buttons: {names}")
            if hits:
                return await self._press_reply(hits[0])
        newest = inline[0].buttons if inline else []
        raise AssertionError(
            f"no button {label!r} for {self.user.full_name}. Inline buttons of the newest "
            f"message with buttons: {newest}; reply keyboard: {self.reply_keyboard}"
        )

    async def _press_inline(self, message: StoredMessage, button: JSON) -> JSON:
        if "callback_data" not in button:
            kind = next((k for k in button if k != "text"), "?")
            raise AssertionError(
                f"button {button.get('text')!r} is a {kind} button ({button.get(kind)!r}); "
                "pressing it sends the bot nothing"
            )
        return await self.press_data(str(button["callback_data"]), message.message_id)

    async def _press_reply(self, button: JSON) -> JSON:
        keyboard = self.chat.reply_keyboard
        if keyboard and keyboard.get("one_time_keyboard"):
            self.chat.reply_keyboard_hidden = True
        if button.get("request_contact"):
            return await self.share_contact()
        if button.get("request_location"):
            return await self.send_location(*self.location)
        for kind in _UNSUPPORTED_REPLY_BUTTONS:
            if kind in button:
                raise AssertionError(f"the stand-in cannot press a {kind} button yet")
        return await self.send(str(button["text"]))

    async def press_data(self, data: str, message_id: int | None = None) -> JSON:
        """Send a callback query with any data (e.g. forged), on a given or the newest message.

        ``self.last_answer`` then shows how the bot answered it.
        """
        message: StoredMessage | None
        if message_id is not None:
            message = self.chat.messages.get(message_id)
            if message is None:
                raise AssertionError(f"no message {message_id} in chat {self.chat_id}")
        else:
            with_buttons = [m for m in self.messages if m.inline_keyboard]
            message = with_buttons[-1] if with_buttons else self.last
        record = self.api.register_callback(self.user.id, message, data)
        query: JSON = {
            "id": record.id,
            "from": self.user.to_json(),
            "chat_instance": str(self.chat_id * 7919 + 1),
            "data": data,
        }
        if message is not None:
            query["message"] = message.data
        self.last_answer = record
        update = self.api.new_update({"callback_query": query})
        await self.deliver(update)
        return update

    async def block_bot(self) -> JSON:
        """Block the bot: later sends are 403, and the bot gets a my_chat_member update."""
        self.api.block(self.user.id)
        return await self._member_change("member", "kicked")

    async def unblock_bot(self) -> JSON:
        """Unblock the bot (a my_chat_member update follows, as on Telegram)."""
        self.api.unblock(self.user.id)
        return await self._member_change("kicked", "member")

    async def _member_change(self, old: str, new: str) -> JSON:
        now = int(self.api.wall_clock())
        bot = self.api.bot_user

        def member(status: str) -> JSON:
            data: JSON = {"status": status, "user": bot}
            if status == "kicked":
                data["until_date"] = 0
            return data

        update = self.api.new_update(
            {
                "my_chat_member": {
                    "chat": self.api.chats[self.user.id].json,
                    "from": self.user.to_json(),
                    "date": now,
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )
        await self.deliver(update)
        return update

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[StoredMessage]:
        """The bot's messages in this chat, oldest first, in their current version."""
        return self.api.bot_messages(self.chat_id)

    @property
    def history(self) -> list[StoredMessage]:
        """Every message in this chat, both directions."""
        return self.api.messages(self.chat_id)

    @property
    def last(self) -> StoredMessage | None:
        """The bot's newest message here (None if it has sent none)."""
        for message in reversed(self.chat.messages.values()):
            if message.from_bot:
                return message
        return None

    @property
    def last_text(self) -> str:
        """Text (or caption) of the bot's newest message, as the user sees it ("" if none)."""
        last = self.last
        return last.text if last is not None else ""

    def mark(self) -> int:
        """A point to pass to ``texts(since=...)``/``new_messages(since=...)``."""
        return self.api.mark()

    def new_messages(self, since: int) -> list[StoredMessage]:
        """The bot's messages here sent or edited after ``since``."""
        return self.api.bot_messages(self.chat_id, since)

    def texts(self, since: int | None = None) -> list[str]:
        """Texts of the bot's messages here; with ``since``, those sent or edited after it."""
        return [m.text for m in self.api.bot_messages(self.chat_id, since)]

    def buttons(self, msg: StoredMessage | None = None) -> list[list[str]]:
        """Inline button labels (rows) of ``msg`` or of the newest message with buttons."""
        if msg is not None:
            return msg.buttons
        for message in reversed(self.messages):
            if message.inline_keyboard:
                return message.buttons
        return []

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard the user sees now (None when there is none)."""
        keyboard = self.chat.reply_keyboard
        if keyboard is None or self.chat.reply_keyboard_hidden:
            return None
        return [[str(b["text"]) for b in row] for row in keyboard["keyboard"]]

    def _of_kind(self, kind: str) -> list[StoredMessage]:
        return [m for m in self.messages if kind in m.data]

    @property
    def photos(self) -> list[StoredMessage]:
        """The bot's photo messages here."""
        return self._of_kind("photo")

    @property
    def documents(self) -> list[StoredMessage]:
        """The bot's document messages here."""
        return self._of_kind("document")

    @property
    def voices(self) -> list[StoredMessage]:
        """The bot's voice messages here."""
        return self._of_kind("voice")

    @property
    def locations(self) -> list[StoredMessage]:
        """The bot's location messages here."""
        return self._of_kind("location")

    def file_bytes(self, message: StoredMessage) -> bytes | None:
        """The content of the photo/document/voice in a message, if the bot uploaded it."""
        media: Any = None
        for key in ("photo", "document", "voice", "audio", "video"):
            if key in message.data:
                media = message.data[key]
                break
        if media is None:
            return None
        if isinstance(media, list):
            media = media[-1]
        return self.api.files[media["file_id"]].content
