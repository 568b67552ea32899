"""python-telegram-bot persistence on the gridbot SQLite database.

Conversation states, user data and chat data are stored as JSON in the ``ptb_*``
tables of the same file as everything else, so a conversation begun before a
restart goes on after it. Writing JSON (not pickle) keeps the state readable and
refuses anything that could not be restored. A cache of what was last written
skips writes of unchanged data, because the Application asks to save a user's data
after every update of theirs, changed or not.

Changes are collected by the ``update_*`` methods and written together by
:meth:`SQLitePersistence.write_pending`, in the caller's transaction (the Application
writes them with the record that the update was handled) or by :meth:`flush`.

python-telegram-bot collects *every* change since the last time when one update asks
(its ``update_persistence``), including a state another update, handled at the same
time, has just set and not yet saved. Written with the first update's record, a kill
would then leave the second's state stored and the second not recorded as handled:
Telegram sends it again, and it meets its own state (a /report answered "you have a
report not finished", a button answered "stale"). So ``write_pending`` takes ``held``:
the users and chats of updates still in hand, whose changes wait for their own record.
"""

from __future__ import annotations

import json
from collections.abc import Collection, MutableMapping
from copy import deepcopy
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from storage.db import Database, Transaction

Data = dict[str, Any]
# python-telegram-bot's own aliases for these (telegram.ext._utils.types) are private; the
# same types, defined here, as its BasePersistence documents them.
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


