"""The meeting_create conversation: an admin creates a meeting series, mostly by buttons.

Title (楼门长工作例会 offered), how often (weekly, nth weekday or day of the month,
once), the day, the time, the place, the roles expected (ticked), the reminder
offsets (default one day and one hour before), and a confirmation. Every step takes
/cancel, says what it expects and answers a wrong kind of message; the draft lives in
the user's persisted store, so a restart in the middle loses nothing. See
meeting_create.mmd.
"""

from __future__ import annotations

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

from bot.i18n import join_list, t
from bot.services import meetings
from bot.services.grid import AreaKind, Role
from bot.services.meetings import MeetingError, SeriesDraft
from bot.services.members import Member
from bot.services.schedule import (
    MONTHLY_DAY,
    MONTHLY_NTH,
    ONCE,
    WEEKLY,
    next_occurrence,
    parse_date,
    parse_hhmm,
    parse_offsets,
)
from handlers.common import last_prompt
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button, require_text
from handlers.common.callbacks import (
    BadCallback,
    answer_stale,
    exact,
    new_flow_id,
    pack,
    pattern,
    unpack,
)
from handlers.common.context import GridContext
from handlers.common.conversation import cancel_drop, explain
from handlers.common.date_examples import dated
from handlers.common.flows import flow_conversation
from handlers.common.menu import any_label
from handlers.meetings import schedule_next
from handlers.messages.meetings import PREFIX, when

CREATE = "mc"  # buttons of the create flow: mc:<flow>:<action>:<value>
DRAFT = "meeting"
QUICK_TIMES = ("09:00", "14:30", "19:30")
DEFAULT_ROLES: tuple[str, ...] = (
    Role.BUILDING_LEADER.value,
    Role.BUILDING_ASSISTANT.value,
    Role.GROUP_LEADER.value,
    Role.GROUP_ASSISTANT.value,
)
ROLE_CHOICES: tuple[str, ...] = (*DEFAULT_ROLES, Role.COMMUNITY_ADMIN.value)

TITLE, RULE, WEEKDAY, NTH, DAY, DATE, TIME, PLACE, ROLES, OFFSETS, CONFIRM = range(11)


def _draft(context: GridContext, flow: str) -> dict[str, Any] | None:
    draft = context.store.get(DRAFT)
    if isinstance(draft, dict) and draft.get("flow") == flow:
        return draft
    return None


