"""/stats (and 📊 统计): an admin's figures for a period, with a chart.

``/stats`` offers the periods as buttons (本周, 本月, 上月, 本季度, 本年); two typed
dates (``2026-06-01 2026-06-30``) choose any other. ``/stats 滨河社区`` (or with the
dates too) asks for an area below the admin's own. The answer is one text with the
figures and the same buttons, and a chart picture drawn off the event loop. Buttons:
``st:<area id>:<period key>``; the export button leads to /export's format choice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.config import StatsConfig
from bot.i18n import LANGUAGES, join_list, t
from bot.services import areas as area_service
from bot.services import stats
from bot.services.areas import Area, AreaAmbiguous, AreaNotFound
from bot.services.members import Member
from bot.services.stats import CaseFigures, Period, PeriodError, ScopeError, Stats
from handlers.common import text_keys as keys
from handlers.common.access import require_admin, require_button
from handlers.common.callbacks import BadCallback, answer_stale, number, pack, pattern, unpack
from handlers.common.context import GridContext
from handlers.common.menu import label_filter

PREFIX = "st"  # st:<area id>:<period key>
EXPORT_PREFIX = "ex"  # ex:<area id>:<period key>[:<format>] (handlers/export.py)
PERIOD_FOR = "period_for"  # user_data: what typed dates are for: {"what": ..., "area": id}
MAX_LINES = 10  # areas in each list of the ranking, leaders listed


def _pct(lang: str, rate: float | None) -> str:
    if rate is None:
        return t(lang, "stats.none")
    return t(lang, "stats.percent", value=f"{rate * 100:.1f}")


def _num(value: float | None, lang: str, unit: str) -> str:
    if value is None:
        return t(lang, "stats.none")
    return t(lang, keys.STATS_UNIT(unit), value=f"{value:.1f}")


def period_buttons(
    lang: str, area_id: int, prefix: str = PREFIX
) -> list[list[InlineKeyboardButton]]:
    """The five named periods, as buttons for ``area_id``."""
    buttons = [
        InlineKeyboardButton(
            t(lang, keys.STATS_PRESET(name)), callback_data=pack(prefix, area_id, name)
        )
        for name in stats.PRESETS
    ]
    return [buttons[:3], buttons[3:]]


def period_name(lang: str, period: Period) -> str:
    """How a period is called: its preset's name, or its dates."""
    if period.preset:
        return t(lang, keys.STATS_PRESET(period.preset))
    return f"{period.first:%Y-%m-%d} ~ {period.last:%Y-%m-%d}"


def _case_lines(lang: str, figures: CaseFigures) -> list[str]:
    return [
        t(
            lang,
            "stats.cases_counts",
            reported=figures.reported,
            accepted=figures.accepted,
            rejected=figures.rejected,
            closed=figures.closed,
        ),
        t(
            lang,
            "stats.cases_rates",
            closure=_pct(lang, figures.closure_rate),
            on_time=_pct(lang, figures.on_time_rate),
        ),
        t(
            lang,
            "stats.cases_times",
            accept=_num(figures.accept_hours, lang, "hours"),
            close=_num(figures.close_days_mean, lang, "days"),
        ),
        t(
            lang,
            "stats.cases_quality",
            satisfaction=_pct(lang, figures.satisfaction_rate),
            rated=figures.rated,
            reopen=_pct(lang, figures.reopen_rate),
            supervised=figures.supervised,
        ),
    ]


