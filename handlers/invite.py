"""/invite: an admin makes a one-time invite for a role and an area at or below theirs.

The admin picks the role, then the area (by buttons down the tree, or by typing a
name), and gets the code, its ``t.me`` deep link and a QR code picture to show or
forward. See invite.mmd for the flow.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.qr import deep_link, qr_png
from bot.services import areas, invite_roles
from bot.services.areas import Area, AreaAmbiguous, AreaNotFound
from bot.services.grid import Role, role_fits
from bot.services.invites import InviteNotAllowed, create_invite
from bot.services.members import Member
from bot.services.permissions import Action, may
from bot.telegram.texts_fit import CAPTION_LIMIT, fit
from handlers.common import last_prompt
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button, require_text
from handlers.common.area_picker import area_keyboard, candidates_keyboard
from handlers.common.callbacks import (
    BadCallback,
    answer_stale,
    fields,
    new_flow_id,
    number,
    pack,
    pattern,
    unpack,
)
from handlers.common.context import GridContext
from handlers.common.conversation import cancel_drop, explain
from handlers.common.flows import flow_conversation
from handlers.common.menu import any_label, label_filter

ROLE, AREA = range(2)
DRAFT = "invite"
PREFIX = "inv"


async def begin(update: Update, context: GridContext) -> int:
    """/invite: offer the roles this admin may invite."""
    message = update.effective_message
    admin = await require_admin(update, context)
    if admin is None or message is None:
        return ConversationHandler.END
    lang = admin.language
    chat = update.effective_chat
    if chat is not None:
        # Begun anew: the old invite's buttons would only be refused as out of date.
        await last_prompt.retire(context, chat.id, context.store.get(DRAFT))
    flow = new_flow_id()
    draft: dict[str, Any] = {"flow": flow}
    context.store[DRAFT] = draft
    # Only the roles that fit some area of the admin's tree (no 村民小组长 in a town-less city).
    roles = await invite_roles.offered_roles(context.runtime.db, admin)
    buttons = [
        InlineKeyboardButton(
            t(lang, keys.ROLE(role)), callback_data=pack(PREFIX, flow, "role", role)
        )
        for role in roles
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    sent = await message.reply_text(
        t(lang, "invite.choose_role"), reply_markup=InlineKeyboardMarkup(rows)
    )
    last_prompt.remember(draft, sent, has_buttons=True)
    return ROLE


def _draft(context: GridContext, flow: str) -> dict[str, Any] | None:
    draft = context.store.get(DRAFT)
    if isinstance(draft, dict) and draft.get("flow") == flow:
        return draft
    return None


async def role_chosen(update: Update, context: GridContext) -> int:
    """A role button: remember it and show the area picker at the admin's own area."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return ConversationHandler.END
    query, admin = pressed
    try:
        flow, action, value = unpack(query.data, PREFIX, 3)
        draft = _draft(context, flow)
        if draft is None or action != "role" or value not in {r.value for r in Role}:
            raise BadCallback(query.data)
        role = Role(value)
        if role not in await invite_roles.offered_roles(context.runtime.db, admin):
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, admin.language)
        return ROLE
    await query.answer()
    draft["role"] = role.value
    home = await areas.get(context.runtime.db, admin.area_id)
    assert home is not None
    await _show_picker(update, context, admin, draft, home, 0, edit=True)
    return AREA


async def _show_picker(
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
    role = Role(draft["role"])
    home = await areas.get(context.runtime.db, admin.area_id)
    assert home is not None
    view = await invite_roles.picker_view(context.runtime.db, admin, role, current.id)
    keyboard = area_keyboard(
        prefix=PREFIX,
        flow=draft["flow"],
        lang=lang,
        current=current,
        top=home,
        children=view.children,
        page=page,
        fits=view.where.fits,
        leads_to_fit=view.where.leads_to_fit,
    )
    text = t(lang, "invite.choose_area", role=t(lang, keys.ROLE(role)), path=current.path)
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=keyboard)
        last_prompt.remember(
            draft, query.message if isinstance(query.message, Message) else None, True
        )
    elif update.effective_message is not None:
        await _retire(update, context, draft)
        sent = await update.effective_message.reply_text(text, reply_markup=keyboard)
        last_prompt.remember(draft, sent, has_buttons=True)


async def _retire(update: Update, context: GridContext, draft: dict[str, Any]) -> None:
    """Take the buttons off the invite's open question (a new one is asked, or it ends)."""
    chat = update.effective_chat
    if chat is not None:
        await last_prompt.retire(context, chat.id, draft)


