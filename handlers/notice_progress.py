"""The sender's progress message of a notice, and the notices sweep.

The message is edited in place as the notice goes out, with 暂停 / 继续 / 撤回
(``ntp:<notice>:...``). The ``sweep:notices`` job hands out the next rows, updates the
progress messages, deletes a recalled notice's copies, and sends the reminders.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
)

from bot.i18n import t
from bot.runtime import Runtime
from bot.services import notices as service
from bot.services.members import Member
from bot.services.notices import Notice, NoticeError, NoticeStatus, Progress
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button
from handlers.common.callbacks import BadCallback, answer_stale, number, pattern, unpack
from handlers.common.context import GridContext
from handlers.messages.notices import (
    CONTROL,
    progress_control,
    progress_view,
)

log = logging.getLogger(__name__)


async def refresh_progress(
    bot: Any, runtime: Runtime, notice_id: int, progress: Progress | None = None
) -> None:
    """Bring the sender's progress message up to date (sending it if there is none yet)."""
    if progress is None:
        rate = service.rate_of(runtime.config.notices.paid_broadcast)
        progress = await service.progress(runtime.db, runtime.clock, notice_id, rate=rate)
    if progress is None:
        return
    notice = progress.notice
    author = await service.author_of(runtime.db, notice)
    if author is None:
        return
    text, markup, final = progress_view(author.language, progress)
    if notice.progress_message_id is not None and notice.progress_chat_id is not None:
        if text == notice.progress_text:
            if final and not notice.progress_final:
                await service.set_progress_text(runtime.db, notice.id, text, final)
            return
        try:
            await bot.edit_message_text(
                text,
                chat_id=notice.progress_chat_id,
                message_id=notice.progress_message_id,
                reply_markup=markup,
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                log.info("progress message of notice %s is gone: %s", notice.id, error.message)
                await _new_progress(bot, runtime, notice, author, text, markup)
        except TelegramError as error:  # tried again at the next sweep
            log.info("progress of notice %s not updated: %s", notice.id, error)
            return
    else:
        try:
            await _new_progress(bot, runtime, notice, author, text, markup)
        except TelegramError as error:
            log.info("progress of notice %s not sent: %s", notice.id, error)
            return
    await service.set_progress_text(runtime.db, notice.id, text, final)


async def _new_progress(
    bot: Any,
    runtime: Runtime,
    notice: Notice,
    author: Member,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    message = await bot.send_message(author.tg_user_id, text, reply_markup=markup)
    await service.set_progress_message(runtime.db, notice.id, message.chat_id, message.message_id)


async def control_button(update: Update, context: GridContext) -> None:
    """暂停, 继续, 撤回 (asked once more) on the progress message."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return
    query, admin = pressed
    lang = admin.language
    runtime = context.runtime
    try:
        notice_text_id, action = unpack(query.data, CONTROL, 2)
        notice_id = number(notice_text_id)
        if action not in ("pause", "resume", "recall", "recall_yes", "back"):
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "recall":
            await service.viewable(runtime.db, admin, notice_id)
            await query.answer()
            await query.edit_message_reply_markup(
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            progress_control(lang, notice_id, "recall_yes"),
                            progress_control(lang, notice_id, "back"),
                        ]
                    ]
                )
            )
            return
        if action == "pause":
            await service.pause(runtime.db, admin, notice_id)
        elif action == "resume":
            await service.resume(
                runtime.db,
                runtime.clock,
                admin,
                notice_id,
                rate=service.rate_of(runtime.config.notices.paid_broadcast),
            )
        elif action == "recall_yes":
            await service.recall(runtime.db, runtime.clock, admin, notice_id)
        else:
            await service.viewable(runtime.db, admin, notice_id)
    except NoticeError as error:
        await query.answer(t(lang, error.code, **error.values), show_alert=True)
        return
    await query.answer(t(lang, keys.NOTICE_DONE(action)))
    notice = await service.get(runtime.db, notice_id)
    if action == "back" and notice is not None:
        progress = await service.progress(
            runtime.db,
            runtime.clock,
            notice_id,
            rate=service.rate_of(runtime.config.notices.paid_broadcast),
        )
        if progress is not None:
            text, markup, _ = progress_view(lang, progress)
            await query.edit_message_text(text, reply_markup=markup)
            await service.set_progress_text(runtime.db, notice_id, text, False)
        return
    await refresh_progress(context.bot, runtime, notice_id)


async def sweep(context: GridContext) -> None:
    """``sweep:notices``: hand out rows, delete recalled copies, update progress, remind."""
    runtime = context.runtime
    rate = service.rate_of(runtime.config.notices.paid_broadcast)
    fed = 0
    for notice in await service.unfinished(runtime.db):
        if notice.status == NoticeStatus.RECALLED:
            await _delete_some(context, notice, int(rate * runtime.config.notices.progress_seconds))
        advanced = await service.advance(runtime.db, runtime.clock, notice.id, rate=rate)
        if advanced is not None:
            fed += advanced.fed
            await refresh_progress(context.bot, runtime, notice.id, advanced.progress)
    reminded = await service.remind_due(
        runtime.db, runtime.clock, runtime.config.notices.reminder_hours
    )
    delivery = context.application.delivery  # type: ignore[attr-defined]
    if (fed or reminded) and delivery is not None:
        delivery.kick()


async def _delete_some(context: GridContext, notice: Notice, limit: int) -> None:
    """Delete the next copies of a recalled notice; those Telegram keeps are left as they are."""
    runtime = context.runtime
    batch = await service.to_delete(runtime.db, notice.id, max(limit, 1))
    done: list[int] = []
    for item in batch:
        try:
            for message_id in item.message_ids:
                try:
                    await context.bot.delete_message(item.chat_id, message_id)
                except BadRequest as error:  # too old (48 hours) or deleted by the person
                    log.info("notice %s: message %s kept: %s", notice.id, message_id, error)
        except Forbidden:
            pass  # the person blocked the bot: nothing to delete from here
        except TelegramError as error:  # tried again at the next sweep
            log.info("notice %s: deleting for %s failed: %s", notice.id, item.member_id, error)
            break
        done.append(item.member_id)
    if done:
        await service.deleted(runtime.db, notice.id, done)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The buttons on a notice's progress message."""
    return [CallbackQueryHandler(control_button, pattern=pattern(CONTROL))]