# (table or "conv:<name>", key) -> (sql, params, the text written, or None when deleted)
Pending = dict[tuple[str, str], tuple[str, tuple[object, ...], str | None]]


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def statements_of(taken: Pending) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that write ``taken``, in order."""
    return [(sql, params) for sql, params, _text in taken.values()]


def _ids_of(cache_key: tuple[str, str]) -> frozenset[int]:
    """The user and chat ids a collected change belongs to."""
    table, key = cache_key
    if not table.startswith("conv:"):
        return frozenset({int(key)})
    parts = json.loads(key)  # a conversation's key: [chat id, user id] (or one of them)
    return frozenset(p for p in parts if isinstance(p, int) and not isinstance(p, bool))


class SQLitePersistence(BasePersistence[Data, Data, Data]):
    """Stores conversations, user_data and chat_data in SQLite; bot_data is not kept."""

    def __init__(self, db: Database, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        self._written: dict[tuple[str, str], str] = {}
        self._pending: Pending = {}

    @property
    def has_pending(self) -> bool:
        """Whether changes wait to be written."""
        return bool(self._pending)

    async def write_pending(
        self,
        tx: Transaction,
        *,
        own: Collection[int] = (),
        held: Collection[int] = (),
    ) -> Pending:
        """Write the collected changes in ``tx``; return them, to :meth:`put_back` if it fails.

        A change of a user or chat in ``held`` (the users and chats of other updates in
        hand) waits for its own update's record, unless it is also one of ``own`` (the
        update being saved), whose changes always go with its record.
        """
        taken = self.take(own=own, held=held)
        for sql, params in statements_of(taken):
            await tx.execute(sql, params)
        self.confirm(taken)
        return taken

    def take(self, *, own: Collection[int] = (), held: Collection[int] = ()) -> Pending:
        """Take the collected changes to write now (``own`` and ``held`` as in
        :meth:`write_pending`); :meth:`confirm` them once written, or :meth:`put_back`."""
        held_only = set(held) - set(own)
        taken: Pending = {}
        for cache_key in list(self._pending):
            ids = _ids_of(cache_key)
            if ids & held_only and not ids & set(own):
                continue
            taken[cache_key] = self._pending.pop(cache_key)
        return taken

    def confirm(self, taken: Pending) -> None:
        """Note what ``taken`` wrote as stored (unchanged data is then not written again)."""
        for cache_key, (_sql, _params, text) in taken.items():
            if text is None:
                self._written.pop(cache_key, None)
            else:
                self._written[cache_key] = text

    def put_back(self, taken: Pending) -> None:
        """Collect again what :meth:`write_pending` took, its transaction having failed."""
        for cache_key, entry in taken.items():
            self._written.pop(cache_key, None)  # not known to be stored any more
            self._pending.setdefault(cache_key, entry)  # a newer change stays as it is

    def _put(self, table: str, key_column: str, key: int, data: Data) -> None:
        text = _dump(data)
        cache_key = (table, str(key))
        if self._written.get(cache_key) == text:
            self._pending.pop(cache_key, None)
            return
        self._pending[cache_key] = (
            f"INSERT INTO {table} ({key_column}, data) VALUES (?, ?)"
            f" ON CONFLICT ({key_column}) DO UPDATE SET data = excluded.data",
            (key, text),
            text,
        )

    def _drop(self, table: str, key_column: str, key: int) -> None:
        self._pending[(table, str(key))] = (
            f"DELETE FROM {table} WHERE {key_column} = ?",
            (key,),
            None,
        )

    async def _load(self, table: str, key_column: str) -> dict[int, Data]:
        rows = await self.db.fetchall(f"SELECT {key_column}, data FROM {table}")
        loaded: dict[int, Data] = {}
        for row in rows:
            loaded[int(row[0])] = json.loads(row[1])
            self._written[(table, str(row[0]))] = row[1]
        return loaded

    async def get_user_data(self) -> dict[int, Data]:
        """Every user's stored data."""
        return await self._load("ptb_user_data", "user_id")

    async def get_chat_data(self) -> dict[int, Data]:
        """Every chat's stored data."""
        return await self._load("ptb_chat_data", "chat_id")

    async def get_bot_data(self) -> Data:
        """Not kept: the bot's own data is rebuilt from the database at start."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Not kept: callback data are plain strings, see handlers/common/callbacks.py."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """The stored states of the conversation handler ``name``."""
        rows = await self.db.fetchall(
            "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        states: dict[ConversationKey, object] = {}
        for row in rows:
            key = tuple(json.loads(row["key"]))
            states[key] = json.loads(row["state"])
            self._written[("conv:" + name, row["key"])] = row["state"]
        return states

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store (or, for None, forget) one conversation's state."""
        key_text = _dump(list(key))
        cache_key = ("conv:" + name, key_text)
        if new_state is None:
            if cache_key in self._written or cache_key in self._pending:
                self._pending[cache_key] = (
                    "DELETE FROM ptb_conversations WHERE name = ? AND key = ?",
                    (name, key_text),
                    None,
                )
            return
        state_text = _dump(new_state)
        if self._written.get(cache_key) == state_text:
            self._pending.pop(cache_key, None)
            return
        self._pending[cache_key] = (
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, key_text, state_text),
            state_text,
        )

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Store one user's data."""
        self._put("ptb_user_data", "user_id", user_id, data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Store one chat's data."""
        self._put("ptb_chat_data", "chat_id", chat_id, data)

    async def update_bot_data(self, data: Data) -> None:
        """Not kept."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not kept."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget one chat's data."""
        self._drop("ptb_chat_data", "chat_id", chat_id)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one user's data."""
        self._drop("ptb_user_data", "user_id", user_id)

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Nothing to do: this process is the only writer of user data."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Nothing to do: this process is the only writer of chat data."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Nothing to do: bot data is not kept."""

    async def flush(self) -> None:
        """Write what is collected (the Application calls this when it stops)."""
        if self._pending and self.db.is_open:
            taken: Pending = {}
            try:
                async with self.db.transaction() as tx:
                    taken = await self.write_pending(tx)
            except BaseException:
                self.put_back(taken)
                raise

    def snapshot(self) -> dict[tuple[str, str], str]:
        """What was last written, by table and key (for tests and diagnostics)."""
        return deepcopy(self._written)