def _kind_lines(lang: str, result: Stats) -> list[str]:
    sep = "、" if lang == "zh-CN" else ", "
    lines = [
        t(
            lang,
            "stats.by_category",
            list=sep.join(
                t(lang, "stats.category_item", name=t(lang, keys.CATEGORY(c)), count=n)
                for c, n in sorted(result.by_category.items(), key=lambda x: -x[1])
            ),
        )
    ]
    for category in sorted(result.by_category, key=lambda c: -result.by_category[c]):
        kinds = [(k, n) for c, k, n in result.by_kind if c == category]
        lines.append(
            t(
                lang,
                "stats.kinds_of",
                category=t(lang, keys.CATEGORY(category)),
                list=sep.join(
                    t(lang, "stats.kind_item", name=t(lang, keys.SUBCATEGORY(category, k)), count=n)
                    for k, n in kinds
                ),
            )
        )
    lines.append(
        t(
            lang,
            "stats.top_kinds",
            list=sep.join(
                t(
                    lang,
                    "stats.top_item",
                    rank=i,
                    name=t(lang, keys.SUBCATEGORY(c, k)),
                    category=t(lang, keys.CATEGORY(c)),
                    count=n,
                )
                for i, (c, k, n) in enumerate(result.top_kinds, 1)
            ),
        )
    )
    return lines


def _duty_lines(lang: str, result: Stats) -> list[str]:
    d = result.duties
    lines = [
        t(lang, "stats.duties_head"),
        t(lang, "stats.outreach", sessions=d.outreach, households=d.households),
        t(lang, "stats.patrols", count=d.patrols),
        t(
            lang,
            "stats.meetings",
            count=d.meetings,
            checked_in=d.checked_in,
            expected=d.expected,
            rate=_pct(lang, None if not d.expected else d.checked_in / d.expected),
        ),
        t(
            lang,
            "stats.shifts",
            shifts=d.shifts,
            staffed=d.shifts_staffed,
            filled=d.places_filled,
            places=d.places,
        ),
    ]
    if result.notices is not None:
        n = result.notices
        lines.append(
            t(
                lang,
                "stats.notices",
                sent=n.sent,
                relayed=n.relayed,
                rate=_pct(lang, None if not n.sent else n.relayed / n.sent),
            )
        )
    return lines


def _ranking_lines(lang: str, result: Stats, weights: StatsConfig) -> list[str]:
    lines = [
        t(
            lang,
            "stats.ranking_head",
            response=weights.response_weight,
            resolution=weights.resolution_weight,
            satisfaction=weights.satisfaction_weight,
        )
    ]

    def item(rank: int, r: stats.Ranked) -> str:
        return t(
            lang,
            "stats.rank_item",
            rank=rank,
            name=r.area.name,
            score=f"{r.score or 0:.1f}",
            reported=r.figures.reported,
            closure=_pct(lang, r.figures.closure_rate),
            satisfaction=_pct(lang, r.figures.satisfaction_rate),
        )

    scored = [r for r in result.ranking or [] if r.score is not None]
    lines.append(t(lang, "stats.red"))
    lines.extend(item(i, r) for i, r in enumerate(result.top, 1))
    if result.bottom:
        lines.append(t(lang, "stats.black"))
        lines.extend(item(len(scored) - i, r) for i, r in enumerate(result.bottom))
    unscored = [r.area.name for r in result.ranking or [] if r.score is None]
    if unscored:
        sep = "、" if lang == "zh-CN" else ", "
        shown = sep.join(unscored[:MAX_LINES]) + ("…" if len(unscored) > MAX_LINES else "")
        lines.append(t(lang, "stats.no_score", list=shown))
    return lines


def _leader_lines(lang: str, result: Stats) -> list[str]:
    leaders = result.leaders or []
    active = [a for a in leaders if a.total]
    lines = [t(lang, "stats.leaders_head", count=len(leaders))]
    lines.extend(
        t(
            lang,
            "stats.leader_item",
            name=a.name,
            role=t(lang, keys.ROLE(a.role)),
            reports=a.reports,
            outreach=a.outreach,
            patrols=a.patrols,
            checked_in=a.checked_in,
        )
        for a in active[:MAX_LINES]
    )
    if len(active) > MAX_LINES:
        lines.append(t(lang, "stats.leaders_more", count=len(active) - MAX_LINES))
    if len(leaders) > len(active):
        lines.append(t(lang, "stats.leaders_idle", count=len(leaders) - len(active)))
    return lines