async def area_button(update: Update, context: GridContext) -> int:
    """Open an area of the picker, page through it, or choose one."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return ConversationHandler.END
    query, admin = pressed
    lang = admin.language
    db = context.runtime.db
    try:
        if len(fields(query.data, PREFIX)) == 4:
            flow, action, area_text, page_text = unpack(query.data, PREFIX, 4)
            page = number(page_text)
        else:
            flow, action, area_text = unpack(query.data, PREFIX, 3)
            page = 0
        draft = _draft(context, flow)
        area = await areas.get(db, number(area_text))
        # The server decides what may be chosen, not the button.
        if draft is None or "role" not in draft or area is None:
            raise BadCallback(query.data)
        if action not in ("open", "pick") or not may(admin, Action.INVITE, area):
            raise BadCallback(query.data)
        if action == "pick" and not role_fits(Role(draft["role"]), area.kind):
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return AREA
    await query.answer()
    if action == "open":
        await _show_picker(update, context, admin, draft, area, page, edit=True)
        return AREA
    # The question pressed becomes the invite's text (its buttons go with the edit).
    last_prompt.forget(draft)
    return await _issue(update, context, admin, draft, area, pressed=query)


async def area_typed(update: Update, context: GridContext) -> int:
    """A typed area name: choose it if it is one, else offer the candidates."""
    got = await require_text(update, context, require_admin)
    if got is None:
        return ConversationHandler.END
    message, typed, admin = got
    lang = admin.language
    draft = context.store.get(DRAFT)
    if not isinstance(draft, dict) or "role" not in draft:
        return ConversationHandler.END
    role = Role(draft["role"])
    db = context.runtime.db
    home = await areas.get(db, admin.area_id)
    assert home is not None

    def fits(area: Area) -> bool:
        return role_fits(role, area.kind)

    try:
        area = await areas.resolve(db, typed[:200], within=home)
    except AreaAmbiguous as many:
        await _retire(update, context, draft)
        sent = await message.reply_text(
            t(lang, "invite.area_ambiguous", text=typed[:200]),
            reply_markup=candidates_keyboard(
                prefix=PREFIX, flow=draft["flow"], candidates=many.candidates, fits=fits
            ),
        )
        last_prompt.remember(draft, sent, has_buttons=True)
        return AREA
    except AreaNotFound as none:
        if none.candidates:
            await _retire(update, context, draft)
            sent = await message.reply_text(
                t(lang, "invite.area_unknown_candidates", text=typed[:200]),
                reply_markup=candidates_keyboard(
                    prefix=PREFIX, flow=draft["flow"], candidates=none.candidates, fits=fits
                ),
            )
            last_prompt.remember(draft, sent, has_buttons=True)
        else:
            await message.reply_text(t(lang, "invite.area_unknown", text=typed[:200]))
        return AREA
    if not fits(area):
        await message.reply_text(
            t(lang, "invite.role_does_not_fit", role=t(lang, keys.ROLE(role)), path=area.path)
        )
        await _show_picker(update, context, admin, draft, area, 0, edit=False)
        return AREA
    return await _issue(update, context, admin, draft, area)


async def _issue(
    update: Update,
    context: GridContext,
    admin: Member,
    draft: dict[str, Any],
    area: Area,
    *,
    pressed: CallbackQuery | None = None,
) -> int:
    """Make the invite and show it: its text (in the question ``pressed``, if it was
    chosen by a button: one call fewer, issue 14), then its QR code."""
    chat = update.effective_chat
    assert chat is not None
    lang = admin.language
    runtime = context.runtime
    role = Role(draft["role"])
    # The flow ends here, whatever comes of it: its question keeps no buttons.
    await _retire(update, context, draft)

    async def say(text: str) -> None:
        assert chat is not None
        if pressed is not None:
            try:
                await pressed.edit_message_text(text, reply_markup=None)
                return
            except BadRequest:  # too old to edit, or deleted: the code is never lost
                pass
        await context.bot.send_message(chat.id, text)

    try:
        invite = await create_invite(
            runtime.db,
            runtime.clock,
            role=role,
            area=area,
            by=admin,
            ttl_days=runtime.config.invites.ttl_days,
        )
    except InviteNotAllowed:
        context.store.pop(DRAFT, None)
        await say(t(lang, "access.not_allowed_here"))
        return ConversationHandler.END
    context.store.pop(DRAFT, None)
    link = deep_link(context.bot.username, invite.code)
    expires = invite.expires_at.astimezone(runtime.config.tz).strftime("%Y-%m-%d %H:%M")
    # Fitted: a long area path is shortened, never the code or the link (short lines).
    await say(
        fit(
            t(
                lang,
                "invite.created",
                role=t(lang, keys.ROLE(role)),
                area=area.path,
                expires=expires,
                link=link,
                code=invite.code,
            )
        ).text
    )
    caption = t(lang, "invite.qr_caption", role=t(lang, keys.ROLE(role)), area=area.path)
    # Drawn off the event loop: a QR code takes milliseconds every other member would wait.
    png = await asyncio.to_thread(qr_png, link)
    await context.bot.send_photo(
        chat.id,
        InputFile(png, filename="invite.png"),
        caption=fit(caption, CAPTION_LIMIT).text,
    )
    return ConversationHandler.END


# Something that is not an answer to the current question; the state stays.
wrong_input = explain("invite.use_buttons")
# /cancel: take the buttons off the open question and drop the invite being made.
cancel = cancel_drop(DRAFT, "invite.cancelled", retire_prompt=True)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The invite conversation (persistent)."""
    private = filters.ChatType.PRIVATE & ~any_label()
    entry: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler("invite", begin, filters=private),
        MessageHandler(label_filter("invite"), begin),
    ]
    conversation = flow_conversation(
        name="invite",
        entry_points=entry,
        states={
            ROLE: [
                CallbackQueryHandler(role_chosen, pattern=pattern(PREFIX)),
                MessageHandler(private & ~filters.COMMAND, wrong_input),
            ],
            AREA: [
                CallbackQueryHandler(area_button, pattern=pattern(PREFIX)),
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, area_typed),
                MessageHandler(private & ~filters.COMMAND, wrong_input),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel), *entry],
        allow_reentry=True,
    )
    return [conversation]
