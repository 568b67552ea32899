"""Instruments the benchmarks put on gridbot from outside: SQL, database hops, Bot API calls.

Nothing here changes what the bot does; each instrument wraps a public seam:

- SQL statements: the sqlite3 trace callback on the bot's connection (aiosqlite's
  ``set_trace_callback``), which SQLite calls with each statement as it starts,
  parameters bound (so a recorded statement can be run again as it is). SQLite calls
  it again at the start of each trigger program the statement runs, and Python hands
  on the statement's own text each time (it drops SQLite's ``-- TRIGGER`` line), so a
  write on a table with triggers (cases, case_events) arrives several times: the
  repeats are dropped (see :meth:`Recorder._trace`), or a replay would run the write
  once per trigger and fail (``UNIQUE constraint failed: cases.idempotency_key``).
- Database hops: every await that goes to the database thread ends with that thread
  waking the event loop (``loop.call_soon_threadsafe``); the loop's method is wrapped
  and the wake-ups coming from the database thread are counted. The thread is found
  by a probe (one ``SELECT 1``), so the count holds however the bot groups its work
  on that thread (one statement per await or one transaction per await).
- Bot API calls: :meth:`FakeTelegram.handle` of the stand-in, wrapped on the instance.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.offline.standin import FakeTelegram
from bot.offline.standin.records import JSON

_TRANSACTION_START = ("BEGIN", "SAVEPOINT")
_TRANSACTION_END = ("COMMIT", "END", "ROLLBACK")
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "WITH")


# The thread Database.run_transaction runs a whole transaction on (storage/db.py): its
# wake-ups of the loop are hops too, one per transaction.
WORKER = "gridbot-tx"


def first_word(sql: str) -> str:
    """The statement's first keyword, upper case."""
    words = sql.lstrip().split(None, 1)
    # A statement of a script (Database.write_batch) is traced with its ";".
    return words[0].upper().rstrip(";") if words else ""


def commits_of(statements: list[str], in_transaction: bool = False) -> tuple[int, bool]:
    """How many commits these statements made, and whether a transaction is still open.

    An explicit COMMIT (or END) of a transaction that wrote is one (that of a group of
    reads, Database.run_reads, writes nothing); so is a write run outside any
    transaction, which SQLite commits on its own. A ROLLBACK commits nothing.
    """
    commits = 0
    wrote = in_transaction  # a transaction left open by an earlier step: counted as writing
    for sql in statements:
        word = first_word(sql)
        if word == "BEGIN":
            in_transaction, wrote = True, False
        elif word in ("COMMIT", "END"):
            commits += 1 if wrote else 0
            in_transaction = False
        elif word == "ROLLBACK" and "TO" not in sql.upper().split():
            in_transaction = False
        elif word in _WRITES and _writes(sql):
            if in_transaction:
                wrote = True
            else:
                commits += 1
    return commits, in_transaction


def _writes(sql: str) -> bool:
    """Whether a statement changes data (a WITH ... SELECT does not)."""
    upper = sql.upper()
    return any(w in upper for w in ("INSERT", "UPDATE", "DELETE", "REPLACE"))


def is_write(sql: str) -> bool:
    """Whether a statement writes rows (so may fire triggers)."""
    return first_word(sql) in _WRITES and _writes(sql)


def is_transaction_control(sql: str) -> bool:
    """BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT and RELEASE."""
    return first_word(sql) in (*_TRANSACTION_START, *_TRANSACTION_END, "RELEASE")


@dataclass
class Step:
    """What the bot did for one update: statements and Bot API calls, in order."""

    kind: str  # "tap", "typed" or "other"
    chat_id: int | None
    events: list[tuple[str, Any]] = field(default_factory=list)  # ("sql", text) | ("api", call)
    hops: int = 0
    api_errors: int = 0

    @property
    def statements(self) -> list[str]:
        """The SQL statements, in order."""
        return [value for what, value in self.events if what == "sql"]

    @property
    def calls(self) -> list[tuple[str, JSON]]:
        """The Bot API calls, in order: (method, parameters)."""
        return [value for what, value in self.events if what == "api"]

    def own_chat_calls(self) -> int:
        """Bot API calls in the member's own chat (the answer to a tap counts as one)."""
        own = 0
        for method, params in self.calls:
            answer = method.lower() == "answercallbackquery"
            if answer or (
                self.chat_id is not None and str(params.get("chat_id")) == str(self.chat_id)
            ):
                own += 1
        return own


