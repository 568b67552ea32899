"""Dispatch: microseconds per update for gridbot against a fair floor and a bare echo bot.

gridbot runs its mixed workload (:mod:`bench.workload`) on a real SQLite file, every
update through the real Application and the offline stand-in, with the SQL statements
it runs and the Bot API calls it makes recorded update by update (:mod:`bench.trace`).

The fair floor is the least any bot doing the same work could cost: a bare
python-telegram-bot Application (one handler, no persistence, no rate limiter) that,
for each update, replays gridbot's own recorded statements on a copy of the database
and its recorded Bot API calls against a copy of the stand-in. It runs interleaved
with gridbot, update by update (gridbot handles update n, then each floor replays
update n), so machine noise hits both alike. Three floors, by how the statements
reach the database thread:

(a) one hop per statement, as gridbot does today;
(b) one hop per transaction (and per run of reads between two Bot API calls);
(c) one hop and one commit per update.

A hop is one await to a thread that owns a sqlite3 connection, made the way aiosqlite
makes it (a queue, and the thread waking the loop with ``call_soon_threadsafe``).
The echo bot (one handler that replies with the text it got) is for information.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import queue
import sqlite3
import statistics
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, TypeHandler, filters
from telegram.warnings import PTBUserWarning

from bench.report import Figure, print_report, run
from bench.trace import Recorder, Step, commits_of, is_transaction_control, kind_of
from bench.workload import Workload, build_workload
from bot.config import load_config
from bot.offline.harness import OfflineBot
from bot.offline.standin import FakeTelegram, Limits, StandInRequest, UserClient
from bot.offline.standin.records import JSON, StoredMessage, Upload

UNLIMITED = Limits(global_per_second=None, group_per_minute=None)
VARIANTS = ("statement", "transaction", "update")
LABELS = {
    "statement": "(a) one hop per statement",
    "transaction": "(b) one hop per transaction",
    "update": "(c) one hop and one commit per update",
}


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def echo_microseconds(updates: int) -> float:
    """Microseconds per text update for an application that only echoes."""
    api = FakeTelegram(limits=UNLIMITED)
    app = Application.builder().token("1:ECHO").request(StandInRequest(api)).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()

    async def deliver(update: JSON) -> None:
        await app.process_update(Update.de_json(update, app.bot))

    users = [UserClient(api, api.add_user(100 + i, f"u{i}"), deliver) for i in range(50)]
    for user in users:  # warm up
        await user.send("hi")
    began = time.perf_counter()
    for n in range(updates):
        await users[n % len(users)].send(f"消息 {n}")
    elapsed = time.perf_counter() - began
    await app.stop()
    await app.shutdown()
    return elapsed / updates * 1e6


# ---------------------------------------------------------------- the floor


class DatabaseThread:
    """A thread owning one sqlite3 connection; each :meth:`call` is one hop, as in aiosqlite.

    Built like aiosqlite's worker (a SimpleQueue of (future, function), the result
    handed back with ``call_soon_threadsafe``) so a hop costs what a hop of gridbot's
    connection costs, while a function may run any number of statements in one hop.
    """

    def __init__(self, path: Path) -> None:
        self._queue: queue.SimpleQueue[tuple[asyncio.Future[Any] | None, Callable[[], Any]]]
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._path = path
        self.conn: sqlite3.Connection | None = None
        self.failed = 0  # statements that raised (gridbot's failed too, or the copy differs)
        self.traced: list[str] = []

    def _work(self) -> None:
        while True:
            future, function = self._queue.get()
            try:
                result = function()
                if future is not None:
                    future.get_loop().call_soon_threadsafe(_set_result, future, result)
            except BaseException as exc:  # handed to the awaiting task
                if future is not None:
                    future.get_loop().call_soon_threadsafe(_set_exception, future, exc)
            if future is None:
                break

    def _connect(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        # The bot's pragmas (storage/db.py), so each statement does the same work.
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # The same instrument gridbot carries while it is measured: a trace callback.
        conn.set_trace_callback(self.traced.append)
        self.conn = conn

    async def start(self) -> None:
        """Start the thread and open the connection."""
        self._thread.start()
        await self.call(self._connect)

    async def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` on the thread: one hop."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((future, function))
        return await future

    async def stop(self) -> None:
        """Close the connection and end the thread."""
        if self.conn is not None:
            await self.call(self.conn.close)
        self._queue.put_nowait((None, lambda: None))
        await asyncio.to_thread(self._thread.join)

    def run(self, statements: list[str]) -> None:
        """Run statements on this thread, each to its last row (as gridbot reads them)."""
        conn = self.conn
        assert conn is not None
        for sql in statements:
            try:
                conn.execute(sql).fetchall()
            except sqlite3.Error:
                self.failed += 1

    def run_in_one_transaction(self, statements: list[str]) -> None:
        """Run statements in one transaction (one commit), their own BEGIN/COMMIT dropped."""
        inner = [sql for sql in statements if not is_transaction_control(sql)]
        if commits_of(inner)[0] == 0:  # reads only: nothing to commit
            self.run(inner)
            return
        self.run(["BEGIN IMMEDIATE", *inner, "COMMIT"])


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def hop_groups(step: Step) -> list[tuple[str, Any]]:
    """The update's events with statements grouped one group per hop of floor (b).

    A transaction (BEGIN ... COMMIT/ROLLBACK) is one group; statements outside a
    transaction with no Bot API call between them (the reads that draw a card or a
    page) are one group too.
    """
    groups: list[tuple[str, Any]] = []
    current: list[str] = []
    in_transaction = False
    for what, value in step.events:
        if what == "api":
            # A call inside a transaction splits it: the hop cannot wait for the call.
            if in_transaction or current:
                groups.append(("sql", current))
                current = []
            groups.append(("api", value))
            continue
        word = value.lstrip()[:8].upper()
        if word.startswith("BEGIN"):
            if current:
                groups.append(("sql", current))
            current, in_transaction = [value], True
        elif in_transaction and (word.startswith(("COMMIT", "END", "ROLLBACK"))):
            current.append(value)
            groups.append(("sql", current))
            current, in_transaction = [], False
        else:
            current.append(value)
    if current:
        groups.append(("sql", current))
    return groups


def _inputs(params: JSON) -> JSON:
    """Recorded parameters as PTB takes them again (uploads as InputFile)."""
    out: JSON = {}
    for key, value in params.items():
        if isinstance(value, Upload):
            value = InputFile(value.content, filename=value.filename)
        out[key] = value
    return out


@dataclass
class Floor:
    """One variant of the floor: a bare PTB app, a copy of the database and of the stand-in."""

    variant: str
    api: FakeTelegram
    database: DatabaseThread
    app: Any = None
    step: Step | None = None
    seconds: float = 0.0
    api_errors: int = 0
    updates: list[float] = field(default_factory=list)

    async def start(self) -> None:
        """Open the copy and start the bare application."""
        await self.database.start()
        self.app = Application.builder().token("1:FLOOR").request(StandInRequest(self.api)).build()
        self.app.add_handler(TypeHandler(Update, self._replay))
        await self.app.initialize()
        await self.app.start()

    async def stop(self) -> None:
        """Stop the application and close the copy."""
        await self.app.stop()
        await self.app.shutdown()
        await self.database.stop()

    async def handle(self, update: JSON, step: Step) -> None:
        """Handle one update as gridbot did, replaying its recorded work; time it."""
        self.step = step
        began = time.perf_counter()
        await self.app.process_update(Update.de_json(update, self.app.bot))
        self.seconds += time.perf_counter() - began

    async def _call(self, bot: Any, call: tuple[str, JSON]) -> None:
        method, params = call
        try:
            await bot.do_api_request(method, api_kwargs=_inputs(params))
        except TelegramError:
            self.api_errors += 1

    async def _replay(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        step = self.step
        assert step is not None
        db, bot = self.database, context.bot
        if self.variant == "statement":
            for what, value in step.events:
                if what == "sql":
                    await db.call(lambda sql=value: db.run([sql]))
                else:
                    await self._call(bot, value)
        elif self.variant == "transaction":
            for what, value in hop_groups(step):
                if what == "sql":
                    await db.call(lambda group=value: db.run(group))
                else:
                    await self._call(bot, value)
        else:
            statements = step.statements
            if statements:
                await db.call(lambda: db.run_in_one_transaction(statements))
            for call in step.calls:
                await self._call(bot, call)


def _mirror_user_actions(api: FakeTelegram, copies: list[FakeTelegram]) -> None:
    """What users do in gridbot's stand-in happens in the floors' copies too.

    Message ids and callback query ids then stay in step in every copy, so a recorded
    edit or answer finds its message or query there.
    """
    record_user_message = api.record_user_message
    register_callback = api.register_callback

    def record(chat_id: int, user_id: int, content: JSON) -> StoredMessage:
        for other in copies:
            other.record_user_message(chat_id, user_id, copy.deepcopy(content))
        return record_user_message(chat_id, user_id, content)

    def register(user_id: int, message: StoredMessage | None, data: str | None) -> Any:
        for other in copies:
            theirs = None
            if message is not None:
                theirs = other.chats[message.chat_id].messages.get(message.message_id)
            other.register_callback(user_id, theirs, data)
        return register_callback(user_id, message, data)

    api.record_user_message = record  # type: ignore[method-assign]
    api.register_callback = register  # type: ignore[method-assign]


# ---------------------------------------------------------------- one run


@dataclass
class Run:
    """One run of the workload: gridbot's time, each floor's, and what gridbot did."""

    updates: int
    gridbot_us: float
    floor_us: dict[str, float]
    steps: list[Step]
    floor_errors: dict[str, tuple[int, int]]  # variant: (failed statements, API errors)
    outbox_bytes_per_case: float
    workload: Workload
    # Bytes the alert copies a case leaves (case_watchers, message_refs: never pruned).
    copies_bytes_per_case: float = 0.0

    def per_update(self, what: Callable[[Step], float], kind: str | None = None) -> float:
        """The mean of ``what`` over the updates (of one kind, if given)."""
        chosen = [s for s in self.steps if kind is None or s.kind == kind]
        return sum(what(s) for s in chosen) / max(len(chosen), 1)


def _commits(step: Step) -> int:
    return commits_of(step.statements)[0]


async def one_run(leaders: int, rounds: int, *, floors: bool = True) -> Run:
    """gridbot's workload, and (if ``floors``) the three floors interleaved with it."""
    warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as folder:
        config = load_config(None, environ={}).replace(
            **{"database.path": str(Path(folder) / "bench.sqlite3")}
        )
        api = FakeTelegram(limits=UNLIMITED)
        bot = OfflineBot(config, api=api)
        await bot.start()
        recorder = Recorder()
        variants: list[Floor] = []
        try:
            await bot.import_areas()
            workload = await build_workload(bot, leaders)
            await workload.warm_up()
            if floors:
                for variant in VARIANTS:
                    path = Path(folder) / f"floor-{variant}.sqlite3"
                    await bot.db.backup_to(path)
                    twin = copy.deepcopy(api)
                    variants.append(Floor(variant, twin, DatabaseThread(path)))
                _mirror_user_actions(api, [f.api for f in variants])
                for floor in variants:
                    await floor.start()
            steps: list[Step] = []
            seconds = 0.0

            async def deliver(update: JSON) -> None:
                nonlocal seconds
                kind, chat = kind_of(update)
                step = Step(kind, chat)
                recorder.step = step
                began = time.perf_counter()
                await bot.deliver(update)
                seconds += time.perf_counter() - began
                recorder.step = None
                steps.append(step)
                for floor in variants:
                    await floor.handle(update, step)

            for client in workload.clients():
                client.deliver = deliver
            await recorder.attach(bot.db.conn, api)
            for _ in range(rounds):
                await workload.round()
            await recorder.detach()
            cases = int(await bot.db.fetchval("SELECT count(*) FROM cases"))
            outbox = await bot.db.fetchval(
                "SELECT sum(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name"
                " WHERE m.tbl_name = 'outbox'"
            )
            # The bytes in use (not whole pages: these tables are small in a short run).
            copies = await bot.db.fetchval(
                "SELECT sum(d.pgsize - d.unused) FROM dbstat d"
                " JOIN sqlite_master m ON m.name = d.name"
                " WHERE m.tbl_name IN ('case_watchers', 'message_refs')"
            )
        finally:
            for floor in variants:
                await floor.stop()
            await bot.stop()
    count = len(steps)
    workload.statements = sum(len(s.statements) for s in steps)
    workload.requests = sum(len(s.calls) for s in steps)
    return Run(
        updates=count,
        gridbot_us=seconds / count * 1e6,
        floor_us={f.variant: f.seconds / count * 1e6 for f in variants},
        steps=steps,
        floor_errors={f.variant: (f.database.failed, f.api_errors) for f in variants},
        outbox_bytes_per_case=float(outbox or 0) / max(cases, 1),
        workload=workload,
        copies_bytes_per_case=float(copies or 0) / max(cases, 1),
    )


