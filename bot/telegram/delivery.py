"""The delivery worker: sends what is in the outbox, and never loses a row.

Each due row is rendered by the renderer of its kind, in the recipient's language,
and sent in parts (photos, text, voice). The part already sent is recorded after
each step, so a retry does not send it again. Failures are sorted by what they
mean:

- network errors, timeouts and server errors: retried with doubling backoff;
- 429 Too Many Requests: retried after the ``retry_after`` Telegram asked for
  (this does not count as an attempt: nothing was wrong with the message);
- 403 Forbidden (the person blocked the bot): the row is held, not retried and
  not dropped, and the member is marked unreachable; the rule (who is told, when
  the rows go out again) is :mod:`bot.services.members`'s;
- 400 Bad Request: a bug in the message; the row fails at once.

A row that keeps failing is marked ``failed`` after ``delivery.max_attempts`` and is
listed by ``python -m bot outbox``. Rows are never deleted.

A row whose renderer gives an ``edit_key`` edits the message kept under that key
(an admin's alert showing a case's current state) instead of sending a new one; if
that message is gone, a new one is sent and kept. "Message is not modified" counts
as done; a copy that a handler has just redrawn in place has its row closed by that
handler (:mod:`bot.services.cases.copies`), so no call is made for it.

The guarantee is *at least once*: a row is marked sent only after Telegram
confirmed the send, so a crash or a lost response between the two sends that part
again after the restart. Nothing acknowledged is ever lost. Edits are idempotent
(the same text again is "not modified"), so for them at least once is exactly once
in effect, and their marks are written together, with the next send's mark or at the
end of the batch, one commit for many; a new message may arrive twice when Telegram's
answer was lost, and the copy not kept then shows out-of-date buttons, which are
refused by their version.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import InputMediaPhoto
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.runtime import Runtime
from bot.services import members as member_service
from bot.services.notify import TELEGRAM
from bot.telegram.outgoing import (
    BatchReads,
    Outgoing,
    Renderers,
    RenderPass,
    kept_copy_key,
    render_pass,
    rendering,
)
from bot.telegram.ratelimit import Retries
from storage import case_copies, group_chats, outbox
from storage import members as member_repo
from storage.db import Transaction
from storage.outbox import OutboxRow
from storage.times import to_db

log = logging.getLogger(__name__)


BATCH = 100
# The rate limiter's retries on a 429, for the outbox's sends: none. The row is tried
# again after retry_after by the outbox itself, without holding up the pass (and the
# limiter still holds every request for that long).
NO_RETRIES = Retries(0)
# Waits between tries of a write that records a send (a locked database), in seconds:
# about a minute in all, past which the pass fails and the part may be sent again.
MARK_RETRY_WAITS = (0.05, 0.1, 0.2, 0.5, 1, 2, 4, 8, 15, 30)


def _copy_to_keep(status: str, result: dict[str, Any] | None) -> tuple[str, int, int] | None:
    """(edit key, chat id, message id) of a copy sent now whose message is to be kept for
    later edits, if the row's mark has to keep it (a copy edited, or kept already, not)."""
    if status != "sent" or not result or result.get("edited") or result.get("kept"):
        return None
    edit_key, chat_id, message_id = (result.get(k) for k in ("edit_key", "chat_id", "message_id"))
    if not isinstance(edit_key, str) or not isinstance(chat_id, int):
        return None
    if not isinstance(message_id, int):
        return None
    return edit_key, chat_id, message_id


async def _until_written(write: Callable[[], Awaitable[object]]) -> None:
    """Run a database write, trying again while the database is locked."""
    for wait in (*MARK_RETRY_WAITS, None):
        try:
            await write()
            return
        except sqlite3.OperationalError as error:
            if wait is None or "locked" not in str(error):
                raise
            log.warning("database locked while recording a send; again in %s s", wait)
            await asyncio.sleep(wait)


