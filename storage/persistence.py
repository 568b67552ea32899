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
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
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


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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
        # (table or "conv:<name>", key) -> (sql, params, cached text or None when deleted)
        self._pending: dict[tuple[str, str], tuple[str, tuple[object, ...], str | None]] = {}

    @property
    def has_pending(self) -> bool:
        """Whether changes wait to be written."""
        return bool(self._pending)

    async def write_pending(self, tx: Transaction) -> None:
        """Write every collected change in ``tx``."""
        pending, self._pending = self._pending, {}
        for cache_key, (sql, params, text) in pending.items():
            await tx.execute(sql, params)
            if text is None:
                self._written.pop(cache_key, None)
            else:
                self._written[cache_key] = text

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
            async with self.db.transaction() as tx:
                await self.write_pending(tx)

    def snapshot(self) -> dict[tuple[str, str], str]:
        """What was last written, by table and key (for tests and diagnostics)."""
        return deepcopy(self._written)
