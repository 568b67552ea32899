"""/notice: an admin sends a notice down the grid, follows its progress and its coverage.

``/notice`` (or 📣 发布通知) lists the admin's recent notices with their coverage and a
button to write a new one. Writing is a conversation (notice.mmd): the title, the
text, attachments (photos, one PDF or Word file, one voice message), the areas (by
buttons down the tree, or typed names), the roles, whether 已传达 is asked and a
deadline, then a preview with the recipient count and 发送 / 修改 / 放弃. Over
``notices.confirm_above`` recipients 发送 asks once more.

After sending, the admin's progress message is edited in place by the notices sweep
(``▓▓▓▓░░░░ 52% · 4,310 / 8,290 · 约2分钟``) with 暂停 / 继续 / 撤回. Recipients get the
notice from the outbox (RENDERERS) with ✅ 已传达 (leaders then tap about how many
households) or 👌 已读. Buttons: ``ntn`` (write a new one), ``ntc:<flow>:...``
(composing), ``ntr:<notice>:ok|read|h:<n>`` (recipients), ``ntp:<notice>:...``
(progress), ``ntv:<notice>:<area>|csv`` and ``ntv:list`` (coverage).
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Html, escape, t
from bot.runtime import Runtime
from bot.services import areas
from bot.services import notices as service
from bot.services.areas import Area, AreaAmbiguous, AreaNotFound
from bot.services.duties import HOUSEHOLDS
from bot.services.grid import is_leader
from bot.services.members import Member
from bot.services.my_cases import local_time
from bot.services.notices import Counts, Draft, Notice, NoticeError, Progress
from bot.telegram.outgoing import OutboxRow, Outgoing, Renderer
from handlers.common.access import require_admin, require_button, require_member, require_text
from handlers.common.area_picker import area_keyboard, candidates_keyboard
from handlers.common.callbacks import BadCallback, answer_stale, number, pack, pattern, unpack
from handlers.common.context import GridContext
from handlers.common.conversation import cancel_drop, explain
from handlers.common.flows import flow_conversation
from handlers.common.menu import any_label, label_filter

log = logging.getLogger(__name__)

TITLE, BODY, ATTACH, AREAS, ROLES, OPTIONS, PREVIEW = range(7)
DRAFT = "notice"
NEW = "ntn"  # the 写新通知 button
COMPOSE = "ntc"
RECEIVE = "ntr"
CONTROL = "ntp"
VIEW = "ntv"
# What the coverage page may hold: Telegram's 4096, less room for the lines around it.
PAGE_BUDGET = 3500
CHILD_BUTTONS = 20
BAR_CELLS = 8


# ---------------------------------------------------------------------- texts


def _when(runtime: Runtime, at: str | None) -> str:
    return "" if at is None else local_time(at, runtime.config.tz)


def _count(n: int) -> str:
    return f"{n:,}"


async def notice_text(runtime: Runtime, lang: str, notice: Notice | Draft, author: Member) -> str:
    """The notice as a recipient reads it (the preview shows the same)."""
    if isinstance(notice, Notice):
        confirm, deadline = notice.confirm, notice.deadline_at
    else:
        confirm = notice.confirm
        deadline = (
            None
            if not notice.deadline_days
            else service.deadline_from(runtime.clock, notice.deadline_days)
        )
    if not confirm:
        ask = t(lang, "notices.ask_read")
    elif deadline:
        ask = t(lang, "notices.ask_relay_by", deadline=_when(runtime, deadline))
    else:
        ask = t(lang, "notices.ask_relay")
    area = author.area_path.rsplit("/", 1)[-1]
    return t(
        lang,
        "notices.card",
        title=notice.title,
        body=notice.body,
        sender=t(lang, "notices.sender", area=area, name=author.name),
        ask=Html(ask),
    )


def _answer_buttons(lang: str, notice: Notice) -> InlineKeyboardMarkup:
    key, action = ("notices.btn_relayed", "ok") if notice.confirm else ("notices.btn_read", "read")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, key), callback_data=pack(RECEIVE, notice.id, action))]]
    )


def _households_buttons(lang: str, notice_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            t(lang, "outreach.households", n=n), callback_data=pack(RECEIVE, notice_id, "h", n)
        )
        for n in HOUSEHOLDS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def _bar(done: int, total: int) -> str:
    share = done / total if total else 1.0
    cells = min(BAR_CELLS, int(share * BAR_CELLS))
    return "▓" * cells + "░" * (BAR_CELLS - cells)


def _eta(lang: str, seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return t(lang, "notices.eta_seconds", n=seconds)
    return t(lang, "notices.eta_minutes", n=-(-seconds // 60))


def progress_view(lang: str, progress: Progress) -> tuple[str, InlineKeyboardMarkup | None, bool]:
    """The sender's progress message: text, buttons, and whether it is final."""
    notice, counts = progress.notice, progress.counts
    done = counts.done
    pct = int(done * 100 / counts.total) if counts.total else 100
    line = t(
        lang,
        "notices.progress_line",
        bar=_bar(done, counts.total),
        pct=pct,
        done=_count(done),
        total=_count(counts.total),
        eta=_eta(lang, progress.seconds_left),
    ).rstrip(" ·")
    final = False
    rows: list[list[InlineKeyboardButton]] = []
    if notice.status == "sending":
        state = t(lang, "notices.state_sending")
        rows.append(
            [_control(lang, notice.id, "pause"), _control(lang, notice.id, "recall")],
        )
    elif notice.status == "paused":
        state = t(lang, "notices.state_paused")
        rows.append([_control(lang, notice.id, "resume"), _control(lang, notice.id, "recall")])
    elif notice.status == "done":
        state = t(lang, "notices.state_done")
        rows.append([_view_button(lang, notice.id), _control(lang, notice.id, "recall")])
        final = True
    else:
        state = t(
            lang,
            "notices.state_recalled",
            stopped=_count(counts.total - counts.sent - counts.failed),
            deleted=_count(progress.deleted),
            sent=_count(counts.sent),
        )
        final = progress.deleted >= counts.sent
    text = t(
        lang,
        "notices.progress",
        title=notice.title,
        line=line,
        failed=_count(counts.failed),
        state=Html(state),
    )
    return text, InlineKeyboardMarkup(rows) if rows else None, final


