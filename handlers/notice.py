"""/notice: an admin sends a notice down the grid, follows its progress and its coverage.

``/notice`` (or 📣 发布通知) lists the admin's recent notices with their coverage and a
button to write a new one. Writing is a conversation (notice.mmd): the title, the
text, attachments (photos, one PDF or Word file, one voice message), the areas (by
buttons down the tree, or typed names), the roles, whether 已传达 is asked and a
deadline, then a preview with the recipient count and 发送 / 修改 / 放弃. Over
``notices.confirm_above`` recipients 发送 asks once more.

After sending, the admin's progress message is edited in place by the notices sweep
(``▓▓▓▓░░░░ 52% · 4,310 / 8,290 · 约2分钟``) with 暂停 / 继续 / 撤回
(handlers/notice_progress.py). Recipients get the notice from the outbox
(handlers/messages/notices.py draws it) with ✅ 已传达 (leaders then tap about how many
households) or 👌 已读 (handlers/notice_receiving.py); the coverage pages are in
handlers/notice_coverage.py. Buttons: ``ntn`` (write a new one), ``ntc:<flow>:...``
(composing), ``ntr:<notice>:ok|read|h:<n>`` (recipients), ``ntp:<notice>:...``
(progress), ``ntv:<notice>:<area>|csv`` and ``ntv:list`` (coverage).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Html, escape, join_list, t
from bot.services import areas
from bot.services import notices as service
from bot.services.areas import Area, AreaAmbiguous, AreaNotFound
from bot.services.members import Member
from bot.services.notices import Draft, NoticeError
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button, require_text
from handlers.common.area_picker import area_keyboard, candidates_keyboard
from handlers.common.callbacks import (
    BadCallback,
    answer_stale,
    exact,
    fields,
    number,
    pack,
    pattern,
)
from handlers.common.context import GridContext
from handlers.common.conversation import cancel_drop, explain
from handlers.common.flows import flow_conversation
from handlers.common.menu import any_label, label_filter
from handlers.messages.notices import (
    COMPOSE,
    NEW,
    figure,
    list_view,
    notice_text,
)
from handlers.notice_progress import (
    refresh_progress,
)

TITLE, BODY, ATTACH, AREAS, ROLES, OPTIONS, PREVIEW = range(7)
DRAFT = "notice"


# ---------------------------------------------------------------------- texts


# ---------------------------------------------------------------------- renderers


# ---------------------------------------------------------------------- the list


async def show_list(update: Update, context: GridContext) -> None:
    """/notice and 📣 发布通知: recent notices with coverage, and 写新通知."""
    admin = await require_admin(update, context)
    message = update.effective_message
    if admin is None or message is None:
        return
    text, markup = await list_view(context.runtime, admin)
    await message.reply_text(text, reply_markup=markup)


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


async def _show(
    update: Update, text: str, rows: list[list[InlineKeyboardButton]], *, edit: bool
) -> None:
    """A step's question: in place of the one tapped (``edit``), else sent anew."""
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    else:
        await _reply(update, text, InlineKeyboardMarkup(rows))


async def _field_typed(
    update: Update,
    context: GridContext,
    field: str,
    check: Callable[[str], str],
    state: int,
    after: Callable[[Update, Member, dict[str, Any]], Awaitable[int]],
) -> int:
    """A typed title or text: checked and kept; asked again if refused; then ``after``
    (or back to the preview when the field was being edited)."""
    got = await require_text(update, context, require_admin)
    draft = _draft(context)
    if got is None or draft is None:
        return ConversationHandler.END
    message, typed, admin = got
    try:
        draft[field] = check(typed)
    except NoticeError as error:
        await message.reply_text(t(admin.language, error.code, **error.values))
        return state
    if draft.get("editing"):
        return await _preview(update, context, admin, draft)
    return await after(update, admin, draft)


async def _then_body(update: Update, admin: Member, draft: dict[str, Any]) -> int:
    message = update.effective_message
    assert message is not None
    await message.reply_text(t(admin.language, "notices.ask_body", max=service.BODY_MAX))
    return BODY


async def _then_attachments(update: Update, admin: Member, draft: dict[str, Any]) -> int:
    await _ask_attachments(update, admin, draft)
    return ATTACH


