"""/start: join with an invite code (the "join" conversation), or show the menu.

A person opens ``t.me/<bot>?start=<code>`` (or sends ``/start <code>``), confirms
their name, shares their own phone number with Telegram's contact button, and is
registered with a work ID number. See join.mmd for the flow.
"""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.services import members, roster
from bot.services.grid import is_admin
from bot.services.invites import InviteError, check_invite
from bot.services.members import AlreadyMember, BadName, PhoneMismatch
from bot.services.typed_text import clean_text
from handlers.common import text_keys as keys
from handlers.common.callbacks import BadCallback, answer_stale, new_flow_id, pack, pattern, unpack
from handlers.common.commands import register_member_commands
from handlers.common.context import LANG_KEY, GridContext
from handlers.common.flows import flow_conversation
from handlers.common.menu import member_menu

NAME, PHONE = range(2)
DRAFT = "join"  # user_data key of the registration in progress
PREFIX = "join"


async def start(update: Update, context: GridContext) -> int:
    """/start [code]: join with a code, or greet and show the menu."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return ConversationHandler.END
    lang = await context.lang(update)
    member = await context.member(update)
    code = context.args[0] if context.args else ""
    if member is not None:
        key = "join.already_member" if code else "start.menu"
        await message.reply_text(
            t(
                lang,
                key,
                name=member.name,
                role=t(lang, keys.ROLE(member.role)),
                area=member.area_path,
            ),
            reply_markup=await member_menu(context.runtime, member),
        )
        return ConversationHandler.END
    if not code:
        await message.reply_text(t(lang, "start.welcome"), reply_markup=ReplyKeyboardRemove())
        return ConversationHandler.END
    runtime = context.runtime
    try:
        invite, area = await check_invite(runtime.db, runtime.clock, code)
    except InviteError as error:
        await message.reply_text(t(lang, keys.JOIN_INVITE(error.reason)))
        return ConversationHandler.END
    flow = new_flow_id()
    context.store[DRAFT] = {"code": code, "flow": flow}
    await message.reply_text(
        t(lang, "join.invited", role=t(lang, keys.ROLE(invite.role)), area=area.path),
    )
    listed = await roster.entry(runtime.db, invite.id)
    if listed is not None:  # made from a roster: the name is known, the phone is checked
        return await _name_chosen(update, context, context.store[DRAFT], listed.name)
    await _ask_name(update, context, flow)
    return NAME


async def _ask_name(update: Update, context: GridContext, flow: str) -> None:
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    lang = await context.lang(update)
    suggested = " ".join(clean_text(user.full_name).split())[: members.MAX_NAME] or "-"
    buttons = InlineKeyboardMarkup(
        [[InlineKeyboardButton(suggested, callback_data=pack(PREFIX, flow, "tgname"))]]
    )
    await message.reply_text(t(lang, "join.ask_name", name=suggested), reply_markup=buttons)


def _draft(context: GridContext) -> dict[str, Any] | None:
    draft = context.store.get(DRAFT)
    return draft if isinstance(draft, dict) else None


async def name_typed(update: Update, context: GridContext) -> int:
    """The name, typed."""
    message = update.effective_message
    draft = _draft(context)
    assert message is not None and message.text is not None
    if draft is None:
        return await _lost(update, context)
    lang = await context.lang(update)
    try:
        name = members.clean_name(message.text)
    except BadName as error:
        await message.reply_text(t(lang, keys.JOIN_BAD_NAME(error), limit=members.MAX_NAME))
        await _ask_name(update, context, draft["flow"])
        return NAME
    return await _name_chosen(update, context, draft, name)


async def name_button(update: Update, context: GridContext) -> int:
    """The name, as Telegram knows it, by button."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    draft = _draft(context)
    lang = await context.lang(update)
    try:
        (flow, what) = unpack(query.data, PREFIX, 2)
        if draft is None or flow != draft["flow"] or what != "tgname":
            raise BadCallback(query.data)
        name = members.clean_name(user.full_name)
    except (BadCallback, BadName):
        await answer_stale(query, lang)
        return NAME
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    return await _name_chosen(update, context, draft, name)