async def outbox_bytes_per_case(leaders: int = 4, rounds: int = 2) -> tuple[float, float]:
    """Bytes of outbox (table and indexes) per case after a short real workload, and the
    bytes its alert copies leave (case_watchers and message_refs)."""
    run = await one_run(leaders, rounds, floors=False)
    return run.outbox_bytes_per_case, run.copies_bytes_per_case


# ---------------------------------------------------------------- figures


def _target(value: float, limit: float) -> bool:
    return value <= limit + 1e-9


async def measure(leaders: int = 40, rounds: int = 3, repeat: int = 3) -> list[Figure]:
    """gridbot, the three floors and the echo, ``repeat`` times; figures are medians."""
    runs: list[Run] = []
    echoes: list[float] = []
    for _ in range(repeat):
        runs.append(await one_run(leaders, rounds))
        echoes.append(await echo_microseconds(max(runs[-1].updates, 500)))

    def median(values: list[float]) -> float:
        return statistics.median(values)

    last = runs[-1]
    grid_us = median([r.gridbot_us for r in runs])
    floor_us = {v: median([r.floor_us[v] for r in runs]) for v in VARIANTS}
    echo_us = median(echoes)
    to_floor = {v: median([r.gridbot_us / r.floor_us[v] for r in runs]) for v in VARIANTS}
    to_echo = median([r.gridbot_us / e for r, e in zip(runs, echoes, strict=True)])
    floor_to_echo = median([r.floor_us["update"] / e for r, e in zip(runs, echoes, strict=True)])
    # gridbot's own failed calls (an edit that changes nothing) fail in the replay too.
    own_errors = sum(s.api_errors for r in runs for s in r.steps)
    failed = {
        v: sum(r.floor_errors[v][0] + r.floor_errors[v][1] for r in runs) - own_errors
        for v in VARIANTS
    }
    statements = last.per_update(lambda s: len(s.statements))
    hops = last.per_update(lambda s: s.hops)
    commits = last.per_update(_commits)
    taps = sum(1 for s in last.steps if s.kind == "tap")
    typed = sum(1 for s in last.steps if s.kind == "typed")
    tap_calls = last.per_update(Step.own_chat_calls, "tap")
    typed_calls = last.per_update(Step.own_chat_calls, "typed")
    all_calls = last.per_update(lambda s: len(s.calls))
    runs_note = f"median of {repeat}" if repeat > 1 else "one run"
    figures = [
        Figure("dispatch: bare PTB echo", echo_us, "µs/update", "", None, runs_note),
        Figure(
            "dispatch: gridbot mixed workload",
            grid_us,
            "µs/update",
            "",
            None,
            f"{last.updates:,} updates, {runs_note}: {last.workload.describe()}",
        ),
    ]
    for variant in VARIANTS:
        note = "gridbot's statements and Bot API calls replayed by a bare PTB app"
        if failed[variant]:
            note += f"; {failed[variant]} replayed statements or calls failed beyond gridbot's own"
        figures.append(
            Figure(f"dispatch: floor {LABELS[variant]}", floor_us[variant], "µs/update", "", None,
                   note)
        )  # fmt: skip
    figures += [
        Figure(
            "dispatch: gridbot / floor (a)", to_floor["statement"], "×", "", None, "for information"
        ),
        Figure(
            "dispatch: gridbot / floor (b)",
            to_floor["transaction"],
            "×",
            "",
            None,
            "for information",
        ),
        Figure(
            "dispatch: gridbot / floor (c)",
            to_floor["update"],
            "×",
            "≤ 1.3",
            _target(to_floor["update"], 1.3),
            "" if _target(to_floor["update"], 1.3) else "held back by the hops and commits below",
        ),
        Figure(
            "dispatch: gridbot / echo",
            to_echo,
            "×",
            "≤ 5",
            _target(to_echo, 5),
            f"for information; the floor (c) itself is {floor_to_echo:.2f}× the echo",
        ),
        Figure(
            "dispatch: SQL statements per update",
            statements,
            "",
            "≤ 8",
            _target(statements, 8),
            "BEGIN and COMMIT included",
        ),
        Figure(
            "dispatch: database hops per update",
            hops,
            "",
            "≤ 3",
            _target(hops, 3),
            "awaits that went to the database thread",
        ),
        Figure(
            "dispatch: commits per update",
            commits,
            "",
            "≤ 1.2",
            _target(commits, 1.2),
            "COMMITs and writes outside a transaction",
        ),
        Figure(
            "dispatch: Bot API calls in the member's chat per tap",
            tap_calls,
            "",
            "≤ 2",
            _target(tap_calls, 2),
            f"{taps:,} taps; the answer to the tap included",
        ),
        Figure(
            "dispatch: Bot API calls in the member's chat per typed message",
            typed_calls,
            "",
            "≤ 1",
            _target(typed_calls, 1),
            f"{typed:,} typed messages and commands",
        ),
        Figure(
            "dispatch: Bot API calls per update, all chats",
            all_calls,
            "",
            "",
            None,
            "alerts to admins included",
        ),
    ]
    return figures


def main() -> None:
    """Run the dispatch benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaders", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10 leaders, one round")
    args = parser.parse_args()
    leaders, rounds, repeat = (10, 1, 1) if args.quick else (args.leaders, args.rounds, 3)
    print_report("dispatch", run(measure(leaders, rounds, repeat)))


if __name__ == "__main__":
    main()
