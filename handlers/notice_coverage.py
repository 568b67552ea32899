"""A notice's coverage: area by area down the grid, who has not confirmed, and a CSV
export (``ntv:<notice>:<area>|csv``; ``ntv:list`` goes back to the list of notices)."""

from __future__ import annotations

import csv
import io
from typing import Any

from telegram import InputFile, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
)

from bot.i18n import t
from bot.runtime import Runtime
from bot.services import notices as service
from bot.services.notices import NoticeError
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button
from handlers.common.callbacks import BadCallback, answer_stale, number, pack, pattern, unpack
from handlers.common.context import GridContext
from handlers.messages.notices import (
    VIEW,
    coverage_view,
    list_view,
    local_when,
)


async def view_button(update: Update, context: GridContext) -> None:
    """A notice's coverage in one area, the CSV export, or back to the list."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return
    query, admin = pressed
    lang = admin.language
    runtime = context.runtime
    try:
        if query.data == pack(VIEW, "list"):
            await query.answer()
            text, markup = await list_view(runtime, admin)
            await query.edit_message_text(text, reply_markup=markup)
            return
        notice_text_id, what = unpack(query.data, VIEW, 2)
        notice_id = number(notice_text_id)
        area_id = None if what == "csv" else number(what) or None
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if what == "csv":
            notice, rows = await service.export(runtime.db.reader, admin, notice_id)
            await query.answer()
            chat = update.effective_chat
            assert chat is not None
            await context.bot.send_document(
                chat.id,
                InputFile(_csv(lang, runtime, rows), filename=f"notice-{notice.id}.csv"),
                caption=t(lang, "notices.export_caption", title=notice.title, n=len(rows)),
            )
            return
        covered = await service.coverage(runtime.db, admin, notice_id, area_id)
    except NoticeError as error:
        await query.answer(t(lang, error.code, **error.values), show_alert=True)
        return
    await query.answer()
    text, markup = coverage_view(runtime, lang, covered)
    await query.edit_message_text(text, reply_markup=markup)


def _csv(lang: str, runtime: Runtime, rows: list[service.ExportRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(lang, keys.NOTICE_CSV(c)) for c in service.EXPORT_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                row.area_path,
                row.name,
                t(lang, keys.ROLE(row.role)),
                row.work_id,
                t(lang, keys.NOTICE_CSV_STATE(row.state)),
                local_when(runtime, row.read_at),
                local_when(runtime, row.relayed_at),
                "" if row.households is None else row.households,
            ]
        )
    # With a byte-order mark, Excel opens the Chinese names right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The coverage pages' buttons."""
    return [CallbackQueryHandler(view_button, pattern=pattern(VIEW))]
