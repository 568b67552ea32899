"""The Application subclass: owns the database's lifetime and makes updates durable.

What python-telegram-bot does not do on its own, and gridbot needs:

- the database is opened and migrated before persistence is read at start, and
  closed after persistence is written at shutdown;
- after each update, conversation state and user data are written at once
  (not on the default 60-second timer), so a crash loses no acknowledged step;
- an update delivered a second time (Telegram resends what it did not see
  acknowledged before a restart) is recognised by its update_id and skipped;
- updates of different chats are handled at once, each chat's in order
  (:class:`PerChatProcessor`), and an update is confirmed to Telegram only once it is
  handled and saved (:class:`HandledQueue`, :class:`ConfirmAfterHandled`);
- whatever goes wrong with one update is contained: logged, recorded, and the bot
  goes on (:meth:`GridApplication.process_update` never raises).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Iterable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor, ExtBot, JobQueue
from telegram.request import BaseRequest, RequestData

from bot.runtime import Runtime
from bot.telegram.delivery import Delivery
from storage import updates as update_repo
from storage.db import Statement
from storage.migrate import migrate
from storage.persistence import Pending, SQLitePersistence, statements_of
from storage.times import to_db

log = logging.getLogger(__name__)

# How long update ids are remembered; Telegram keeps unconfirmed updates for 24 hours.
SEEN_UPDATES_KEPT = timedelta(days=2)
# How many handled update ids are remembered in memory; older ones are asked of the database.
RECENT_UPDATES = 10_000


class GridApplication(Application[ExtBot[None], Any, dict[Any, Any], dict[Any, Any], Any, Any]):
    """python-telegram-bot's Application with gridbot's runtime attached."""

    def __init__(self, *, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self._owns_db = False
        # Update ids handled since start, and the highest handled before it: an id above
        # that and not in the set is new without asking the database.
        self._handled: set[int] = set()
        self._handled_before_start = 0
        # Set by outbox_written() when a commit queued messages: delivery is kicked after
        # the update in hand (see kick_delivery()).
        self._outbox_queued = False
        # Set by the composition root once the bot exists.
        self.delivery: Delivery | None = None
        # Long polling: confirm every handled update to Telegram when stopping (see stop()).
        self.confirm_on_stop = False
        self._last_handled = 0
        # Update ids being handled now, set when done: a second copy waits, then is skipped.
        self._in_hand: dict[int, asyncio.Event] = {}
        # The user and chat ids of each update in hand: their persistence changes are
        # written with that update's own record (see storage/persistence.py).
        self._owners: dict[int, frozenset[int]] = {}
        # Commits that changed a member so far (members_changed()): a member read in an
        # update before the count moved is read again (handlers/common/context.py).
        self.member_changes = 0
        # Writes a handler left to go with its update's save (write_with_update()), by
        # update id; None holds those of no update, or of a save that failed.
        self._with_save: dict[int | None, list[Statement]] = {}
        self._marks_with_save: dict[int | None, set[str]] = {}  # their topics (see Database)

    async def initialize(self) -> None:
        """Open and migrate the database, then initialise the bot and persistence."""
        db = self.runtime.db
        if not db.is_open:
            await db.open()
            self._owns_db = True
        try:
            await migrate(db)
            self._handled_before_start = await update_repo.last_handled(db)
            await super().initialize()
        except BaseException:
            if self._owns_db:  # its worker thread would keep the process alive
                await db.close()
                self._owns_db = False
            raise

    async def shutdown(self) -> None:
        """Shut down, writing persistence one last time, then close the database."""
        if self.delivery is not None:
            await self.delivery.idle()
        await super().shutdown()
        if self._owns_db:
            await self.runtime.db.close()
            self._owns_db = False

    async def process_update(self, update: object) -> None:
        """Handle an update once, and save what it changed; never raise.

        Whatever goes wrong with one update (a malformed update_id, a bug, a locked
        database) is logged with the update and recorded as handled with an error, and
        the bot goes on: an exception here would end python-telegram-bot's update loop
        and leave the process alive but deaf.
        """
        try:
            await self._process(update)
        except Exception as error:
            log.error("update could not be handled: %r", update, exc_info=True)
            await self._record_failure(update, error)
        finally:
            if isinstance(self.update_queue, HandledQueue):
                self.update_queue.handled(update)

    async def _process(self, update: object) -> None:
        update_id = update_id_of(update)
        if update_id is None:
            if isinstance(update, Update):
                log.error("update with an unusable update_id refused: %r", update)
                return
            await super().process_update(update)  # not from Telegram: nothing to remember
            await self._save(None)
            self.kick_delivery()
            return
        original = self._in_hand.get(update_id)
        if original is not None:
            # A second copy while the first is in hand (a webhook post sent again): it
            # counts as handled when the first is, not before. (Both copies wait in the
            # same chat's line, so this is a safeguard, not the rule.)
            await original.wait()
            log.info("update %s came again while in hand; skipped", update_id)
            return
        done = self._in_hand[update_id] = asyncio.Event()
        self._owners[update_id] = owners_of(update)
        try:
            if await self._seen(update_id):
                log.info("update %s was handled before; skipped", update_id)
                return
            if None in self._with_save:
                await self._write_left_over()
            await super().process_update(update)
            await self._save(update_id)
        finally:
            del self._in_hand[update_id]
            del self._owners[update_id]
            self._writes_for(update_id)  # a save that never came: nothing owed
            done.set()
        self._last_handled = max(self._last_handled, update_id)
        self.kick_delivery()

    def outbox_written(self) -> None:
        """A commit queued messages in the outbox (the hook the composition root registers).

        Delivery starts once the update in hand is handled and saved, not in the middle of
        it: the update's own replies go first, and the pass does not contend with it.
        """
        self._outbox_queued = True

    def members_changed(self) -> None:
        """A commit changed a member (the hook the composition root registers)."""
        self.member_changes += 1

    def kick_delivery(self) -> None:
        """Start delivery if anything was queued in the outbox since the last look."""
        if self.delivery is not None and self._outbox_queued:
            # Whatever the update queued (alerts, replies to others) leaves at once.
            self._outbox_queued = False
            self.delivery.kick()

    async def _record_failure(self, update: object, error: Exception) -> None:
        await self.record_failed_update(update_id_of(update), error)

    async def record_failed_update(self, update_id: object, error: Exception) -> None:
        """Remember a usable update_id as handled with an error, so it is not tried again."""
        if isinstance(update_id, bool) or not isinstance(update_id, int):
            return
        if not 0 <= update_id <= MAX_UPDATE_ID:
            return
        try:
            mark = update_repo.handled_statement(
                update_id, to_db(self.runtime.clock.now()), repr(error)
            )
            await self.runtime.db.write_batch(lambda: [mark])
            self._handled.add(update_id)
        except Exception:
            log.error("could not record update %s as failed", update_id, exc_info=True)

    async def stop(self) -> None:
        """Stop, having handled every queued update; confirm them all when long polling.

        The updater, stopping first, confirms what it fetched once it is handled (its
        last getUpdates waits in :class:`ConfirmAfterHandled`); this confirms again what
        was handled, in case that last request failed, so Telegram does not resend it.
        """
        await super().stop()
        if self.confirm_on_stop and self._last_handled:
            try:
                await self.bot.get_updates(offset=self._last_handled + 1, timeout=0)
            except TelegramError as error:  # they come again and are skipped by update_id
                log.info("could not confirm handled updates: %s", error)

    def write_with_update(
        self, update: object, statement: Statement, *, marks: Iterable[str] = ()
    ) -> None:
        """Write ``statement`` in the transaction that saves ``update`` once it is handled.

        For what is stored with the update or not at all: a write a crash before the save
        may lose, since Telegram then sends the update again and it is handled anew (a
        draft's row, beside the draft in the conversation data), or one whose loss costs
        nothing the person was told (the outbox row of a card the handler redrew itself).
        It costs no commit of its own. ``marks``: the topics it concerns, whose hooks run
        once it is committed. Outside an update in hand it goes with the next save.
        """
        update_id = update_id_of(update)
        key = update_id if update_id is not None and update_id in self._in_hand else None
        self._with_save.setdefault(key, []).append(statement)
        self._marks_with_save.setdefault(key, set()).update(marks)

    def _writes_for(self, key: int | None) -> tuple[list[Statement], set[str]]:
        """Take the writes left for ``key``'s save, and their topics."""
        return self._with_save.pop(key, []), self._marks_with_save.pop(key, set())

    def _leave_for_next(self, writes: list[Statement], marks: set[str]) -> None:
        """Keep writes a save could not make for the next one, ahead of any left since."""
        if writes:
            self._with_save[None] = writes + self._with_save.get(None, [])
            self._marks_with_save.setdefault(None, set()).update(marks)

    async def _write_left_over(self) -> None:
        """Write what an earlier save could not (the database was locked), before another
        update reads what it holds: the member told "switched to English" is answered in
        English next time. Still locked, it waits for this update's save."""
        writes, marks = self._writes_for(None)
        try:
            await self.runtime.db.write_batch(lambda: writes, marks=marks)
        except sqlite3.OperationalError:
            self._leave_for_next(writes, marks)
            log.warning("could not write what an earlier save left", exc_info=True)

    async def update_persistence(self) -> None:
        """Collect what changed, as python-telegram-bot does, and write it at once."""
        await self._save(None)

    async def _save(self, update_id: int | None) -> None:
        """Write collected persistence changes and the handled update id, in one transaction."""
        if self.persistence is not None:
            await super().update_persistence()  # SQLitePersistence only collects
        persistence = self.persistence
        pending = isinstance(persistence, SQLitePersistence) and persistence.has_pending
        writes, marks = self._writes_for(update_id)
        if update_id is not None and None in self._with_save:
            earlier, topics = self._writes_for(None)
            writes, marks = earlier + writes, topics | marks
        if not pending and update_id is None and not writes:
            return
        own = self._owners.get(update_id, frozenset()) if update_id is not None else frozenset()
        taken: Pending = {}

        def statements() -> list[Statement]:
            # Called holding the connection: who is in hand at the moment of writing.
            nonlocal taken
            found: list[Statement] = []
            if pending and isinstance(persistence, SQLitePersistence):
                held = frozenset().union(
                    *(ids for other, ids in self._owners.items() if other != update_id)
                )
                taken = persistence.take(own=own, held=held)
                found.extend(statements_of(taken))
            found.extend(writes)
            if update_id is not None:
                found.append(
                    update_repo.handled_statement(update_id, to_db(self.runtime.clock.now()))
                )
            return found

        try:
            # One trip to the database thread for the whole transaction (storage/db.py).
            await self.runtime.db.write_batch(statements, marks=marks)
            if isinstance(persistence, SQLitePersistence):
                persistence.confirm(taken)
        except sqlite3.OperationalError:
            # Locked past the busy timeout. What was collected is written with the next
            # update; at worst a redelivery of this one is handled again, and the services
            # are idempotent.
            if isinstance(persistence, SQLitePersistence):
                persistence.put_back(taken)
            self._leave_for_next(writes, marks)
            log.warning("could not save after update %s", update_id, exc_info=True)
        if update_id is not None:
            self._handled.add(update_id)
            if len(self._handled) > 2 * RECENT_UPDATES:
                self._handled = set(sorted(self._handled)[-RECENT_UPDATES:])
                self._handled_before_start = min(self._handled) - 1

    async def _seen(self, update_id: int) -> bool:
        if update_id in self._handled:
            return True
        if update_id > self._handled_before_start:
            return False
        return await update_repo.was_handled(self.runtime.db, update_id)

    async def forget_old_updates(self) -> int:
        """Drop remembered update ids older than :data:`SEEN_UPDATES_KEPT`."""
        cutoff = to_db(self.runtime.clock.now() - SEEN_UPDATES_KEPT)
        return await self.runtime.db.run_transaction(
            lambda tx: update_repo.forget_before(tx, cutoff)
        )


# SQLite's INTEGER is 64-bit signed; Telegram's update ids are positive and far smaller.
MAX_UPDATE_ID = 2**63 - 1


def owners_of(update: object) -> frozenset[int]:
    """The ids of the user and the chat an update comes from (what its handlers change)."""
    if not isinstance(update, Update):
        return frozenset()
    ids = set()
    if update.effective_user is not None:
        ids.add(update.effective_user.id)
    if update.effective_chat is not None:
        ids.add(update.effective_chat.id)
    return frozenset(ids)


def update_id_of(update: object) -> int | None:
    """The update's id if it is one Telegram could have sent, else None."""
    if not isinstance(update, Update):
        return None
    update_id = update.update_id
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        return None
    return update_id if 0 <= update_id <= MAX_UPDATE_ID else None


class HandledQueue(asyncio.Queue[object]):
    """The update queue, which knows which of the updates put in it are not handled yet.

    An update counts as taken from Telegram only once it is handled and saved (see
    :meth:`GridApplication.process_update`, which calls :meth:`handled`):

    - long polling: the next getUpdates (whose offset confirms every update before it)
      is not asked until :meth:`drained` returns (see :class:`ConfirmAfterHandled`); so
      after a crash Telegram sends the unhandled ones again, and the handled ones are
      skipped by their update_id;
    - webhook: the POST is answered once :meth:`wait_handled` returns for its update.

    ``put`` itself never waits, so the updates of a batch are handled concurrently
    (see :class:`PerChatProcessor`). This rests only on public behaviour: every update
    the updater or webhook puts here reaches ``Application.process_update`` as the same
    object; and getUpdates' ``offset`` confirms what is before it (Bot API).
    """

    def __init__(self) -> None:
        super().__init__()
        # id(update) -> resolved once that update is handled and saved.
        self._unhandled: dict[int, asyncio.Future[None]] = {}
        self._drained = asyncio.Event()
        self._drained.set()

    async def put(self, item: object) -> None:
        """Queue ``item``; an :class:`Update` is then unhandled until :meth:`handled`."""
        if isinstance(item, Update):  # not PTB's stop signal
            self._expect(item)
        await super().put(item)

    def _expect(self, item: object) -> asyncio.Future[None]:
        future = self._unhandled.get(id(item))
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._unhandled[id(item)] = future
            self._drained.clear()
        return future

    def handled(self, item: object) -> None:
        """``item`` is handled and saved (or given up on): release whoever waits for it."""
        future = self._unhandled.pop(id(item), None)
        if future is not None and not future.done():
            future.set_result(None)
        if not self._unhandled:
            self._drained.set()

    async def wait_handled(self, item: object) -> None:
        """Queue ``item`` and return once it is handled and saved (a webhook's answer)."""
        future = self._expect(item)
        await super().put(item)
        await asyncio.shield(future)

    @property
    def unhandled(self) -> int:
        """How many queued updates are not handled yet."""
        return len(self._unhandled)

    async def drained(self) -> None:
        """Return once every update queued so far is handled and saved."""
        await self._drained.wait()


class ConfirmAfterHandled(BaseRequest):
    """The getUpdates connection: asks for the next batch only once the last is handled.

    The updater's next getUpdates carries the offset that confirms the batch before it to
    Telegram; holding the request back until :meth:`HandledQueue.drained` means nothing
    is confirmed that is not handled and saved. Every other request passes straight on.
    """

    def __init__(self, inner: BaseRequest, queue: HandledQueue) -> None:
        self.inner = inner
        self.queue = queue

    @property
    def read_timeout(self) -> float | None:
        """The wrapped request's read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Initialise the wrapped request."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the wrapped request down."""
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the request; a getUpdates waits until every queued update is handled."""
        if url.endswith("/getUpdates"):
            polling = request_data is None or request_data.parameters.get("timeout") != 0
            if not polling and self.queue.unhandled:
                # The updater's last getUpdates on stopping: it waits for the updates in hand.
                log.info("stopping: waiting for %d update(s) in hand", self.queue.unhandled)
            await self.queue.drained()
        return await self.inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )


# Updates in hand at once, across all chats (each chat's own wait in line first).
MAX_CONCURRENT_UPDATES = 32
# python-telegram-bot's own bound, set out of reach: a chat's updates waiting for their
# turn must not hold places that other chats need (see PerChatProcessor).
_UNBOUNDED = 1_000_000


def lane_of(update: object) -> object:
    """The line an update waits in: its chat, else its sender, else one shared line."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return ("any",)


class PerChatProcessor(BaseUpdateProcessor):
    """Handles updates of different chats at once, each chat's own strictly in order.

    A chat's updates wait in line for that chat (an ``asyncio.Lock`` is first come,
    first served, and PTB starts the handling of updates in the order they were
    queued), and only then for one of :data:`MAX_CONCURRENT_UPDATES` places: so a
    flood from one chat delays that chat only, never the others.
    """

    def __init__(self, max_concurrent: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(_UNBOUNDED)
        self._places = asyncio.Semaphore(max_concurrent)
        self._lanes: dict[object, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the update's chat, then for a place, then handle it."""
        key = lane_of(update)
        lock, users = self._lanes.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._lanes[key] = (lock, users + 1)
        try:
            async with lock, self._places:
                await coroutine
        finally:
            lock, users = self._lanes[key]
            if users <= 1:
                del self._lanes[key]
            else:
                self._lanes[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def job_queue_of(app: Application[Any, Any, Any, Any, Any, Any]) -> JobQueue[Any]:
    """The application's job queue (always present: the job-queue extra is required)."""
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    return app.job_queue
