"""/export: an admin's area for a period, as an Excel workbook (or CSV files) in the chat.

``/export`` offers the periods as buttons (or two typed dates), then the format; the
file is written in a worker thread and sent as a document (zipped, or split into
parts, if it would be over Telegram's 50 MB). A period with nothing in it is said so,
and no file is sent. Buttons: ``ex:<area id>:<period key>`` and ``...:<format>``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import t
from bot.services import areas as area_service
from bot.services import exports, stats
from bot.services.areas import Area
from bot.services.grid import Role
from bot.services.members import Member
from bot.services.stats import Period, PeriodError, ScopeError
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button
from handlers.common.callbacks import BadCallback, answer_stale, number, pack, pattern, unpack
from handlers.common.context import GridContext
from handlers.stats import EXPORT_PREFIX, PERIOD_FOR, period_buttons, resolve_area, split_args
from handlers.stats import typed_period as stats_typed_period

PREFIX = EXPORT_PREFIX


async def show(update: Update, context: GridContext) -> None:
    """/export [dates] [area]: choose the period (buttons or typed dates)."""
    message = update.effective_message
    admin = await require_admin(update, context)
    if admin is None or message is None:
        return
    dates, area_text = split_args(list(context.args or []))
    area, problem = await resolve_area(context, admin, area_text)
    if area is None:
        await message.reply_text(problem or "")
        return
    context.store[PERIOD_FOR] = {"what": "export", "area": area.id}
    if dates:
        await stats_typed_period(update, context, dates)
        return
    await message.reply_text(
        t(admin.language, "export.choose", area=area.path),
        reply_markup=InlineKeyboardMarkup(period_buttons(admin.language, area.id, PREFIX)),
    )


async def ask_format(message: Message, lang: str, area: Area, period: Period) -> None:
    """Offer the formats for exporting ``area`` over ``period``."""
    buttons = [
        InlineKeyboardButton(
            t(lang, keys.EXPORT_FORMAT(fmt)), callback_data=pack(PREFIX, area.id, period.key, fmt)
        )
        for fmt in exports.FORMATS
    ]
    await message.reply_text(
        t(
            lang,
            "export.choose_format",
            first=f"{period.first:%Y-%m-%d}",
            last=f"{period.last:%Y-%m-%d}",
        ),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


def viewer_of(admin: Member) -> exports.Viewer:
    """What ``admin`` may see in an export (as on their cards)."""
    return exports.Viewer(
        area_id=admin.area_id,
        id_path=admin.area_id_path,
        is_community_admin=admin.role == Role.COMMUNITY_ADMIN,
    )


async def send_export(
    message: Message, context: GridContext, admin: Member, area: Area, period: Period, fmt: str
) -> None:
    """Write the export in a thread and send its file(s); say so if there is nothing."""
    runtime = context.runtime
    lang = admin.language
    since, until = period.bounds(runtime.config.tz)
    first, last = f"{period.first:%Y-%m-%d}", f"{period.last:%Y-%m-%d}"
    with tempfile.TemporaryDirectory(prefix="gridbot-export-") as folder:
        request = exports.ExportRequest(
            db_path=runtime.db.path,
            area_path=area.id_path,
            area_name=area.name,
            since=since,
            until=until,
            fmt=fmt,
            lang=lang,
            tz=runtime.config.tz,
            viewer=viewer_of(admin),
            folder=Path(folder),
            stem=exports.file_stem(area.name, first, last),
        )
        try:
            result = await asyncio.to_thread(exports.write_export, request)
        except exports.NothingToExport:
            await message.reply_text(
                t(lang, "export.empty", area=area.path, first=first, last=last)
            )
            return
        what = t(
            lang,
            "export.counts",
            cases=result.rows.get("cases", 0),
            members=result.rows.get("members", 0),
        )
        for index, path in enumerate(result.files, 1):
            if len(result.files) == 1:
                caption = t(
                    lang, "export.caption", area=area.name, first=first, last=last, what=what
                )
            else:
                caption = t(
                    lang,
                    "export.caption_part",
                    area=area.name,
                    first=first,
                    last=last,
                    part=index,
                    parts=len(result.files),
                )
            with path.open("rb") as handle:
                await message.reply_document(handle, filename=path.name, caption=caption)


async def button(update: Update, context: GridContext) -> None:
    """A period button (then the formats are offered) or a format button (then the file)."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return
    query, admin = pressed
    runtime = context.runtime
    lang = admin.language
    try:
        try:
            area_text, key, fmt = unpack(query.data, PREFIX, 3)
        except BadCallback:
            area_text, key = unpack(query.data, PREFIX, 2)
            fmt = ""
        if fmt and fmt not in exports.FORMATS:
            raise BadCallback(fmt)
        area = await area_service.get(runtime.db, number(area_text))
        if area is None:
            raise BadCallback(area_text)
        period = stats.parse_key(key, stats.today(runtime.clock, runtime.config.tz))
    except (BadCallback, PeriodError):
        await answer_stale(query, lang)
        return
    try:
        stats.check_scope(admin, area)
    except ScopeError as error:
        await query.answer(
            t(lang, keys.STATS_SCOPE(error.reason), area=admin.area_path), show_alert=True
        )
        return
    assert isinstance(query.message, Message)
    if not fmt:
        await query.answer()
        await ask_format(query.message, lang, area, period)
        return
    await query.answer(t(lang, "export.working"))
    await send_export(query.message, context, admin, area, period, fmt)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/export and its buttons (typed periods are taken by handlers/stats.py)."""
    return [
        CommandHandler("export", show, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(button, pattern=pattern(PREFIX)),
    ]