def _control(lang: str, notice_id: int, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t(lang, f"notices.btn_{action}"), callback_data=pack(CONTROL, notice_id, action)
    )


def _view_button(lang: str, notice_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t(lang, "notices.btn_coverage"), callback_data=pack(VIEW, notice_id, 0)
    )


def _coverage_line(lang: str, counts: Counts, confirm: bool) -> str:
    return t(
        lang,
        "notices.coverage_counts" if confirm else "notices.coverage_counts_read",
        sent=_count(counts.sent),
        total=_count(counts.total),
        read=_count(counts.read),
        relayed=_count(counts.relayed),
        households=_count(counts.households),
        failed=_count(counts.failed),
    )


# ---------------------------------------------------------------------- renderers


# What a notice looks like in each language, made once per notice: a broadcast renders
# the same notice thousands of times, and only its status may change meanwhile.
_RENDERED: dict[tuple[str, int, str, str], Outgoing] = {}
_RENDERED_MAX = 64


async def render_notice(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The notice to one recipient; None while it is paused or once recalled."""
    notice_id = int(row.payload["notice_id"])
    found = await service.status_of(runtime.db, notice_id)
    if found is None or found[0] in ("paused", "recalled"):
        return None  # cancelled: a resume hands it out again, a recall never
    key = (runtime.config.database.path, notice_id, found[1], lang)
    made = _RENDERED.get(key)
    if made is not None:
        return made
    notice = await service.get(runtime.db, notice_id)
    author = None if notice is None else await service.author_of(runtime.db, notice)
    if notice is None or author is None:
        return None
    made = Outgoing(
        text=await notice_text(runtime, lang, notice, author),
        reply_markup=_answer_buttons(lang, notice),
        photos=notice.photos,
        document=notice.document_id,
        voice=notice.voice_id,
        paid_broadcast=runtime.config.notices.paid_broadcast,
    )
    if len(_RENDERED) >= _RENDERED_MAX:
        _RENDERED.clear()
    _RENDERED[key] = made
    return made


async def render_reminder(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The reminder before the deadline; None if the member confirmed meanwhile."""
    notice = await service.get(runtime.db, int(row.payload["notice_id"]))
    if notice is None or notice.status == "recalled" or row.member_id is None:
        return None
    got = await service.delivery_of(runtime.db, notice.id, row.member_id)
    author = await service.author_of(runtime.db, notice)
    if got is None or got.relayed_at is not None or author is None:
        return None
    text = t(
        lang,
        "notices.reminder",
        deadline=_when(runtime, notice.deadline_at),
        card=Html(await notice_text(runtime, lang, notice, author)),
    )
    return Outgoing(text=text, reply_markup=_answer_buttons(lang, notice))


async def render_unconfirmed(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The author's list of who has not confirmed, before the deadline."""
    notice = await service.get(runtime.db, int(row.payload["notice_id"]))
    if notice is None or notice.status == "recalled":
        return None
    people, total = await service.unconfirmed_names(runtime.db, notice.id, 200)
    text = t(
        lang,
        "notices.unconfirmed",
        title=notice.title,
        deadline=_when(runtime, notice.deadline_at),
        n=_count(total),
        names=Html(_names(lang, people, total, PAGE_BUDGET - 300)),
    )
    return Outgoing(text=text, reply_markup=InlineKeyboardMarkup([[_view_button(lang, notice.id)]]))


RENDERERS: dict[str, Renderer] = {
    service.NOTICE: render_notice,
    service.NOTICE_REMINDER: render_reminder,
    service.NOTICE_UNCONFIRMED: render_unconfirmed,
}


def _names(lang: str, people: list[tuple[str, str]], total: int, budget: int) -> str:
    """'name（area）、…' within ``budget`` characters, with how many more."""
    shown: list[str] = []
    used = 0
    for name, area in people:
        item = t(lang, "notices.person", name=name, area=area)
        if used + len(item) > budget:
            break
        shown.append(item)
        used += len(item) + 1
    text = t(lang, "notices.list_sep").join(shown) or "-"
    if total > len(shown):
        text += t(lang, "notices.and_more", n=_count(total - len(shown)))
    return text


# ---------------------------------------------------------------------- the list


async def show_list(update: Update, context: GridContext) -> None:
    """/notice and 📣 发布通知: recent notices with coverage, and 写新通知."""
    admin = await require_admin(update, context)
    message = update.effective_message
    if admin is None or message is None:
        return
    text, markup = await _list_view(context.runtime, admin)
    await message.reply_text(text, reply_markup=markup)


async def _list_view(runtime: Runtime, admin: Member) -> tuple[str, InlineKeyboardMarkup]:
    lang = admin.language
    recent = await service.recent(runtime.db, admin)
    lines = [t(lang, "notices.list_title")]
    rows: list[list[InlineKeyboardButton]] = []
    for number_, item in enumerate(recent, start=1):
        notice = item.notice
        lines.append(
            t(
                lang,
                "notices.list_item",
                n=number_,
                title=notice.title,
                when=_when(runtime, notice.created_at),
                state=t(lang, f"notices.status.{notice.status}"),
                counts=_coverage_line(lang, item.counts, notice.confirm),
            )
        )
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "notices.btn_open", n=number_, title=notice.title[:20]),
                    callback_data=pack(VIEW, notice.id, 0),
                )
            ]
        )
    if not recent:
        lines.append(t(lang, "notices.list_empty"))
    rows.append([InlineKeyboardButton(t(lang, "notices.btn_new"), callback_data=NEW)])
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