async def _prompt(
    context: GridContext,
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Ask the next question: the last one's buttons come off, this one's are noted."""
    draft = context.store.get(DRAFT)
    await last_prompt.retire(context, chat_id, draft)
    sent = await context.bot.send_message(chat_id, text, reply_markup=reply_markup)
    if isinstance(draft, dict):
        last_prompt.remember(draft, sent, has_buttons=reply_markup is not None)


def _b(
    lang: str, flow: str, label_key: str, action: str, value: str | int = "-", **v: object
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t(lang, label_key, **v), callback_data=pack(CREATE, flow, action, value)
    )


def _default_title(admin: Member) -> str:
    """The usual meeting of the admin's leaders: 村民小组长 in a village or town, else 楼门长."""
    rural = admin.area_kind in (AreaKind.VILLAGE.value, AreaKind.TOWN.value)
    return "meetings.default_title_village" if rural else "meetings.default_title"


async def create_begin(update: Update, context: GridContext) -> int:
    """The admin's 新建例会 button: ask for the title, offering the usual one."""
    query = update.callback_query
    admin = await require_admin(update, context)
    if admin is None:
        return ConversationHandler.END
    lang = admin.language
    if query is not None:
        await query.answer()
    flow = new_flow_id()
    # Begun anew: an old draft's buttons would only be refused as out of date.
    await last_prompt.retire(context, admin.tg_user_id, context.store.get(DRAFT))
    context.store[DRAFT] = {"flow": flow, "roles": list(DEFAULT_ROLES)}
    keyboard = InlineKeyboardMarkup([[_b(lang, flow, _default_title(admin), "title")]])
    await _prompt(context, admin.tg_user_id, t(lang, "meetings.ask_title"), reply_markup=keyboard)
    return TITLE


async def _ask_rule(context: GridContext, admin: Member, flow: str) -> int:
    lang = admin.language
    rows = [
        [_b(lang, flow, "meetings.rule_weekly", "rule", WEEKLY)],
        [_b(lang, flow, "meetings.rule_monthly_nth", "rule", MONTHLY_NTH)],
        [_b(lang, flow, "meetings.rule_monthly_day", "rule", MONTHLY_DAY)],
        [_b(lang, flow, "meetings.rule_once", "rule", ONCE)],
    ]
    await _prompt(
        context,
        admin.tg_user_id,
        t(lang, "meetings.ask_rule"),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return RULE


async def _ask_weekday(context: GridContext, admin: Member, flow: str) -> int:
    lang = admin.language
    days = [_b(lang, flow, keys.WEEKDAY(d), "wd", d) for d in range(7)]
    await _prompt(
        context,
        admin.tg_user_id,
        t(lang, "meetings.ask_weekday"),
        reply_markup=InlineKeyboardMarkup([days[:4], days[4:]]),
    )
    return WEEKDAY


async def _ask_time(context: GridContext, admin: Member, flow: str) -> int:
    lang = admin.language
    row = [
        InlineKeyboardButton(q, callback_data=pack(CREATE, flow, "time", q.replace(":", "")))
        for q in QUICK_TIMES
    ]
    await _prompt(
        context,
        admin.tg_user_id,
        t(lang, "meetings.ask_time"),
        reply_markup=InlineKeyboardMarkup([row]),
    )
    return TIME


async def _ask_roles(
    context: GridContext, admin: Member, draft: dict[str, Any], *, query: Any = None
) -> int:
    lang = admin.language
    flow = draft["flow"]
    chosen = set(draft.get("roles", []))
    rows = [
        [
            _b(
                lang,
                flow,
                "meetings.role_toggle",
                "role",
                role,
                mark="✅" if role in chosen else "⬜",
                role=t(lang, keys.ROLE(role)),
            )
        ]
        for role in ROLE_CHOICES
    ]
    rows.append([_b(lang, flow, "meetings.roles_done", "roles")])
    markup = InlineKeyboardMarkup(rows)
    if query is not None:
        await query.edit_message_reply_markup(reply_markup=markup)
        if isinstance(query.message, Message):
            last_prompt.remember(draft, query.message, has_buttons=True)
    else:
        await _prompt(context, admin.tg_user_id, t(lang, "meetings.ask_roles"), reply_markup=markup)
    return ROLES


async def _ask_offsets(context: GridContext, admin: Member, flow: str) -> int:
    lang = admin.language
    default = list(context.runtime.config.meetings.reminder_minutes)
    keyboard = InlineKeyboardMarkup(
        [[_b(lang, flow, "meetings.offsets_default", "offs", offsets=_offsets_text(lang, default))]]
    )
    await _prompt(context, admin.tg_user_id, t(lang, "meetings.ask_offsets"), reply_markup=keyboard)
    return OFFSETS


def _offsets_text(lang: str, offsets: list[int]) -> str:
    parts = []
    for minutes in offsets:
        if minutes % 1440 == 0:
            parts.append(t(lang, "meetings.days", n=minutes // 1440))
        elif minutes % 60 == 0:
            parts.append(t(lang, "meetings.hours", n=minutes // 60))
        else:
            parts.append(t(lang, "meetings.minutes_n", n=minutes))
    return join_list(lang, parts)


def _rule_text(lang: str, draft: dict[str, Any]) -> str:
    rule = draft["rule"]
    at = draft.get("time", "")
    if rule == WEEKLY:
        return t(
            lang,
            "meetings.rule_text_weekly",
            weekday=t(lang, keys.WEEKDAY(draft["weekday"])),
            time=at,
        )
    if rule == MONTHLY_NTH:
        return t(
            lang,
            "meetings.rule_text_nth",
            nth=draft["nth"],
            weekday=t(lang, keys.WEEKDAY(draft["weekday"])),
            time=at,
        )
    if rule == MONTHLY_DAY:
        return t(lang, "meetings.rule_text_day", day=draft["day"], time=at)
    return t(lang, "meetings.rule_text_once", date=draft.get("date", ""), time=at)


async def _ask_confirm(context: GridContext, admin: Member, draft: dict[str, Any]) -> int:
    lang = admin.language
    flow = draft["flow"]
    tz = context.runtime.config.tz
    rule = meetings.draft_rule(draft)
    first = next_occurrence(rule, tz, context.runtime.clock.now())
    text = t(
        lang,
        "meetings.confirm",
        title=draft["title"],
        rule=_rule_text(lang, draft),
        place=draft.get("place", ""),
        roles=join_list(lang, (t(lang, keys.ROLE(r)) for r in draft["roles"])),
        offsets=_offsets_text(lang, draft["offsets"]),
        first=when(lang, tz, first) if first else "-",
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                _b(lang, flow, "meetings.btn_create", "ok"),
                _b(lang, flow, "meetings.btn_discard", "no"),
            ]
        ]
    )
    await _prompt(context, admin.tg_user_id, text, reply_markup=keyboard)
    return CONFIRM


async def create_button(update: Update, context: GridContext) -> int | None:
    """Any button of the create flow: checked against the draft, then the next question."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return ConversationHandler.END
    query, admin = pressed
    lang = admin.language
    try:
        flow, action, value = unpack(query.data, CREATE, 3)
        draft = _draft(context, flow)
        if draft is None:
            raise BadCallback(query.data)
        expected = {
            "title": "title" not in draft,
            "rule": "title" in draft and "rule" not in draft,
        }
        if action in expected and not expected[action]:
            raise BadCallback(query.data)
        if action == "rule" and value not in (WEEKLY, MONTHLY_NTH, MONTHLY_DAY, ONCE):
            raise BadCallback(query.data)
        if action == "wd" and not (
            value.isdigit() and 0 <= int(value) <= 6 and draft.get("rule") in (WEEKLY, MONTHLY_NTH)
        ):
            raise BadCallback(query.data)
        if action == "nth" and not (
            value.isdigit() and 1 <= int(value) <= 5 and draft.get("rule") == MONTHLY_NTH
        ):
            raise BadCallback(query.data)
        if action == "time" and (
            parse_hhmm(f"{value[:2]}:{value[2:]}") is None or "rule" not in draft
        ):
            raise BadCallback(query.data)
        if action == "role" and value not in ROLE_CHOICES:
            raise BadCallback(query.data)
        if action in ("roles", "offs") and "place" not in draft:
            raise BadCallback(query.data)
        if action in ("ok", "no") and "offsets" not in draft:
            raise BadCallback(query.data)
        if action not in (
            "title",
            "rule",
            "wd",
            "nth",
            "time",
            "role",
            "roles",
            "offs",
            "ok",
            "no",
        ):
            raise BadCallback(query.data)
    except BadCallback:
        await answer_stale(query, lang)
        return None
    if action == "role":
        await query.answer()
        roles = set(draft["roles"])
        roles ^= {value}
        draft["roles"] = [r for r in ROLE_CHOICES if r in roles]
        return await _ask_roles(context, admin, draft, query=query)
    if action == "roles" and not draft["roles"]:
        await query.answer(t(lang, "meetings.roles_empty"), show_alert=True)
        return ROLES
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    last_prompt.forget(draft)
    if action == "title":
        draft["title"] = t(lang, _default_title(admin))
        return await _ask_rule(context, admin, flow)
    if action == "rule":
        draft["rule"] = value
        if value in (WEEKLY,):
            return await _ask_weekday(context, admin, flow)
        if value == MONTHLY_NTH:
            row = [_b(lang, flow, "meetings.nth", "nth", n, n=n) for n in range(1, 6)]
            await _prompt(
                context,
                admin.tg_user_id,
                t(lang, "meetings.ask_nth"),
                reply_markup=InlineKeyboardMarkup([row]),
            )
            return NTH
        if value == MONTHLY_DAY:
            await _prompt(context, admin.tg_user_id, t(lang, "meetings.ask_day"))
            return DAY
        await _prompt(context, admin.tg_user_id, dated(context.runtime, lang, "meetings.ask_date"))
        return DATE
    if action == "nth":
        draft["nth"] = int(value)
        return await _ask_weekday(context, admin, flow)
    if action == "wd":
        draft["weekday"] = int(value)
        return await _ask_time(context, admin, flow)
    if action == "time":
        return await _time_chosen(context, admin, draft, f"{value[:2]}:{value[2:]}")
    if action == "roles":
        draft["roles_done"] = True
        return await _ask_offsets(context, admin, flow)
    if action == "offs":
        draft["offsets"] = list(context.runtime.config.meetings.reminder_minutes)
        return await _ask_confirm(context, admin, draft)
    if action == "no":
        context.store.pop(DRAFT, None)
        await context.bot.send_message(admin.tg_user_id, t(lang, "meetings.discarded"))
        return ConversationHandler.END
    return await _create(context, admin, draft)


async def _time_chosen(context: GridContext, admin: Member, draft: dict[str, Any], at: str) -> int:
    lang = admin.language
    draft["time"] = at
    rule = meetings.draft_rule(draft)
    if meetings.is_one_off_in_past(rule, context.runtime.config.tz, context.runtime.clock.now()):
        draft.pop("time", None)
        draft.pop("date", None)
        await context.bot.send_message(admin.tg_user_id, t(lang, "meetings.in_the_past"))
        await _prompt(context, admin.tg_user_id, dated(context.runtime, lang, "meetings.ask_date"))
        return DATE
    await _prompt(context, admin.tg_user_id, t(lang, "meetings.ask_place"))
    return PLACE


async def create_typed(update: Update, context: GridContext) -> int | None:
    """A typed answer: the title, a day of the month, a date, a time, the place or offsets."""
    got = await require_text(update, context, require_admin)
    if got is None:
        return ConversationHandler.END
    message, typed, admin = got
    lang = admin.language
    draft = context.store.get(DRAFT)
    state = _state_of(draft)
    if not isinstance(draft, dict) or state is None:
        context.store.pop(DRAFT, None)
        return ConversationHandler.END
    text = typed.strip()
    flow = draft["flow"]
    if state == TITLE:
        if not 1 <= len(text) <= 100:
            await message.reply_text(t(lang, "meetings.too_long", limit=100))
            return None
        draft["title"] = text
        return await _ask_rule(context, admin, flow)
    if state == DAY:
        if not (text.isdigit() and 1 <= int(text) <= 31):
            await message.reply_text(t(lang, "meetings.bad_day"))
            return None
        draft["day"] = int(text)
        return await _ask_time(context, admin, flow)
    if state == DATE:
        day = parse_date(text)
        if day is None:
            await message.reply_text(dated(context.runtime, lang, "meetings.bad_date"))
            return None
        draft["date"] = day.isoformat()
        return await _ask_time(context, admin, flow)
    if state == TIME:
        at = parse_hhmm(text)
        if at is None:
            await message.reply_text(t(lang, "meetings.bad_time"))
            return None
        return await _time_chosen(context, admin, draft, at.strftime("%H:%M"))
    if state == PLACE:
        if not 1 <= len(text) <= 100:
            await message.reply_text(t(lang, "meetings.too_long", limit=100))
            return None
        draft["place"] = text
        return await _ask_roles(context, admin, draft)
    if state == OFFSETS:
        offsets = parse_offsets(text)
        if offsets is None:
            await message.reply_text(t(lang, "meetings.bad_offsets"))
            return None
        draft["offsets"] = offsets
        return await _ask_confirm(context, admin, draft)
    await message.reply_text(t(lang, "meetings.use_buttons"))
    return None


def _state_of(draft: object) -> int | None:
    """Where the create flow stands, from what the draft holds (a restart keeps both)."""
    if not isinstance(draft, dict):
        return None
    if "title" not in draft:
        return TITLE
    if "rule" not in draft:
        return RULE
    rule = draft["rule"]
    if rule == MONTHLY_NTH and "nth" not in draft:
        return NTH
    if rule in (WEEKLY, MONTHLY_NTH) and "weekday" not in draft:
        return WEEKDAY
    if rule == MONTHLY_DAY and "day" not in draft:
        return DAY
    if rule == ONCE and "date" not in draft:
        return DATE
    if "time" not in draft:
        return TIME
    if "place" not in draft:
        return PLACE
    if "offsets" not in draft:
        return OFFSETS if draft.get("roles_done") else ROLES
    return CONFIRM


async def _create(context: GridContext, admin: Member, draft: dict[str, Any]) -> int:
    lang = admin.language
    runtime = context.runtime
    try:
        series = await meetings.create_series(
            runtime.db,
            runtime.clock,
            runtime.config.tz,
            admin,
            SeriesDraft(
                title=draft["title"],
                rule=meetings.draft_rule(draft),
                place=draft["place"],
                roles=list(draft["roles"]),
                offsets=list(draft["offsets"]),
            ),
        )
    except MeetingError as error:
        await context.bot.send_message(admin.tg_user_id, t(lang, error.key))
        return ConversationHandler.END
    context.store.pop(DRAFT, None)
    first = next_occurrence(meetings.rule_of(series), runtime.config.tz, runtime.clock.now())
    await context.bot.send_message(
        admin.tg_user_id,
        t(
            lang,
            "meetings.created",
            title=series.title,
            first=when(lang, runtime.config.tz, first) if first else "-",
        ),
    )
    await schedule_next(context)
    return ConversationHandler.END


# Not an answer to the current question: say what is expected.
create_wrong = explain("meetings.use_buttons")
# /cancel: take the buttons off the open question and drop the meeting being made.
create_cancel = cancel_drop(DRAFT, "meetings.discarded", retire_prompt=True)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The create conversation (persistent), entered by the 新建例会 button of /meetings."""
    private = filters.ChatType.PRIVATE
    typed = private & filters.TEXT & ~filters.COMMAND & ~any_label()
    buttons = CallbackQueryHandler(create_button, pattern=pattern(CREATE))
    states: dict[object, list[BaseHandler[Update, GridContext, Any]]] = {
        state: [
            buttons,
            MessageHandler(typed, create_typed),
            MessageHandler(private & ~filters.COMMAND, create_wrong),
        ]
        for state in (TITLE, RULE, WEEKDAY, NTH, DAY, DATE, TIME, PLACE, ROLES, OFFSETS, CONFIRM)
    }
    create = flow_conversation(
        name="meeting_create",
        entry_points=[CallbackQueryHandler(create_begin, pattern=exact(PREFIX, "new"))],
        states=states,
        fallbacks=[CommandHandler("cancel", create_cancel)],
    )
    return [create]
