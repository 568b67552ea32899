"""Policy outreach (政策宣讲) and patrol check-in (巡逻打卡): duty work logged in a tap or three.

Outreach: the menu button, a topic button, a household-count button; the message is
edited in place and the buttons carry a key, so pressing twice logs once
(``dut:<key>:t:<topic>``, ``dut:<key>:h:<topic>:<n>``, ``dut:<key>:back``).
Patrol: the menu button logs the check-in at once; a location shared soon after is
attached to it. No conversation is needed: each press carries all it needs.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.i18n import t
from bot.services import duties
from bot.services.duties import HOUSEHOLDS, TOPICS, DutyRefused
from bot.services.my_cases import local_time
from handlers.common import text_keys as keys
from handlers.common.access import require_button, require_leader
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
from handlers.common.menu import label_filter

PREFIX = "dut"


def _topics(lang: str, key: str) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            t(lang, keys.TOPIC(topic)), callback_data=pack(PREFIX, key, "t", topic)
        )
        for topic in TOPICS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _households(lang: str, key: str, topic: str) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            t(lang, "outreach.households", n=n), callback_data=pack(PREFIX, key, "h", topic, n)
        )
        for n in HOUSEHOLDS
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append(
        [InlineKeyboardButton(t(lang, "outreach.back"), callback_data=pack(PREFIX, key, "back"))]
    )
    return InlineKeyboardMarkup(rows)


async def outreach(update: Update, context: GridContext) -> None:
    """The outreach menu button: which topic?"""
    member = await require_leader(update, context)
    message = update.effective_message
    if member is None or message is None:
        return
    lang = member.language
    await message.reply_text(
        t(lang, "outreach.choose_topic"), reply_markup=_topics(lang, new_flow_id())
    )


async def outreach_button(update: Update, context: GridContext) -> None:
    """A topic, a household count (which logs it), or back to the topics."""
    pressed = await require_button(update, context, require_leader)
    if pressed is None:
        return
    query, member = pressed
    lang = member.language
    runtime = context.runtime
    try:
        parts = fields(query.data, PREFIX)
        if len(parts) == 2:
            key, action = unpack(query.data, PREFIX, 2)
            if action != "back":
                raise BadCallback(query.data)
            await query.answer()
            await query.edit_message_text(
                t(lang, "outreach.choose_topic"), reply_markup=_topics(lang, key)
            )
            return
        if len(parts) == 3:
            key, action, topic = unpack(query.data, PREFIX, 3)
            if action != "t" or topic not in TOPICS:
                raise BadCallback(query.data)
            await query.answer()
            await query.edit_message_text(
                t(lang, "outreach.choose_households", topic=t(lang, keys.TOPIC(topic))),
                reply_markup=_households(lang, key, topic),
            )
            return
        key, action, topic, count = unpack(query.data, PREFIX, 4)
        households = number(count)
        if action != "h" or topic not in TOPICS or households not in HOUSEHOLDS:
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return
    try:
        logged = await duties.log_outreach(
            runtime.db, runtime.clock, member, topic, households, key
        )
    except DutyRefused:
        await query.answer(t(lang, "access.not_allowed_here"), show_alert=True)
        return
    if not logged.created:
        await query.answer(t(lang, "outreach.already"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(
        t(
            lang,
            "outreach.logged",
            topic=t(lang, keys.TOPIC(topic)),
            households=households,
            time=local_time(logged.log.at, runtime.config.tz),
        )
    )


async def patrol(update: Update, context: GridContext) -> None:
    """The patrol menu button: check in now."""
    member = await require_leader(update, context)
    message = update.effective_message
    if member is None or message is None:
        return
    runtime = context.runtime
    try:
        checked = await duties.check_in(runtime.db, runtime.clock, member)
    except DutyRefused:
        await message.reply_text(t(member.language, "access.not_allowed_here"))
        return
    key = "patrol.logged" if checked.created else "patrol.already"
    await message.reply_text(
        t(member.language, key, time=local_time(checked.log.at, runtime.config.tz))
    )


async def location(update: Update, context: GridContext) -> None:
    """A location outside any conversation: it belongs to a recent patrol check-in."""
    member = await require_leader(update, context)
    message = update.effective_message
    if member is None or message is None or message.location is None:
        return
    runtime = context.runtime
    attached = await duties.attach_location(
        runtime.db,
        runtime.clock,
        member,
        message.location.latitude,
        message.location.longitude,
    )
    if attached is None:
        await message.reply_text(t(member.language, "patrol.location_without_patrol"))
        return
    await message.reply_text(
        t(member.language, "patrol.location_added", time=local_time(attached.at, runtime.config.tz))
    )


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The outreach and patrol buttons, and locations for patrols."""
    return [
        MessageHandler(label_filter("outreach"), outreach),
        CallbackQueryHandler(outreach_button, pattern=pattern(PREFIX)),
        MessageHandler(label_filter("patrol"), patrol),
        # Not edited messages: a live location's moves arrive as edits.
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.LOCATION, location
        ),
    ]