async def _name_chosen(
    update: Update, context: GridContext, draft: dict[str, Any], name: str
) -> int:
    message = update.effective_message
    assert message is not None
    lang = await context.lang(update)
    draft["name"] = name
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, "join.share_phone_button"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await message.reply_text(t(lang, "join.ask_phone", name=name), reply_markup=keyboard)
    return PHONE


async def name_wrong_input(update: Update, context: GridContext) -> int:
    """Something other than a name while a name is expected."""
    message = update.effective_message
    draft = _draft(context)
    if message is None or draft is None:
        return await _lost(update, context)
    await message.reply_text(await context.text(update, "join.name_expected"))
    await _ask_name(update, context, draft["flow"])
    return NAME


async def contact_shared(update: Update, context: GridContext) -> int:
    """The phone number, from the contact button: register the member."""
    message = update.effective_message
    user = update.effective_user
    draft = _draft(context)
    assert message is not None and message.contact is not None and user is not None
    if draft is None or "name" not in draft:
        return await _lost(update, context)
    lang = await context.lang(update)
    contact = message.contact
    if contact.user_id != user.id:
        await message.reply_text(t(lang, "join.not_own_contact"))
        return PHONE
    phone = members.clean_phone(contact.phone_number)
    runtime = context.runtime
    try:
        member = await members.register(
            runtime.db,
            runtime.clock,
            code=draft["code"],
            tg_user_id=user.id,
            name=draft["name"],
            phone=phone,
            language=lang,
            grid_code=runtime.config.grid.code,
            tz=runtime.config.tz,
        )
    except InviteError as error:
        context.store.pop(DRAFT, None)
        await message.reply_text(
            t(lang, keys.JOIN_INVITE(error.reason)), reply_markup=ReplyKeyboardRemove()
        )
        return ConversationHandler.END
    except PhoneMismatch:
        context.store.pop(DRAFT, None)
        await message.reply_text(t(lang, "join.phone_mismatch"), reply_markup=ReplyKeyboardRemove())
        return ConversationHandler.END
    except AlreadyMember as already:
        member = already.member
    context.store.pop(DRAFT, None)
    context.store.pop(LANG_KEY, None)  # the member's row holds the language now
    context.forget_member()
    await message.reply_text(
        t(
            lang,
            "join.welcome_admin" if is_admin(member.role) else "join.welcome_leader",
            name=member.name,
            role=t(lang, keys.ROLE(member.role)),
            area=member.area_path,
            work_id=member.work_id,
        ),
        reply_markup=await member_menu(context.runtime, member),
    )
    await register_member_commands(context.bot, member)
    return ConversationHandler.END


async def phone_wrong_input(update: Update, context: GridContext) -> int:
    """Anything but a contact while the phone number is expected."""
    message = update.effective_message
    assert message is not None
    lang = await context.lang(update)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(t(lang, "join.share_phone_button"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await message.reply_text(t(lang, "join.phone_expected"), reply_markup=keyboard)
    return PHONE


async def cancel(update: Update, context: GridContext) -> int:
    """/cancel during joining."""
    message = update.effective_message
    context.store.pop(DRAFT, None)
    if message is not None:
        await message.reply_text(
            await context.text(update, "join.cancelled"), reply_markup=ReplyKeyboardRemove()
        )
    return ConversationHandler.END


async def _lost(update: Update, context: GridContext) -> int:
    """The conversation's draft is gone (it should not be): start over."""
    message = update.effective_message
    context.store.pop(DRAFT, None)
    if message is not None:
        await message.reply_text(
            await context.text(update, "join.start_over"), reply_markup=ReplyKeyboardRemove()
        )
    return ConversationHandler.END


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The join conversation (persistent) and /start."""
    private = filters.ChatType.PRIVATE
    conversation = flow_conversation(
        name="join",
        entry_points=[CommandHandler("start", start, filters=private)],
        states={
            NAME: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, name_typed),
                CallbackQueryHandler(name_button, pattern=pattern(PREFIX)),
                MessageHandler(private & ~filters.COMMAND, name_wrong_input),
            ],
            PHONE: [
                MessageHandler(private & filters.CONTACT, contact_shared),
                MessageHandler(private & ~filters.COMMAND, phone_wrong_input),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("start", start, filters=private),
        ],
        allow_reentry=True,
    )
    return [conversation]