async def _due_batch(
    q: Transaction, *, now: str, reads: BatchReads
) -> tuple[list[OutboxRow], RenderPass]:
    """The rows due at ``now`` (a batch), and a render pass holding their recipients and
    what their renderers said they will read (``reads``, by kind), each read once."""
    rows = await outbox.due(q, now, BATCH)
    recipients = [row.member_id for row in rows if row.member_id is not None]
    batch = RenderPass(await member_repo.get_many(q, recipients))
    for row in rows:
        wanted = reads.get(row.kind)
        for key, read in () if wanted is None else wanted(row):
            if not batch.holds(key):
                batch.keep(key, await read(q))
    return rows, batch


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0


class Delivery:
    """Sends due outbox rows through the bot; one pass at a time."""

    def __init__(
        self,
        runtime: Runtime,
        bot: ExtBot[Any],
        renderers: Renderers,
        batch_reads: BatchReads | None = None,
    ) -> None:
        self.runtime = runtime
        self.bot = bot
        self.renderers = renderers
        self.batch_reads: BatchReads = batch_reads or {}
        # Marks of the batch's edits, written with the next mark or at the batch's end:
        # one commit for many (see _finish). (row id, status, when, result)
        self._held_marks: list[tuple[int, str, str, dict[str, Any] | None]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._again = False

    # ------------------------------------------------------------------ running

    def kick(self) -> None:
        """Start a pass in the background soon (after something was queued)."""
        if self._task is not None and not self._task.done():
            self._again = True  # the running pass may have missed the new rows
            return
        self._task = asyncio.get_running_loop().create_task(self._drain(), name="delivery")

    async def _drain(self) -> None:
        while True:
            self._again = False
            try:
                await self.run_once()
            except Exception:  # a pass must never kill the worker; the next sweep retries
                log.exception("delivery pass failed")
                return
            if not self._again:
                return

    async def idle(self) -> None:
        """Wait until the background pass, if any, has finished."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def run_once(self) -> DeliveryReport:
        """Send every row that is due now; return what happened."""
        report = DeliveryReport()
        async with self._lock:
            while True:
                now = to_db(self.runtime.clock.now())
                # The batch and its recipients in one trip, and what its rows share (a
                # case's card) read once for all of them: see outgoing.RenderPass.
                rows, batch = await self.runtime.db.run_reads(
                    functools.partial(_due_batch, now=now, reads=self.batch_reads),
                    snapshot=False,
                )
                try:
                    with rendering(batch):
                        for row in rows:
                            await self._deliver(row, report, batch)
                finally:
                    # Before the next look at the outbox, which would find those rows due
                    # (and if the pass fails: they were done).
                    await self._write_held_marks()
                if len(rows) < BATCH:
                    return report

    # ------------------------------------------------------------------ one row

    async def _deliver(self, row: OutboxRow, report: DeliveryReport, batch: RenderPass) -> None:
        if row.channel != TELEGRAM:
            await self._fail(row, f"no sender for channel {row.channel!r}", report)
            return
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            await self._fail(row, f"no renderer for kind {row.kind!r}", report)
            return
        language = self.runtime.config.locale.default_language
        member = None if row.member_id is None else batch.members.get(row.member_id)
        if member is not None:
            language = member.language
        try:
            outgoing = await renderer(self.runtime, row, language)
        except Exception as error:
            log.exception("rendering outbox row %s (%s) failed", row.id, row.kind)
            await self._fail(row, f"render: {error!r}", report)
            return
        if outgoing is None:
            await self._finish(row, "cancelled", row.result)
            report.cancelled += 1
            return
        progress: dict[str, Any] = dict(row.result or {})
        try:
            edited = await self._edit(outgoing, progress) if outgoing.edit_key else "none"
            if edited == "edited":
                await self._finish(row, "sent", progress)
                report.sent += 1
                return
            if edited == "none" and outgoing.edit_only:
                await self._finish(row, "cancelled", progress or None)
                report.cancelled += 1
                return
            await self._send(int(row.recipient), outgoing, row, progress)
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await self._retry(row, "429 retry_after", seconds, progress, report, count=False)
        except Forbidden as error:
            await self._forbidden(row, str(error), progress, report)
        except BadRequest as error:
            await self._fail(row, f"400: {error.message}", report, progress)
        except TelegramError as error:  # TimedOut, NetworkError (5xx), anything passing
            await self._retry(
                row, f"{type(error).__name__}: {error.message}", None, progress, report
            )
        else:
            await self._finish(row, "sent", progress)
            report.sent += 1

    async def _send(
        self, chat_id: int, outgoing: Outgoing, row: OutboxRow, progress: dict[str, Any]
    ) -> None:
        """Send the parts not sent yet, recording each as it succeeds."""
        # The ids of the parts besides the text are kept too (a recalled notice deletes them).
        extra: dict[str, Any] = {"rate_limit_args": NO_RETRIES}
        if outgoing.paid_broadcast:
            extra["allow_paid_broadcast"] = True
        parts: list[int] = list(progress.get("part_message_ids", []))
        if outgoing.photos and "photos" not in progress:
            if len(outgoing.photos) == 1:
                sent = await self.bot.send_photo(chat_id, outgoing.photos[0], **extra)
                parts.append(sent.message_id)
                progress["part_message_ids"] = parts
            else:
                album = await self.bot.send_media_group(
                    chat_id, [InputMediaPhoto(file_id) for file_id in outgoing.photos[:10]], **extra
                )
                parts.extend(m.message_id for m in album)
                progress["part_message_ids"] = parts
            progress["photos"] = True
            await self._save_progress(row, progress)
        if outgoing.document and "document" not in progress:
            sent = await self.bot.send_document(chat_id, outgoing.document, **extra)
            parts.append(sent.message_id)
            progress.update(document=True, part_message_ids=parts)
            await self._save_progress(row, progress)
        if "message_id" not in progress:
            message = await self.bot.send_message(
                chat_id, outgoing.text, reply_markup=outgoing.reply_markup, **extra
            )
            progress["chat_id"] = chat_id
            progress["message_id"] = message.message_id
            if outgoing.edit_key:
                progress["edit_key"] = outgoing.edit_key
            if outgoing.voice or outgoing.location:  # a part follows: remember this one
                if outgoing.edit_key:
                    edit_key = outgoing.edit_key
                    await _until_written(
                        lambda: case_copies.remember_message(
                            self.runtime.db,
                            edit_key,
                            chat_id,
                            message.message_id,
                            to_db(self.runtime.clock.now()),
                        )
                    )
                    progress["kept"] = True
                await self._save_progress(row, progress)
            # Else the copy to edit later is kept with the row's mark, in one commit
            # (see _finish).
        if outgoing.voice and "voice" not in progress:
            sent = await self.bot.send_voice(chat_id, outgoing.voice, **extra)
            parts.append(sent.message_id)
            progress.update(voice=True, part_message_ids=parts)
            if outgoing.location:
                await self._save_progress(row, progress)
        if outgoing.location and "location" not in progress:
            await self.bot.send_location(chat_id, *outgoing.location, rate_limit_args=NO_RETRIES)
            progress["location"] = True

    async def _edit(self, outgoing: Outgoing, progress: dict[str, Any]) -> str:
        """Edit the message kept under the edit key: 'edited', 'none' kept, or 'gone'."""
        edit_key = outgoing.edit_key
        assert edit_key is not None
        # Read ahead with the batch, the first time (this pass may keep a new copy after).
        ahead, kept = render_pass().take(kept_copy_key(edit_key))
        if not ahead:
            kept = await case_copies.message_ref(self.runtime.db, edit_key)
        if kept is None:
            return "none"
        chat_id, message_id = kept
        try:
            await self.bot.edit_message_text(
                outgoing.text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=outgoing.reply_markup,
                rate_limit_args=NO_RETRIES,
            )
        except BadRequest as error:
            text = error.message.lower()
            if "not modified" in text:
                pass  # it shows this already: done
            elif "not found" in text or "can't be edited" in text:
                return "gone"  # deleted by the person: send a new copy
            else:
                raise
        progress.update(chat_id=chat_id, message_id=message_id, edited=True)
        return "edited"

    async def _save_progress(self, row: OutboxRow, progress: dict[str, Any]) -> None:
        await _until_written(lambda: outbox.save_progress(self.runtime.db, row.id, progress))

    # ------------------------------------------------------------------ outcomes

    async def _finish(self, row: OutboxRow, status: str, result: dict[str, Any] | None) -> None:
        # After Telegram took the message, the mark is what must get through: retried
        # on a locked database, never the send (that would deliver it twice).
        db, now = self.runtime.db, to_db(self.runtime.clock.now())
        kept = _copy_to_keep(status, result)
        if kept is None and (status == "cancelled" or (result or {}).get("edited")):
            # Done again after a crash, an edit shows the same ("not modified") and a row
            # with nothing to send has nothing still: its mark waits for the next one.
            self._held_marks.append((row.id, status, now, result))
            return
        held, self._held_marks = self._held_marks, []
        if kept is None and not held:
            await _until_written(lambda: outbox.finish(db, row.id, status, now, result))
            return

        async def keep_and_mark(tx: Transaction) -> None:
            for mark in held:
                await outbox.finish(tx, *mark)
            if kept is not None:
                await case_copies.remember_message(tx, *kept, now)
            await outbox.finish(tx, row.id, status, now, result)

        async def mark_and_keep() -> None:
            await db.run_transaction(keep_and_mark)  # one trip, one commit for all

        await _until_written(mark_and_keep)

    async def _write_held_marks(self) -> None:
        """Write the marks held back (of edits, and of rows with nothing to send)."""
        held, self._held_marks = self._held_marks, []
        if not held:
            return

        async def marks(tx: Transaction) -> None:
            for mark in held:
                await outbox.finish(tx, *mark)

        await _until_written(lambda: self.runtime.db.run_transaction(marks))

    async def _retry(
        self,
        row: OutboxRow,
        error: str,
        after_seconds: float | None,
        progress: dict[str, Any],
        report: DeliveryReport,
        *,
        count: bool = True,
    ) -> None:
        settings = self.runtime.config.delivery
        attempts = row.attempts + (1 if count else 0)
        if attempts >= settings.max_attempts:
            await self._fail(row, error, report, progress)
            return
        if after_seconds is None:
            after_seconds = min(
                settings.backoff_seconds * 2 ** max(attempts - 1, 0), settings.max_backoff_seconds
            )
        next_try: datetime = self.runtime.clock.now() + timedelta(seconds=max(after_seconds, 1))
        await outbox.retry_later(
            self.runtime.db, row.id, attempts, to_db(next_try), error, progress or None
        )
        report.retried += 1
        log.info("outbox row %s (%s): %s; retry at %s", row.id, row.kind, error, next_try)

    async def _fail(
        self,
        row: OutboxRow,
        error: str,
        report: DeliveryReport,
        progress: dict[str, Any] | None = None,
    ) -> None:
        await outbox.fail(self.runtime.db, row.id, error, progress)
        report.failed += 1
        log.error("outbox row %s (%s) to %s failed: %s", row.id, row.kind, row.recipient, error)

    async def _forbidden(
        self, row: OutboxRow, error: str, progress: dict[str, Any], report: DeliveryReport
    ) -> None:
        if row.member_id is not None and await member_repo.get(self.runtime.db, row.member_id):
            # The member blocked the bot: the row waits for them (it is not due while
            # they are unreachable), and the rule of who is told is the service's.
            await outbox.hold(self.runtime.db, row.id, f"403: {error}", progress)
            report.held += 1
            if await member_service.blocked(self.runtime.db, self.runtime.clock, row.member_id):
                self._again = True  # the admins' notices queued there are due now
                log.warning("member %s blocked the bot; their messages are held", row.member_id)
            return
        await self._fail(row, f"403: {error}", report, progress)
        if row.recipient.startswith("-") and row.recipient[1:].isdigit():
            # the bot was removed from a bound group chat: stop sending alerts there
            area_id = await group_chats.unbind_group(self.runtime.db, int(row.recipient))
            log.warning("bot removed from group %s (bound to area %s)", row.recipient, area_id)