def kind_of(update: JSON) -> tuple[str, int | None]:
    """Whether an update is a tap (callback query) or a typed message, and its chat."""
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        chat = (message.get("chat") or {}).get("id", query["from"]["id"])
        return "tap", int(chat)
    message = update.get("message")
    if message is not None:
        return ("typed" if "text" in message else "other"), int(message["chat"]["id"])
    return "other", None


class Recorder:
    """Records statements, database hops and Bot API calls into the current :class:`Step`.

    ``attach`` wraps the loop, the connection and the stand-in; ``detach`` undoes it.
    Between updates nothing is recorded unless :attr:`step` is set.
    """

    def __init__(self) -> None:
        self.step: Step | None = None
        self.db_threads: set[threading.Thread] = set()
        self._probing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: aiosqlite.Connection | None = None
        self._api: FakeTelegram | None = None
        # When each statement started and each hop ended, on the database thread:
        # how long one statement held the connection.
        self.timeline: list[tuple[float, str | None]] | None = None
        # Hops ended on the database thread so far, and the last statement traced with
        # the count at its report: a repeat within one hop is a trigger's report.
        self._hops_ended = 0
        self._last: tuple[str, int] | None = None

    # ---------------------------------------------------------------- the seams

    def _trace(self, sql: str) -> None:  # on the database thread
        now = (sql, self._hops_ended)
        if now == self._last and is_write(sql):
            # The same write again with no hop ended in between: SQLite starting one of
            # its triggers (per trigger and row), not the bot running it again, which
            # takes another await (gridbot runs one statement per hop; an executemany
            # of identical rows is the one case this would wrongly fold).
            return
        self._last = now
        step = self.step
        if step is not None:
            step.events.append(("sql", sql))
        if self.timeline is not None:
            self.timeline.append((time.perf_counter(), sql))

    def _wrap_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        original = loop.call_soon_threadsafe

        def call_soon_threadsafe(callback: Any, *args: Any, context: Any = None) -> Any:
            thread = threading.current_thread()
            if thread is not threading.main_thread():
                if self._probing:
                    self.db_threads.add(thread)
                elif thread in self.db_threads or thread.name.startswith(WORKER):
                    self._hops_ended += 1
                    if self.step is not None:
                        self.step.hops += 1
                    if self.timeline is not None:
                        self.timeline.append((time.perf_counter(), None))
            return original(callback, *args, context=context)

        loop.call_soon_threadsafe = call_soon_threadsafe  # type: ignore[method-assign]

    def _wrap_api(self, api: FakeTelegram) -> None:
        original: Callable[[str, JSON], Awaitable[tuple[int, JSON]]] = api.handle

        async def handle(method: str, params: JSON) -> tuple[int, JSON]:
            step = self.step
            if step is not None and method != "getUpdates":
                step.events.append(("api", (method, dict(params))))
            status, body = await original(method, params)
            if step is not None and status != 200:
                step.api_errors += 1
            return status, body

        api.handle = handle  # type: ignore[method-assign]

    async def attach(
        self, conn: aiosqlite.Connection, api: FakeTelegram | None = None, *, trace: bool = True
    ) -> None:
        """Start recording what ``conn`` runs and (if given) what ``api`` is asked."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._wrap_loop(loop)
            self._loop = loop
        self._probing = True
        try:
            await conn.execute("SELECT 1")
        finally:
            self._probing = False
        if trace:
            await conn.set_trace_callback(self._trace)
        self._conn = conn
        if api is not None and self._api is not api:
            self._wrap_api(api)
            self._api = api

    async def detach(self) -> None:
        """Stop tracing statements (the wrappers stay, recording nothing without a step)."""
        self.step = None
        if self._conn is not None:
            await self._conn.set_trace_callback(None)
            self._conn = None

    def longest_statement(self) -> tuple[float, str]:
        """The longest any one statement held the connection: seconds, and the statement.

        A statement holds it from its start until the next statement starts or the
        hop it ran in ends, whichever comes first.
        """
        timeline = self.timeline or []
        longest, which = 0.0, ""
        for (at, sql), (following, _next) in itertools.pairwise(timeline):
            if sql is not None and following - at > longest:
                longest, which = following - at, sql
        return longest, which