# ---------------------------------------------------------------------- composing


def _draft(context: GridContext, flow: str | None = None) -> dict[str, Any] | None:
    draft = context.store.get(DRAFT)
    if isinstance(draft, dict) and (flow is None or draft.get("flow") == flow):
        return draft
    return None


def _as_draft(data: dict[str, Any]) -> Draft:
    document = data.get("document") or [None, None]
    return Draft(
        key=data["flow"],
        title=data.get("title", ""),
        body=data.get("body", ""),
        photos=tuple(data.get("photos", [])),
        document_id=document[0],
        document_name=document[1],
        voice_id=data.get("voice"),
        targets=tuple(data.get("targets", [])),
        roles=tuple(data.get("roles", [])),
        confirm=bool(data.get("confirm", True)),
        deadline_days=int(data.get("deadline", 0)),
    )


def _btn(
    lang: str, key: str, flow: str, *parts: str | int, **values: object
) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(lang, key, **values), callback_data=pack(COMPOSE, flow, *parts))


async def begin(update: Update, context: GridContext) -> int:
    """写新通知: start a draft and ask for the title."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return ConversationHandler.END
    query, admin = pressed
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)  # one draft per press
    flow = service.new_key()
    context.store[DRAFT] = {
        "flow": flow,
        "photos": [],
        "targets": [],
        "roles": [r for r in service.role_choices(admin) if r != service.ADMINS_BELOW],
        "confirm": True,
        "deadline": 0,
    }
    await _reply(update, t(admin.language, "notices.ask_title", max=service.TITLE_MAX))
    return TITLE


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    message = update.effective_message
    assert message is not None
    chat = update.effective_chat
    assert chat is not None
    return await message.get_bot().send_message(chat.id, text, reply_markup=markup)


async def title_typed(update: Update, context: GridContext) -> int:
    """The title: checked, kept; then the text (or back to the preview)."""
    got = await require_text(update, context, require_admin)
    draft = _draft(context)
    if got is None or draft is None:
        return ConversationHandler.END
    message, typed, admin = got
    try:
        draft["title"] = service.check_title(typed)
    except NoticeError as error:
        await message.reply_text(t(admin.language, error.code, **error.values))
        return TITLE
    if draft.get("editing"):
        return await _preview(update, context, admin, draft)
    await message.reply_text(t(admin.language, "notices.ask_body", max=service.BODY_MAX))
    return BODY


async def body_typed(update: Update, context: GridContext) -> int:
    """The text: checked (not empty, at most 3000 characters), kept; then attachments."""
    got = await require_text(update, context, require_admin)
    draft = _draft(context)
    if got is None or draft is None:
        return ConversationHandler.END
    message, typed, admin = got
    try:
        draft["body"] = service.check_body(typed)
    except NoticeError as error:
        await message.reply_text(t(admin.language, error.code, **error.values))
        return BODY
    if draft.get("editing"):
        return await _preview(update, context, admin, draft)
    await _ask_attachments(update, admin, draft)
    return ATTACH


async def body_not_text(update: Update, context: GridContext) -> int:
    """Something other than text where the text is asked: say so, ask again."""
    admin = await require_admin(update, context)
    if admin is None:
        return ConversationHandler.END
    await _reply(update, t(admin.language, "notices.error.empty_body"))
    return BODY


def _attachments(lang: str, draft: dict[str, Any]) -> str:
    parts = []
    if draft.get("photos"):
        parts.append(t(lang, "notices.att_photos", n=len(draft["photos"])))
    if draft.get("document"):
        parts.append(t(lang, "notices.att_document", name=draft["document"][1]))
    if draft.get("voice"):
        parts.append(t(lang, "notices.att_voice"))
    return t(lang, "notices.list_sep").join(parts) or t(lang, "notices.att_none")


async def _ask_attachments(update: Update, admin: Member, draft: dict[str, Any]) -> None:
    lang = admin.language
    flow = draft["flow"]
    rows = [[_btn(lang, "notices.btn_next", flow, "att_done")]]
    if draft.get("photos") or draft.get("document") or draft.get("voice"):
        rows.append([_btn(lang, "notices.btn_clear_attachments", flow, "att_clear")])
    await _reply(
        update,
        t(lang, "notices.ask_attachments", have=_attachments(lang, draft), max=service.MAX_PHOTOS),
        InlineKeyboardMarkup(rows),
    )


async def attachment(update: Update, context: GridContext) -> int:
    """A photo, a document or a voice message for the notice."""
    admin = await require_admin(update, context)
    draft = _draft(context)
    message = update.effective_message
    if admin is None or draft is None or message is None:
        return ConversationHandler.END
    lang = admin.language
    notes: list[str] = []
    if message.photo:
        if len(draft["photos"]) >= service.MAX_PHOTOS:
            notes.append(t(lang, "notices.error.too_many_photos", max=service.MAX_PHOTOS))
        else:
            draft["photos"].append(message.photo[-1].file_id)
    elif message.document is not None:
        try:
            name = service.check_document(message.document.file_name, message.document.file_size)
        except NoticeError as error:
            await message.reply_text(t(lang, error.code, **error.values))
            return ATTACH
        if draft.get("document"):
            notes.append(t(lang, "notices.document_replaced"))
        draft["document"] = [message.document.file_id, name]
    elif message.voice is not None:
        if draft.get("voice"):
            notes.append(t(lang, "notices.voice_replaced"))
        draft["voice"] = message.voice.file_id
    if message.caption:
        # The words typed with a photo or file belong to the text: added at its end.
        try:
            draft["body"] = service.check_body(f"{draft['body']}\n{message.caption}")
            notes.append(t(lang, "notices.caption_added"))
        except NoticeError as error:
            notes.append(t(lang, "notices.error.caption_too_long", **error.values))
    for note in notes:
        await message.reply_text(note)
    await _ask_attachments(update, admin, draft)
    return ATTACH


async def attach_text(update: Update, context: GridContext) -> int:
    """Text where attachments are asked: say what this step takes."""
    admin = await require_admin(update, context)
    draft = _draft(context)
    if admin is None or draft is None:
        return ConversationHandler.END
    await _reply(update, t(admin.language, "notices.attach_hint"))
    await _ask_attachments(update, admin, draft)
    return ATTACH


async def _home(context: GridContext, admin: Member) -> Area:
    home = await areas.get(context.runtime.db, admin.area_id)
    assert home is not None
    return home


async def _chosen_text(context: GridContext, lang: str, draft: dict[str, Any]) -> str:
    """The chosen areas, one a line, within a budget (they share a message with more)."""
    targets = draft.get("targets", [])
    shown: list[str] = []
    used = 0
    for area_id in targets:
        area = await areas.get(context.runtime.db, area_id)
        if area is None:
            continue
        if used + len(area.path) > 600:
            shown.append(t(lang, "notices.more_chosen", n=len(targets)))
            break
        shown.append(f"• {escape(area.path)}")
        used += len(area.path) + 3
    return "\n".join(shown) or t(lang, "notices.none_chosen")


async def _show_areas(
    update: Update,
    context: GridContext,
    admin: Member,
    draft: dict[str, Any],
    current: Area,
    page: int,
    *,
    edit: bool,
) -> None:
    lang = admin.language
    home = await _home(context, admin)
    chosen = set(draft.get("targets", []))
    keyboard = area_keyboard(
        prefix=COMPOSE,
        flow=draft["flow"],
        lang=lang,
        current=current,
        top=home,
        children=await areas.children_with_counts(context.runtime.db, current.id),
        page=page,
        fits=lambda area: area.depth <= 3 and home.contains(area),
        leads_to_fit=lambda area: area.depth < 3,
    )
    # Chosen areas are marked ☑; pressing one again takes it out.
    rows = [
        [
            InlineKeyboardButton(
                ("☑ " if _picked_id(b.callback_data, chosen) is not None else "") + b.text,
                callback_data=b.callback_data,
            )
            for b in row
        ]
        for row in keyboard.inline_keyboard
    ]
    rows.append([_btn(lang, "notices.btn_areas_done", draft["flow"], "areas_done")])
    text = t(
        lang,
        "notices.choose_areas",
        path=current.path,
        chosen=Html(await _chosen_text(context, lang, draft)),
    )
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    else:
        await _reply(update, text, InlineKeyboardMarkup(rows))


def _picked_id(data: object, chosen: set[int]) -> int | None:
    """The area id of a pick button if that area is chosen (to mark it ☑)."""
    if not isinstance(data, str) or ":pick:" not in data:
        return None
    tail = data.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() and int(tail) in chosen else None


async def _stale_compose(query: Any, context: GridContext, lang: str, flow: str | None) -> None:
    """A compose button of a draft that is gone: sent already, or simply old."""
    if flow and await service.by_draft_key(context.runtime.db, flow) is not None:
        await query.answer(t(lang, "notices.already_sent"), show_alert=True)
    else:
        await answer_stale(query, lang)


async def compose_button(update: Update, context: GridContext) -> int | None:
    """Every button of the compose flow, by its action."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return ConversationHandler.END
    query, admin = pressed
    lang = admin.language
    parts = (query.data or "").split(":")
    flow = parts[1] if len(parts) > 2 else None
    draft = _draft(context, flow) if flow else None
    if draft is None:
        await _stale_compose(query, context, lang, flow)
        return None
    action, args = parts[2], parts[3:]
    try:
        handler = _ACTIONS[action]
    except KeyError:
        await answer_stale(query, lang)
        return None
    try:
        return await handler(update, context, admin, draft, args)
    except BadCallback:
        await answer_stale(query, lang)
        return None


