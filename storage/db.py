"""The SQLite database: one connection, its pragmas, and transactions.

gridbot keeps everything in one SQLite file. A single aiosqlite connection serves
the whole process; a lock serialises write transactions on it so that concurrent
handlers never interleave statements of two transactions. Reads outside a
transaction see only committed data of other processes (WAL) and wait for the
write lock to be free, so they never observe another coroutine's half-done work.

Long reads (the daily digest, statistics, exports) go through :attr:`Database.reader`
instead: a second connection, opened read-only (``mode=ro`` and ``PRAGMA query_only``),
with its own thread and lock. In WAL mode it reads the last committed state while the
writer goes on, so a long read never holds a member's step.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import aiosqlite

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]

DEFAULT_BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")


Statement = tuple[str, Params]  # a statement and its parameters, for Database.write_batch


class LiteralError(ValueError):
    """A value that cannot be written as an SQL literal (see :func:`sql_literal`)."""


def sql_literal(value: object) -> str:
    """``value`` as an SQLite literal: NULL, an integer, a quoted text or a blob.

    A text is quoted by doubling its single quotes (SQLite's only escape); one holding
    a NUL cannot pass through a script and raises :class:`LiteralError`, as do reals
    (SQLite does not read every double back exactly) and values of other types.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # SQLite's reading of a real literal is not exact for every double: not risked.
        raise LiteralError(f"{value!r}: a real is not written as a literal")
    if isinstance(value, str):
        if "\x00" in value:
            raise LiteralError("a text with a NUL cannot be written in a script")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    raise LiteralError(f"{type(value).__name__} has no literal")


def bind(sql: str, params: Params) -> str:
    """``sql`` with each ``?`` replaced by the next of ``params`` as a literal.

    For gridbot's own statements, which hold no ``?`` but their placeholders.
    """
    if isinstance(params, Mapping):
        raise LiteralError("named parameters are not bound here")
    values = list(params)
    parts = sql.split("?")
    if len(parts) != len(values) + 1:
        raise ValueError(f"{len(values)} parameters for {len(parts) - 1} placeholders: {sql}")
    out = [parts[0]]
    for value, part in zip(values, parts[1:], strict=True):
        out.append(sql_literal(value))
        out.append(part)
    return "".join(out)


class DatabaseError(Exception):
    """The database cannot be used: corrupt, from a newer gridbot, or unreadable."""


class Queryable(Protocol):
    """What a repository needs: run statements and read rows.

    Both :class:`Database` (autocommitted single statements) and :class:`Transaction`
    satisfy it, so a repository function works inside or outside a transaction.
    """

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last inserted rowid (or 0)."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set."""
        ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query, or None."""
        ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query."""
        ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        ...

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        ...

    def mark(self, topic: str) -> None:
        """Say that what was written concerns ``topic``: its hooks run once it is committed."""
        ...


class Transaction:
    """A write transaction in progress (BEGIN IMMEDIATE ... COMMIT).

    Every call is one round trip to aiosqlite's thread: reads use ``execute_fetchall``
    and cursors of writes are left to the garbage collector rather than closed, since
    each extra await is a thread hop that costs as much as the statement itself.
    """

    def __init__(self, conn: aiosqlite.Connection, database: Database | None = None) -> None:
        self._conn = conn
        self._database = database
        # The topics marked (see mark()): told to the Database's hooks on commit.
        self.marks: set[str] = set()
        # Rows a repository read in this transaction and may hand out again while it lasts
        # (its own writes drop them): storage/members.py keeps the members it read.
        self.memo: dict[Hashable, Any] = {}

    @property
    def database(self) -> Database | None:
        """The database this transaction runs on (None for a bare read helper)."""
        return self._database

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last inserted rowid (or 0)."""
        cursor = await self._conn.execute(sql, params)
        return cursor.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set."""
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query, or None."""
        rows = await self._conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query."""
        rows = await self._conn.execute_fetchall(sql, params)
        return list(rows)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    def mark(self, topic: str) -> None:
        """Say that this transaction wrote something for ``topic``; told on commit only."""
        self.marks.add(topic)


class _InThread(Transaction):
    """A transaction whose statements run on the calling thread, with no trip: the one
    :meth:`Database.run_transaction` gives its function, on the database's own thread.

    Its methods are coroutines that never suspend, so the repositories' async functions
    run through it to the end in one step (see :func:`_to_the_end`).
    """

    def __init__(self, raw: sqlite3.Connection, database: Database) -> None:
        super().__init__(cast(aiosqlite.Connection, None), database)
        self._raw = raw

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the last inserted rowid (or 0)."""
        return self._raw.execute(sql, params).lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        return self._raw.execute(sql, params).rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set."""
        self._raw.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query, or None."""
        row: Row | None = self._raw.execute(sql, params).fetchone()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query."""
        return list(self._raw.execute(sql, params).fetchall())


def _to_the_end(step: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits on anything to its end, here and now."""
    try:
        step.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    step.close()
    raise RuntimeError("a transaction run in one trip waited on something: it must only query")


class Reader:
    """The read-only connection for long reads (see the module's docstring).

    It satisfies :class:`Queryable`; a write through it is refused by SQLite
    (``sqlite3.OperationalError``: attempt to write a readonly database).
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        # One statement at a time on this connection; never waits for the writer's lock.
        self._lock = asyncio.Lock()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement (a write is refused); return the last inserted rowid (or 0)."""
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement (a write is refused); return how many rows it changed."""
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set (a write is refused)."""
        async with self._lock:
            await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query, or None."""
        async with self._lock:
            rows = await self._conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query."""
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    def mark(self, topic: str) -> None:
        """Nothing is written here, so nothing waits for a commit: a mark is ignored."""


class Database:
    """The process's connection to the gridbot database."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._reader: Reader | None = None
        self._lock = asyncio.Lock()
        # The task inside transaction(): lets us fail fast, instead of deadlocking,
        # when code in a transaction reads through the Database instead of the Transaction.
        self._owner: asyncio.Task[Any] | None = None
        # topic -> what to call when a commit wrote something for it (see on_commit()).
        self._hooks: dict[str, list[Callable[[], None]]] = {}
        # Repositories' caches of rows that never change once committed (storage/areas.py).
        self.cache: dict[str, Any] = {}
        # The writer's sqlite3 connection itself, and the thread run_transaction() uses it
        # on (see open()).
        self._raw: sqlite3.Connection | None = None
        self._worker: ThreadPoolExecutor | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection; raises if :meth:`open` was not awaited."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @property
    def reader(self) -> Queryable:
        """The read-only connection for long reads; the writer's for an in-memory database.

        Raises if :meth:`open` was not awaited.
        """
        if self._reader is None:
            self.conn  # noqa: B018 - raises "database is not open"
            return self  # ":memory:": a second connection would see another database
        return self._reader

    @property
    def is_open(self) -> bool:
        """Whether :meth:`open` has been awaited and :meth:`close` not yet."""
        return self._conn is not None

    async def open(self) -> Database:
        """Open the file, set the pragmas and check that it is a usable database."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so nothing is left
        # in an implicit transaction between statements.
        # aiosqlite runs each statement as its own trip to its thread and has no public
        # way to run a function there. sqlite3's documented ``factory`` hands us the
        # connection it makes (aiosqlite passes its keywords on to sqlite3.connect), and
        # ``check_same_thread=False`` lets run_transaction() use it from a thread of ours:
        # only ever under self._lock, so aiosqlite's thread and ours never use it at once.
        made: list[sqlite3.Connection] = []

        class Kept(sqlite3.Connection):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                made.append(self)

        conn = await aiosqlite.connect(
            self.path, isolation_level=None, check_same_thread=False, factory=Kept
        )
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys = ON")
            # On a new file only (before its first table: setting it on an existing file
            # takes the write lock): freed pages can then be given back a few at a time
            # (storage/upkeep.py). Older files are switched by `python -m bot vacuum`.
            if not await _fetchval(conn, "SELECT count(*) FROM sqlite_master"):
                await conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            mode = await _fetchval(conn, "PRAGMA journal_mode = WAL")
            if self.path != ":memory:" and str(mode).lower() != "wal":
                raise DatabaseError(f"{self.path}: could not switch to WAL (journal_mode={mode})")
            # NORMAL is durable across process crashes in WAL mode; only a power loss
            # can lose the last transactions, and FULL costs an fsync per commit.
            await conn.execute("PRAGMA synchronous = NORMAL")
            await _fetchval(conn, "SELECT count(*) FROM sqlite_master")
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise DatabaseError(f"{self.path}: not a usable SQLite database ({exc})") from exc
        self._conn = conn
        self._raw = made[0]
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridbot-tx")
        if self.path != ":memory:":
            try:
                self._reader = Reader(await _open_reader(self.path, self.busy_timeout_ms))
            except sqlite3.DatabaseError as exc:
                self._conn = None
                await conn.close()
                raise DatabaseError(f"{self.path}: cannot open it for reading ({exc})") from exc
        return self

    async def close(self) -> None:
        """Close the connection, waiting for a running transaction to end."""
        if self._conn is None:
            return
        async with self._lock:
            conn, self._conn = self._conn, None
            reader, self._reader = self._reader, None
            if reader is not None:
                async with reader._lock:
                    await reader._conn.close()
            await conn.close()
            self._raw = None
            worker, self._worker = self._worker, None
            if worker is not None:
                worker.shutdown(wait=True)

    async def run_reads(
        self, body: Callable[[Transaction], Coroutine[Any, Any, T]], *, snapshot: bool = True
    ) -> T:
        """Run ``body``, a group of reads (a card, a page), in one trip to the database's
        thread, all of them from one snapshot (a read transaction: BEGIN ... COMMIT).

        With ``snapshot=False`` there is no transaction around them (two statements fewer):
        for reads that need no snapshot against other processes. This process's writers
        are kept out for the whole of ``body`` all the same (it holds the connection).
        """
        return await self.run_transaction(body, begin="BEGIN" if snapshot else None)

    async def run_transaction(
        self,
        body: Callable[[Transaction], Coroutine[Any, Any, T]],
        *,
        begin: str | None = "BEGIN IMMEDIATE",
    ) -> T:
        """Run ``body`` as one write transaction in one trip to the database's thread.

        ``body`` is an async function of the transaction that only queries through it (as
        a service's ``async with db.transaction()`` block does): it runs there to its end
        (BEGIN IMMEDIATE, its statements, COMMIT; ROLLBACK if it raises), and the hooks of
        what it marked run here once it is committed. The whole of it costs one hand-off
        to a thread and back, where :meth:`transaction` costs one per statement.
        """
        self._check_not_owner()
        async with self._lock:
            raw, worker = self._raw, self._worker
            if raw is None or worker is None:
                raise RuntimeError("database is not open")

            def run() -> tuple[T, set[str]]:
                tx = _InThread(raw, self)
                if begin is None:  # reads with no transaction around them (run_reads)
                    return _to_the_end(body(tx)), tx.marks
                raw.execute(begin)
                try:
                    result = _to_the_end(body(tx))
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
                return result, tx.marks

            done = asyncio.get_running_loop().run_in_executor(worker, run)
            try:
                result, marks = await asyncio.shield(done)
            except asyncio.CancelledError:
                # The thread goes on to COMMIT or ROLLBACK: the connection is not free
                # (the lock not released) until it has.
                while not done.done():
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.shield(done)
                raise
        self._committed(marks)
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction: committed on success, rolled back on any exception.

        BEGIN IMMEDIATE takes SQLite's write lock at once, so a transaction that
        checks a state and then changes it cannot be overtaken by another process.
        """
        self._check_not_owner()
        async with self._lock:
            conn = self.conn
            self._owner = asyncio.current_task()
            tx = Transaction(conn, self)
            try:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield tx
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT")
            finally:
                self._owner = None
        self._committed(tx.marks)

    def _check_not_owner(self) -> None:
        if self._owner is not None and self._owner is asyncio.current_task():
            raise RuntimeError("inside a transaction, use the Transaction, not the Database")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own (SQLite makes it atomic); return the last rowid."""
        self._check_not_owner()
        async with self._lock:
            return await Transaction(self.conn).execute(sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own (atomic, one trip); return how many rows it changed."""
        self._check_not_owner()
        async with self._lock:
            return await Transaction(self.conn).execute_rowcount(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter set, in one transaction."""
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Return the first row of a query, or None."""
        self._check_not_owner()
        async with self._lock:
            return await Transaction(self.conn).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Return every row of a query."""
        self._check_not_owner()
        async with self._lock:
            return await Transaction(self.conn).fetchall(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    def on_commit(self, topic: str, hook: Callable[[], None]) -> None:
        """Call ``hook`` after every commit that wrote something marked ``topic``.

        The composition root registers them (the outbox's wakes the delivery worker);
        storage knows no more of them than their topic's name. A hook must not fail.
        """
        self._hooks.setdefault(topic, []).append(hook)

    def mark(self, topic: str) -> None:
        """Say that a statement run on its own wrote for ``topic``: committed, so told now."""
        self._committed({topic})

    def _committed(self, topics: Iterable[str]) -> None:
        for topic in topics:
            for hook in self._hooks.get(topic, ()):
                hook()

    async def write_batch(
        self, build: Callable[[], Sequence[Statement]], *, marks: Iterable[str] = ()
    ) -> None:
        """Run write-only statements as one transaction in one trip to the database thread.

        aiosqlite makes each statement its own trip (as costly as a short statement
        itself), and offers no public way to run a function on its thread; a transaction
        whose statements need no answers (the persistence write and the handled-update
        record after every update) goes instead as one script, its parameters bound as
        SQL literals by :func:`sql_literal`. ``build`` is called holding the connection,
        so what it takes is written before any other writer runs. A parameter that cannot
        be a literal (a NUL in a text) sends the batch the usual way, a trip a statement.
        One statement goes on its own (atomic without BEGIN and COMMIT). Rolled back on
        any error. The hooks of ``marks`` (the topics the statements concern, as with a
        transaction's ``mark``) run once it is committed.
        """
        self._check_not_owner()
        async with self._lock:
            conn = self.conn
            statements = list(build())
            if not statements:
                return
            if len(statements) == 1:
                await conn.execute(*statements[0])
            else:
                await _write_together(conn, statements)
        self._committed(marks)

    async def executescript(self, script: str) -> None:
        """Run a multi-statement script as it is (used by migrations)."""
        async with self._lock:
            await self.conn.executescript(script)

    async def backup_to(self, target: str | Path) -> None:
        """Write a consistent copy of the database to ``target`` (SQLite online backup)."""
        async with self._lock:
            dest = await aiosqlite.connect(str(target))
            try:
                await self.conn.backup(dest)
            finally:
                await dest.close()


async def _write_together(conn: aiosqlite.Connection, statements: Sequence[Statement]) -> None:
    """Run ``statements`` as one transaction: one script if every parameter can be a SQL
    literal, else one trip a statement (see Database.write_batch)."""
    try:
        body: str | None = "".join(f"{bind(sql, params)};\n" for sql, params in statements)
    except LiteralError:
        body = None
    try:
        if body is not None:
            await conn.executescript(f"BEGIN IMMEDIATE;\n{body}COMMIT;")
        else:
            await conn.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                await conn.execute(sql, params)
            await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise


def _read_only_uri(path: str) -> str:
    return f"{Path(path).resolve().as_uri()}?mode=ro"


async def _open_reader(path: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    """A read-only connection to ``path``: refused writes at two levels (the file, the pragma)."""
    conn = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await conn.execute("PRAGMA query_only = ON")
        await _fetchval(conn, "SELECT count(*) FROM sqlite_master")
    except BaseException:
        await conn.close()
        raise
    return conn


async def _fetchval(conn: aiosqlite.Connection, sql: str) -> Any:
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
        return None if row is None else row[0]