def render(lang: str, result: Stats, weights: StatsConfig) -> str:
    """The text of one /stats answer (within Telegram's 4096 characters by construction)."""
    period = result.period
    lines = [
        t(
            lang,
            "stats.title",
            area=result.area.path,
            first=f"{period.first:%Y-%m-%d}",
            last=f"{period.last:%Y-%m-%d}",
            preset=t(lang, "stats.preset_note", name=period_name(lang, period))
            if period.preset
            else "",
        ),
        "",
        t(lang, "stats.cases_head"),
    ]
    if result.cases.reported:
        lines += _case_lines(lang, result.cases)
        lines += _kind_lines(lang, result)
    else:
        lines.append(t(lang, "stats.no_cases"))
    lines += ["", *_duty_lines(lang, result)]
    if result.ranking is not None:
        lines += ["", *_ranking_lines(lang, result, weights)]
    elif result.leaders is not None:
        lines += ["", *_leader_lines(lang, result)]
    text = "\n".join(lines)
    if len(text) > MessageLimit.MAX_TEXT_LENGTH:  # only with absurdly many kinds: cut whole lines
        text = text[: MessageLimit.MAX_TEXT_LENGTH - 1].rsplit("\n", 1)[0]
    return text


def answer_markup(lang: str, area_id: int, period: Period) -> InlineKeyboardMarkup:
    """The buttons under an answer: the periods again, and the export of this one."""
    rows = period_buttons(lang, area_id)
    rows.append(
        [
            InlineKeyboardButton(
                t(lang, "stats.export_button"),
                callback_data=pack(EXPORT_PREFIX, area_id, period.key),
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


async def answer(
    message: Message, context: GridContext, admin: Member, area: Area, period: Period
) -> None:
    """Send the figures of ``area`` for ``period`` to the chat of ``message``, and the chart."""
    runtime = context.runtime
    lang = admin.language
    result = await stats.figures(
        runtime.db, runtime.clock, runtime.config.tz, runtime.config.stats, area, period
    )
    await message.reply_text(
        render(lang, result, runtime.config.stats),
        reply_markup=answer_markup(lang, area.id, period),
    )
    from bot.documents import charts  # matplotlib is loaded at the first chart, not at start-up

    picture = await asyncio.to_thread(charts.stats_chart, result, lang)
    await message.reply_photo(
        picture,
        caption=t(
            lang,
            "stats.chart_caption",
            area=area.name,
            first=f"{period.first:%Y-%m-%d}",
            last=f"{period.last:%Y-%m-%d}",
        ),
    )


async def resolve_area(
    context: GridContext, admin: Member, text: str
) -> tuple[Area | None, str | None]:
    """The area an admin typed (their own if empty), or None and the text of why not."""
    runtime = context.runtime
    lang = admin.language
    own = await area_service.get(runtime.db, admin.area_id)
    assert own is not None
    if not text.strip():
        return own, None
    try:
        area = await area_service.resolve(runtime.db, text)
    except AreaAmbiguous as error:
        listed = join_list(lang, (a.path for a in error.candidates[:5]))
        return None, t(lang, "stats.area_ambiguous", text=text, list=listed)
    except AreaNotFound:
        return None, t(lang, "stats.area_unknown", text=text)
    try:
        stats.check_scope(admin, area)
    except ScopeError as error:
        return None, t(lang, keys.STATS_SCOPE(error.reason), area=admin.area_path)
    return area, None


def preset_named(word: str) -> str | None:
    """The period a word names (本月, "month"...), in any language; None if none."""
    for name in stats.PRESETS:
        if word == name or any(word == t(lang, keys.STATS_PRESET(name)) for lang in LANGUAGES):
            return name
    return None


def split_args(args: list[str]) -> tuple[str, str]:
    """A command's words as (dates, area): the dates are the first two words if they look so."""
    words = list(args)
    if len(words) >= 2 and stats.looks_like_period(" ".join(words[:2])):
        return " ".join(words[:2]), " ".join(words[2:])
    if words and stats.looks_like_period(words[0]):  # two dates written as one word
        return words[0], " ".join(words[1:])
    return "", " ".join(words)


async def show(update: Update, context: GridContext) -> None:
    """/stats [dates] [area] or the 📊 统计 button."""
    message = update.effective_message
    admin = await require_admin(update, context)
    if admin is None or message is None:
        return
    lang = admin.language
    words = list(context.args or [])
    named = preset_named(words[-1]) if words else None  # /stats 本月, /stats 滨河社区 本月
    if named is not None:
        words = words[:-1]
    dates, area_text = split_args(words)
    area, problem = await resolve_area(context, admin, area_text)
    if area is None:
        await message.reply_text(problem or "")
        return
    context.store[PERIOD_FOR] = {"what": "stats", "area": area.id}
    if named is not None:
        runtime = context.runtime
        today = stats.today(runtime.clock, runtime.config.tz)
        await answer(message, context, admin, area, stats.preset(named, today))
        return
    if dates:
        await typed_period(update, context, dates)
        return
    await message.reply_text(
        t(lang, "stats.choose", area=area.path),
        reply_markup=InlineKeyboardMarkup(period_buttons(lang, area.id)),
    )


def period_problem(lang: str, error: PeriodError) -> str:
    """What to say about a period that cannot be counted."""
    return t(lang, keys.STATS_BAD_PERIOD(error.reason))


async def typed_period(update: Update, context: GridContext, text: str | None = None) -> None:
    """Two dates typed by an admin: the figures (or the export) of that period."""
    message = update.effective_message
    admin = await require_admin(update, context)
    if admin is None or message is None:
        return
    runtime = context.runtime
    lang = admin.language
    wanted = context.store.get(PERIOD_FOR)
    what = wanted.get("what") if isinstance(wanted, dict) else "stats"
    area_id = wanted.get("area") if isinstance(wanted, dict) else None
    area = await area_service.get(
        runtime.db, area_id if isinstance(area_id, int) else admin.area_id
    )
    if area is None:
        area = await area_service.get(runtime.db, admin.area_id)
    assert area is not None
    try:
        stats.check_scope(admin, area)
        period = stats.parse_period(
            text or message.text or "", stats.today(runtime.clock, runtime.config.tz)
        )
    except ScopeError as error:
        await message.reply_text(t(lang, keys.STATS_SCOPE(error.reason), area=admin.area_path))
        return
    except PeriodError as error:
        await message.reply_text(period_problem(lang, error))
        return
    if what == "export":
        from handlers import export  # the export's format choice; same package, no cycle at import

        await export.ask_format(message, lang, area, period)
        return
    await answer(message, context, admin, area, period)


async def period_button(update: Update, context: GridContext) -> None:
    """A period button: the figures of that period."""
    pressed = await require_button(update, context, require_admin)
    if pressed is None:
        return
    query, admin = pressed
    runtime = context.runtime
    try:
        area_text, key = unpack(query.data, PREFIX, 2)
        area = await area_service.get(runtime.db, number(area_text))
        if area is None:
            raise BadCallback(area_text)
        period = stats.parse_key(key, stats.today(runtime.clock, runtime.config.tz))
    except (BadCallback, PeriodError):
        await answer_stale(query, admin.language)
        return
    try:
        stats.check_scope(admin, area)
    except ScopeError as error:
        await query.answer(
            t(admin.language, keys.STATS_SCOPE(error.reason), area=admin.area_path), show_alert=True
        )
        return
    await query.answer(
        t(admin.language, "stats.working", period=period_name(admin.language, period))
    )
    context.store[PERIOD_FOR] = {"what": "stats", "area": area.id}
    assert isinstance(query.message, Message)
    await answer(query.message, context, admin, area, period)


async def _typed(update: Update, context: GridContext) -> None:
    await typed_period(update, context)


class _LooksLikePeriod(filters.MessageFilter):
    """A text that is two dates."""

    def filter(self, message: Message) -> bool:
        return bool(message.text) and stats.looks_like_period(message.text or "")


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/stats, its menu button, its period buttons, and typed periods."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("stats", show, filters=private),
        MessageHandler(label_filter("stats"), show),
        CallbackQueryHandler(period_button, pattern=pattern(PREFIX)),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & _LooksLikePeriod(), _typed),
    ]