async def title_typed(update: Update, context: GridContext) -> int:
    """The title: checked, kept; then the text (or back to the preview)."""
    return await _field_typed(update, context, "title", service.check_title, TITLE, _then_body)


async def body_typed(update: Update, context: GridContext) -> int:
    """The text: checked (not empty, at most 3000 characters), kept; then attachments."""
    return await _field_typed(update, context, "body", service.check_body, BODY, _then_attachments)


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
    return join_list(lang, parts) or t(lang, "notices.att_none")


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
    await _show(update, text, rows, edit=edit)


def _compose_parts(data: str | None) -> list[str]:
    """The parts of a compose button after its prefix (none if it is not one)."""
    try:
        return fields(data, COMPOSE)
    except BadCallback:
        return []


def _picked_id(data: object, chosen: set[int]) -> int | None:
    """The area id of a pick button if that area is chosen (to mark it ☑)."""
    parts = _compose_parts(data if isinstance(data, str) else None)
    if len(parts) != 3 or parts[1] != "pick" or not parts[2].isdigit():
        return None
    return int(parts[2]) if int(parts[2]) in chosen else None


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
    parts = _compose_parts(query.data)
    flow = parts[0] if len(parts) > 1 else None
    draft = _draft(context, flow) if flow else None
    if draft is None:
        await _stale_compose(query, context, lang, flow)
        return None
    action, args = parts[1], parts[2:]
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


async def _choice_done(
    update: Update,
    context: GridContext,
    admin: Member,
    draft: dict[str, Any],
    chosen: str,
    refusal: str,
) -> bool:
    """Next on a choice (areas, roles): refused while nothing is chosen; else the question's
    buttons go. True when the flow moves on."""
    query = update.callback_query
    assert query is not None
    if not draft.get(chosen):
        await query.answer(t(admin.language, refusal), show_alert=True)
        return False
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    return True


async def _areas_done(
    update: Update, context: GridContext, admin: Member, draft: dict[str, Any], args: list[str]
) -> int:
    if not await _choice_done(update, context, admin, draft, "targets", "notices.error.no_areas"):
        return AREAS
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
            role=t(lang, keys.NOTICE_ROLE(role)),
        )
        for role in service.role_choices(admin)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_btn(lang, "notices.btn_next", draft["flow"], "roles_done")])
    text = t(lang, "notices.choose_roles")
    await _show(update, text, rows, edit=edit)


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
    if not await _choice_done(update, context, admin, draft, "roles", "notices.error.no_roles"):
        return ROLES
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
            label=t(lang, keys.NOTICE_DEADLINE(days)),
        )
        for days in service.DEADLINE_DAYS
    ]
    rows = [
        [_btn(lang, confirm_key, flow, "confirm")],
        deadline_buttons,
        [_btn(lang, "notices.btn_preview", flow, "preview")],
    ]
    text = t(lang, "notices.choose_options")
    await _show(update, text, rows, edit=edit)


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
        footer = t(lang, "notices.preview_count", n=figure(count))
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
        roles=join_list(lang, (t(lang, keys.NOTICE_ROLE(r)) for r in draft.get("roles", []))),
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
                                n=figure(count),
                            )
                        ],
                        [_btn(lang, "notices.btn_back", draft["flow"], "preview")],
                    ]
                )
            )
            await _reply(update, t(lang, "notices.confirm_big", n=figure(count)))
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
        buttons = [_btn(lang, keys.NOTICE_EDIT(f), flow, "edit", f) for f in fields]
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
    parts = _compose_parts(query.data)
    await _stale_compose(query, context, lang, parts[0] if len(parts) > 1 else None)


# ---------------------------------------------------------------------- wiring

# Something that is not an answer to the current question; the state stays.
wrong_input = explain("notices.use_buttons")
cancel = cancel_drop(DRAFT, "notices.cancelled")


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The compose conversation (persistent), then /notice (the list) and stale compose buttons."""
    private = filters.ChatType.PRIVATE & ~any_label()
    text = private & filters.TEXT & ~filters.COMMAND
    buttons: BaseHandler[Any, Any, Any] = CallbackQueryHandler(
        compose_button, pattern=pattern(COMPOSE)
    )
    attachments = private & (filters.PHOTO | filters.Document.ALL | filters.VOICE)
    conversation = flow_conversation(
        name="notice",
        entry_points=[CallbackQueryHandler(begin, pattern=exact(NEW))],
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
    ]