async def _att_done(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    if draft.get("editing"):
        return await _preview(update, context, admin, draft)
    home = await _home(context, admin)
    await _show_areas(update, context, admin, draft, home, 0, edit=False)
    return AREAS


async def _att_clear(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer(t(admin.language, "notices.attachments_cleared"))
    draft.update(photos=[], document=None, voice=None)
    await query.edit_message_reply_markup(reply_markup=None)
    await _ask_attachments(update, admin, draft)
    return ATTACH


async def _area_open(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    if len(args) != 2:
        raise BadCallback(query.data)
    area = await areas.get(context.runtime.db, number(args[0]))
    home = await _home(context, admin)
    if area is None or not home.contains(area):
        raise BadCallback(query.data)
    await query.answer()
    await _show_areas(update, context, admin, draft, area, number(args[1]), edit=True)
    return AREAS


async def _area_pick(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    if len(args) != 1:
        raise BadCallback(query.data)
    try:
        area = await service.check_target(context.runtime.db, admin, number(args[0]))
    except NoticeError as error:
        await query.answer(t(admin.language, error.code, **error.values), show_alert=True)
        return AREAS
    targets: list[int] = draft.setdefault("targets", [])
    if area.id in targets:
        targets.remove(area.id)
    else:
        targets.append(area.id)
    await query.answer()
    parent = area if area.parent_id is None else await areas.get(context.runtime.db, area.parent_id)
    home = await _home(context, admin)
    shown = area if area.id == home.id or parent is None or not home.contains(parent) else parent
    await _show_areas(update, context, admin, draft, shown, 0, edit=True)
    return AREAS


async def area_typed(update: Update, context: GridContext) -> int:
    """A typed area name: chosen if it is one inside the admin's area, else candidates."""
    got = await require_text(update, context, require_admin)
    draft = _draft(context)
    if got is None or draft is None:
        return ConversationHandler.END
    message, typed, admin = got
    lang = admin.language
    db = context.runtime.db
    home = await _home(context, admin)
    text = typed[:200]
    try:
        anywhere = await areas.resolve(db, text)
    except (AreaAmbiguous, AreaNotFound):
        anywhere = None
    if anywhere is not None and not home.contains(anywhere):
        await message.reply_text(t(lang, "notices.error.area_outside", path=anywhere.path))
        return AREAS
    try:
        area = await areas.resolve(db, text, within=home)
    except (AreaAmbiguous, AreaNotFound) as error:
        if error.candidates:
            await message.reply_text(
                t(lang, "notices.area_candidates", text=text),
                reply_markup=candidates_keyboard(
                    prefix=COMPOSE,
                    flow=draft["flow"],
                    candidates=error.candidates,
                    fits=lambda a: a.depth <= 3,
                ),
            )
        else:
            await message.reply_text(t(lang, "notices.area_unknown", text=text))
        return AREAS
    targets: list[int] = draft.setdefault("targets", [])
    if area.id not in targets:
        targets.append(area.id)
    await _show_areas(update, context, admin, draft, home, 0, edit=False)
    return AREAS


async def _areas_done(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    if not draft.get("targets"):
        await query.answer(t(admin.language, "notices.error.no_areas"), show_alert=True)
        return AREAS
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    if draft.get("editing"):
        return await _preview(update, context, admin, draft)
    await _show_roles(update, admin, draft, edit=False)
    return ROLES


async def _show_roles(update: Update, admin: Member, draft: dict[str, Any], *, edit: bool) -> None:
    lang = admin.language
    chosen = set(draft.get("roles", []))
    buttons = [
        _btn(
            lang,
            "notices.role_on" if role in chosen else "notices.role_off",
            draft["flow"],
            "role",
            role,
            role=t(lang, f"notices.role.{role}"),
        )
        for role in service.role_choices(admin)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_btn(lang, "notices.btn_next", draft["flow"], "roles_done")])
    text = t(lang, "notices.choose_roles")
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    else:
        await _reply(update, text, InlineKeyboardMarkup(rows))


async def _role(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    if len(args) != 1 or args[0] not in service.role_choices(admin):
        raise BadCallback(query.data)
    roles: list[str] = draft.setdefault("roles", [])
    if args[0] in roles:
        roles.remove(args[0])
    else:
        roles.append(args[0])
    await query.answer()
    await _show_roles(update, admin, draft, edit=True)
    return ROLES


async def _roles_done(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    if not draft.get("roles"):
        await query.answer(t(admin.language, "notices.error.no_roles"), show_alert=True)
        return ROLES
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    if draft.get("editing"):
        return await _preview(update, context, admin, draft)
    await _show_options(update, admin, draft, edit=False)
    return OPTIONS


async def _show_options(
    update: Update, admin: Member, draft: dict[str, Any], *, edit: bool
) -> None:
    lang = admin.language
    flow = draft["flow"]
    confirm_key = "notices.confirm_on" if draft.get("confirm", True) else "notices.confirm_off"
    deadline_buttons = [
        _btn(
            lang,
            "notices.deadline_on" if draft.get("deadline", 0) == days else "notices.deadline_off",
            flow,
            "deadline",
            days,
            label=t(lang, f"notices.deadline.{days}"),
        )
        for days in service.DEADLINE_DAYS
    ]
    rows = [
        [_btn(lang, confirm_key, flow, "confirm")],
        deadline_buttons,
        [_btn(lang, "notices.btn_preview", flow, "preview")],
    ]
    text = t(lang, "notices.choose_options")
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    else:
        await _reply(update, text, InlineKeyboardMarkup(rows))


async def _confirm(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    draft["confirm"] = not draft.get("confirm", True)
    await query.answer()
    await _show_options(update, admin, draft, edit=True)
    return OPTIONS


async def _deadline(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    if len(args) != 1 or number(args[0]) not in service.DEADLINE_DAYS:
        raise BadCallback(query.data)
    draft["deadline"] = number(args[0])
    await query.answer()
    await _show_options(update, admin, draft, edit=True)
    return OPTIONS


async def _to_preview(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    return await _preview(update, context, admin, draft)


async def _preview(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any]
) -> int:
    lang = admin.language
    runtime = context.runtime
    draft["editing"] = False
    flow = draft["flow"]
    try:
        count = await service.count_recipients(
            runtime.db, admin, tuple(draft.get("targets", [])), tuple(draft.get("roles", []))
        )
    except NoticeError as error:
        await _reply(update, t(lang, error.code, **error.values))
        count = 0
    card = await notice_text(runtime, lang, _as_draft(draft), admin)
    rows: list[list[InlineKeyboardButton]] = []
    if count:
        footer = t(lang, "notices.preview_count", n=_count(count))
        rows.append([_btn(lang, "notices.btn_send", flow, "send")])
    else:
        footer = t(lang, "notices.preview_nobody")
    rows.append(
        [
            _btn(lang, "notices.btn_edit", flow, "edit"),
            _btn(lang, "notices.btn_discard", flow, "discard"),
        ]
    )
    text = t(
        lang,
        "notices.preview",
        card=Html(card),
        attachments=_attachments(lang, draft),
        areas=Html(await _chosen_text(context, lang, draft)),
        roles=t(lang, "notices.list_sep").join(
            t(lang, f"notices.role.{r}") for r in draft.get("roles", [])
        ),
        footer=Html(footer),
    )
    await _reply(update, text, InlineKeyboardMarkup(rows))
    return PREVIEW


async def _send(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    lang = admin.language
    runtime = context.runtime
    big = args == ["yes"]
    if not big:
        count = await service.count_recipients(
            runtime.db, admin, tuple(draft.get("targets", [])), tuple(draft.get("roles", []))
        )
        if count > runtime.config.notices.confirm_above:
            await query.answer()
            await query.edit_message_reply_markup(
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            _btn(
                                lang,
                                "notices.btn_send_big",
                                draft["flow"],
                                "send",
                                "yes",
                                n=_count(count),
                            )
                        ],
                        [_btn(lang, "notices.btn_back", draft["flow"], "preview")],
                    ]
                )
            )
            await _reply(update, t(lang, "notices.confirm_big", n=_count(count)))
            return PREVIEW
    try:
        sent = await service.send(
            runtime.db,
            runtime.clock,
            admin,
            _as_draft(draft),
            rate=service.rate_of(runtime.config.notices.paid_broadcast),
        )
    except NoticeError as error:
        await query.answer(t(lang, error.code, **error.values), show_alert=True)
        return PREVIEW
    context.store.pop(DRAFT, None)
    if not sent.created:
        await query.answer(t(lang, "notices.already_sent"), show_alert=True)
        return ConversationHandler.END
    await query.answer(t(lang, "notices.sent_toast"))
    await query.edit_message_reply_markup(reply_markup=None)
    # The acknowledgement: the progress message, edited in place from now on.
    await refresh_progress(context.bot, runtime, sent.notice.id)
    delivery = context.application.delivery  # type: ignore[attr-defined]
    if delivery is not None:
        delivery.kick()
    return ConversationHandler.END


async def _edit(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    lang = admin.language
    flow = draft["flow"]
    if not args:
        await query.answer()
        fields = ("title", "body", "attachments", "areas", "roles", "options")
        buttons = [_btn(lang, f"notices.edit.{f}", flow, "edit", f) for f in fields]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        rows.append([_btn(lang, "notices.btn_back", flow, "preview")])
        await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(rows))
        return PREVIEW
    field = args[0]
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    draft["editing"] = True
    if field == "title":
        await _reply(update, t(lang, "notices.ask_title", max=service.TITLE_MAX))
        return TITLE
    if field == "body":
        await _reply(update, t(lang, "notices.ask_body", max=service.BODY_MAX))
        return BODY
    if field == "attachments":
        await _ask_attachments(update, admin, draft)
        return ATTACH
    if field == "areas":
        await _show_areas(update, context, admin, draft, await _home(context, admin), 0, edit=False)
        return AREAS
    if field == "roles":
        await _show_roles(update, admin, draft, edit=False)
        return ROLES
    if field == "options":
        await _show_options(update, admin, draft, edit=False)
        return OPTIONS
    raise BadCallback(query.data)


async def _discard(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    context.store.pop(DRAFT, None)
    await query.edit_message_reply_markup(reply_markup=None)
    await _reply(update, t(admin.language, "notices.discarded"))
    return ConversationHandler.END


_ACTIONS = {
    "att_done": _att_done,
    "att_clear": _att_clear,
    "open": _area_open,
    "pick": _area_pick,
    "areas_done": _areas_done,
    "role": _role,
    "roles_done": _roles_done,
    "confirm": _confirm,
    "deadline": _deadline,
    "preview": _to_preview,
    "send": _send,
    "edit": _edit,
    "discard": _discard,
}


async def stale_compose_button(update: Update, context: GridContext) -> None:
    """A compose button outside the flow: 发送 pressed again, or an old message's button."""
    query = update.callback_query
    assert query is not None
    lang = await context.lang(update)
    parts = (query.data or "").split(":")
    await _stale_compose(query, context, lang, parts[1] if len(parts) > 2 else None)


# ---------------------------------------------------------------------- receiving


async def _answered_text(runtime: Runtime, lang: str, notice: Notice, footer: str) -> str | None:
    author = await service.author_of(runtime.db, notice)
    if author is None:
        return None
    return f"{await notice_text(runtime, lang, notice, author)}\n\n{footer}"


async def receive_button(update: Update, context: GridContext) -> None:
    """✅ 已传达, a household count, or 👌 已读, from someone the notice reached."""
    pressed = await require_button(update, context, require_member)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    parts = (query.data or "").split(":")
    try:
        if len(parts) == 4:
            notice_text_id, action, count = unpack(query.data, RECEIVE, 3)
            households = number(count)
            if action != "h" or households not in HOUSEHOLDS:
                raise BadCallback(query.data)
        else:
            notice_text_id, action = unpack(query.data, RECEIVE, 2)
            households = 0
            if action not in ("ok", "read"):
                raise BadCallback(query.data)
        notice_id = number(notice_text_id)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        if action == "read":
            answer = await service.mark_read(runtime.db, runtime.clock, member, notice_id)
            footer = t(lang, "notices.read_done", time=_when(runtime, answer.delivery.read_at))
            markup = None
        elif action == "ok":
            answer = await service.relay(runtime.db, runtime.clock, member, notice_id)
            when_ = _when(runtime, answer.delivery.relayed_at)
            if is_leader(member.role) and answer.delivery.outreach_id is None:
                footer = t(lang, "notices.relayed_ask_households", time=when_)
                markup = _households_buttons(lang, notice_id)
            else:
                footer = t(lang, "notices.relayed_done", time=when_)
                markup = None
        else:
            answer = await service.households(
                runtime.db, runtime.clock, member, notice_id, households
            )
            if not answer.created:
                await query.answer(t(lang, "notices.already_answered"), show_alert=True)
                return
            footer = t(
                lang,
                "notices.households_done",
                n=households,
                time=_when(runtime, answer.delivery.relayed_at),
            )
            markup = None
    except NoticeError as error:
        await query.answer(t(lang, error.code, **error.values), show_alert=True)
        return
    await query.answer(t(lang, "notices.thanks"))
    text = await _answered_text(runtime, lang, answer.notice, footer)
    if text is not None:
        await query.edit_message_text(text, reply_markup=markup)


# ---------------------------------------------------------------------- progress


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
                    [[_control(lang, notice_id, "recall_yes"), _control(lang, notice_id, "back")]]
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
    await query.answer(t(lang, f"notices.done_{action}"))
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
        if notice.status == "recalled":
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


# ---------------------------------------------------------------------- coverage


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
            text, markup = await _list_view(runtime, admin)
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


def coverage_view(
    runtime: Runtime, lang: str, covered: service.Coverage
) -> tuple[str, InlineKeyboardMarkup]:
    """The coverage page: totals, each area below, who has not confirmed; within 4096."""
    notice = covered.notice
    lines: list[str] = []
    used = 0
    for line in covered.lines:
        name = line.area.name if line.area else t(lang, "notices.admins_above")
        item = t(
            lang,
            "notices.coverage_line",
            name=name,
            counts=_coverage_line(lang, line.counts, notice.confirm),
        )
        if used + len(item) > PAGE_BUDGET // 2:
            lines.append(t(lang, "notices.more_areas", n=len(covered.lines) - len(lines)))
            break
        lines.append(item)
        used += len(item) + 1
    deadline = (
        t(lang, "notices.coverage_deadline", deadline=_when(runtime, notice.deadline_at))
        if notice.deadline_at
        else ""
    )
    text = t(
        lang,
        "notices.coverage",
        title=notice.title,
        path=covered.area.path,
        counts=_coverage_line(lang, covered.counts, notice.confirm),
        deadline=Html(deadline),
        lines=Html("\n".join(lines) or "-"),
        n=_count(covered.unconfirmed_total),
        names=Html(
            _names(lang, covered.unconfirmed, covered.unconfirmed_total, PAGE_BUDGET - used - 400)
        ),
    )
    buttons = [
        InlineKeyboardButton(line.area.name, callback_data=pack(VIEW, notice.id, line.area.id))
        for line in covered.lines[:CHILD_BUTTONS]
        if line.area is not None and line.area.depth <= 3
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if covered.area.id != covered.top.id and covered.area.parent_id is not None:
        parent = covered.area.parent_id if covered.area.parent_id != covered.top.id else 0
        nav.append(
            InlineKeyboardButton(t(lang, "picker.up"), callback_data=pack(VIEW, notice.id, parent))
        )
    nav.append(
        InlineKeyboardButton(t(lang, "notices.btn_csv"), callback_data=pack(VIEW, notice.id, "csv"))
    )
    nav.append(InlineKeyboardButton(t(lang, "notices.btn_list"), callback_data=pack(VIEW, "list")))
    rows.append(nav)
    return text, InlineKeyboardMarkup(rows)


def _csv(lang: str, runtime: Runtime, rows: list[service.ExportRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(lang, f"notices.csv.{c}") for c in service.EXPORT_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                row.area_path,
                row.name,
                t(lang, f"role.{row.role}"),
                row.work_id,
                t(lang, f"notices.csv_state.{row.state}"),
                _when(runtime, row.read_at),
                _when(runtime, row.relayed_at),
                "" if row.households is None else row.households,
            ]
        )
    # With a byte-order mark, Excel opens the Chinese names right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------- wiring

# Something that is not an answer to the current question; the state stays.
wrong_input = explain("notices.use_buttons")
cancel = cancel_drop(DRAFT, "notices.cancelled")


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The compose conversation (persistent), then the list, progress, receiving and coverage."""
    private = filters.ChatType.PRIVATE & ~any_label()
    text = private & filters.TEXT & ~filters.COMMAND
    buttons: BaseHandler[Any, Any, Any] = CallbackQueryHandler(
        compose_button, pattern=pattern(COMPOSE)
    )
    attachments = private & (filters.PHOTO | filters.Document.ALL | filters.VOICE)
    conversation = flow_conversation(
        name="notice",
        entry_points=[CallbackQueryHandler(begin, pattern=f"^{NEW}$")],
        states={
            TITLE: [
                MessageHandler(text, title_typed),
                MessageHandler(private & ~filters.COMMAND, wrong_input),
            ],
            BODY: [
                MessageHandler(text, body_typed),
                MessageHandler(private & ~filters.COMMAND, body_not_text),
            ],
            ATTACH: [
                buttons,
                MessageHandler(attachments, attachment),
                MessageHandler(text, attach_text),
                MessageHandler(private & ~filters.COMMAND, wrong_input),
            ],
            AREAS: [
                buttons,
                MessageHandler(text, area_typed),
                MessageHandler(private & ~filters.COMMAND, wrong_input),
            ],
            ROLES: [buttons, MessageHandler(private & ~filters.COMMAND, wrong_input)],
            OPTIONS: [buttons, MessageHandler(private & ~filters.COMMAND, wrong_input)],
            PREVIEW: [buttons, MessageHandler(private & ~filters.COMMAND, wrong_input)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        allow_reentry=True,
    )
    return [
        conversation,
        CommandHandler("notice", show_list, filters=filters.ChatType.PRIVATE),
        MessageHandler(label_filter("notice"), show_list),
        CallbackQueryHandler(stale_compose_button, pattern=pattern(COMPOSE)),
        CallbackQueryHandler(receive_button, pattern=pattern(RECEIVE)),
        CallbackQueryHandler(control_button, pattern=pattern(CONTROL)),
        CallbackQueryHandler(view_button, pattern=pattern(VIEW)),
    ]
