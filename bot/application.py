"""The Application subclass: owns the database's lifetime and makes updates durable.

Three things python-telegram-bot does not do on its own, and gridbot needs:

- the database is opened and migrated before persistence is read at start, and
  closed after persistence is written at shutdown;
- after each update, conversation state and user data are written at once
  (not on the default 60-second timer), so a crash loses no acknowledged step;
- an update delivered a second time (Telegram resends what it did not see
  acknowledged before a restart) is recognised by its update_id and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot, JobQueue

from bot.delivery import Delivery
from bot.runtime import Runtime
from storage.migrate import migrate
from storage.persistence import SQLitePersistence
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
        self._outbox_writes = 0
        # Set by the composition root once the bot exists.
        self.delivery: Delivery | None = None
        # Long polling: confirm every handled update to Telegram when stopping (see stop()).
        self.confirm_on_stop = False
        self._last_handled = 0

    async def initialize(self) -> None:
        """Open and migrate the database, then initialise the bot and persistence."""
        db = self.runtime.db
        if not db.is_open:
            await db.open()
            self._owns_db = True
        try:
            await migrate(db)
            self._handled_before_start = int(
                await db.fetchval("SELECT coalesce(max(update_id), 0) FROM processed_updates")
            )
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
        """Handle an update once, and save what it changed before the next one."""
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and await self._seen(update_id):
            log.info("update %s was handled before; skipped", update_id)
            return
        await super().process_update(update)
        await self._save(update_id)
        if update_id is not None:
            self._last_handled = max(self._last_handled, update_id)
        if self.delivery is not None:
            # Whatever the update queued (alerts, replies to others) leaves at once.
            writes = self.runtime.db.writes.get("outbox", 0)
            if writes != self._outbox_writes:
                self._outbox_writes = writes
                self.delivery.kick()

    async def stop(self) -> None:
        """Stop, having handled every queued update; confirm them all when long polling.

        The updater, stopping first, confirmed only the batches it had finished queueing
        (see :class:`HandledQueue`); the updates of the last batch were handled since, so
        they are confirmed here and Telegram does not send them again.
        """
        await super().stop()
        if self.confirm_on_stop and self._last_handled:
            try:
                await self.bot.get_updates(offset=self._last_handled + 1, timeout=0)
            except TelegramError as error:  # they come again and are skipped by update_id
                log.info("could not confirm handled updates: %s", error)

    async def update_persistence(self) -> None:
        """Collect what changed, as python-telegram-bot does, and write it at once."""
        await self._save(None)

    async def _save(self, update_id: int | None) -> None:
        """Write collected persistence changes and the handled update id, in one transaction."""
        if self.persistence is not None:
            await super().update_persistence()  # SQLitePersistence only collects
        persistence = self.persistence
        pending = isinstance(persistence, SQLitePersistence) and persistence.has_pending
        if not pending and update_id is None:
            return
        try:
            async with self.runtime.db.transaction() as tx:
                if pending and isinstance(persistence, SQLitePersistence):
                    await persistence.write_pending(tx)
                if update_id is not None:
                    await tx.execute(
                        "INSERT OR IGNORE INTO processed_updates (update_id, processed_at)"
                        " VALUES (?, ?)",
                        (update_id, to_db(self.runtime.clock.now())),
                    )
        except sqlite3.OperationalError:
            # Locked past the busy timeout. What was collected is written with the next
            # update; at worst a redelivery of this one is handled again, and the services
            # are idempotent.
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
        row = await self.runtime.db.fetchone(
            "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
        )
        return row is not None

    async def forget_old_updates(self) -> int:
        """Drop remembered update ids older than :data:`SEEN_UPDATES_KEPT`."""
        cutoff = to_db(self.runtime.clock.now() - SEEN_UPDATES_KEPT)
        async with self.runtime.db.transaction() as tx:
            return await tx.execute_rowcount(
                "DELETE FROM processed_updates WHERE processed_at < ?", (cutoff,)
            )


class HandledQueue(asyncio.Queue[object]):
    """The update queue, where an update counts as taken only once it is handled.

    python-telegram-bot's updater confirms a batch to Telegram (the next getUpdates
    offset) as soon as it has queued it, before it is handled: a crash in between
    loses those updates for good. Here ``put`` returns only when everything queued has
    been handled and saved (see :meth:`GridApplication.process_update`), so the offset
    moves past handled updates only; after a crash Telegram sends the rest again, and
    the ones already handled are skipped by their update_id. A webhook likewise
    answers Telegram once the update is handled. So a handler must never put an update
    here itself: it would wait for its own end.
    """

    async def put(self, item: object) -> None:
        """Queue ``item`` and wait until it (and all before it) is handled."""
        await super().put(item)
        await self.join()


def job_queue_of(app: Application[Any, Any, Any, Any, Any, Any]) -> JobQueue[Any]:
    """The application's job queue (always present: the job-queue extra is required)."""
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    return app.job_queue
