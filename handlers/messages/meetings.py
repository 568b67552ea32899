"""How meetings read, and the meeting messages of the outbox (RENDERERS).

A meeting's card (title, local time with the weekday, place, area), the answer buttons
(参加/请假), the admin's summary of the answers within one message and the answers in
full; and the messages bot/services/meetings.py queues: the reminder, the summary, the
notices that a meeting was cancelled or changed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Html, escape, join_list, t
from bot.runtime import Runtime
from bot.services import meetings
from bot.services.meetings import OccurrenceView
from bot.services.members import Member
from bot.telegram.outgoing import OutboxRow, Outgoing, Renderer
from handlers.common import text_keys as keys
from handlers.common.callbacks import pack

PREFIX = "mt"  # buttons on meeting messages: mt:<action>:<occurrence id>


def when(lang: str, tz: ZoneInfo, moment: datetime) -> str:
    """A moment in local time, with the weekday: '2026-06-16 (周二) 19:30'."""
    local = moment.astimezone(tz)
    weekday = t(lang, keys.WEEKDAY(local.weekday()))
    return f"{local:%Y-%m-%d} ({weekday}) {local:%H:%M}"


def _card(lang: str, tz: ZoneInfo, current: OccurrenceView) -> str:
    return t(
        lang,
        "meetings.card",
        title=current.series.title,
        when=when(lang, tz, current.starts),
        place=current.place or "-",
        area=current.area_path,
    )


# The summary fits one message by construction: at most MAX_NAMES names per answer and
# MAX_EXCUSES reasons, each cut to REASON_CHARS (names are at most 32 characters, the
# card a few hundred). Whatever is cut is in the full answers (📄 button, FULL_CHUNK
# characters a message).
MAX_NAMES = 25


MAX_EXCUSES = 10


REASON_CHARS = 60


FULL_CHUNK = 3500


def _names(lang: str, members: list[Member]) -> tuple[str, bool]:
    shown = join_list(lang, (m.name for m in members[:MAX_NAMES])) or "-"
    cut = len(members) > MAX_NAMES
    if cut:
        shown += t(lang, "meetings.and_more", n=len(members) - MAX_NAMES)
    return shown, cut


def _short(text: str) -> tuple[str, bool]:
    flat = " ".join(text.split())
    if len(flat) <= REASON_CHARS:
        return flat, False
    return flat[: REASON_CHARS - 1] + "…", True


async def summary_message(
    runtime: Runtime, lang: str, occurrence_id: int
) -> tuple[str | None, InlineKeyboardMarkup | None]:
    """The answers so far for an occurrence, for its admin, within one message.

    Long reasons and long lists are shortened; then a button sends the answers in full.
    """
    current = await meetings.view(runtime.db, occurrence_id)
    if current is None:
        return None, None
    got = await meetings.summary(runtime.db, occurrence_id)
    lines: list[str] = []
    cut = len(got.excused) > MAX_EXCUSES
    for m, reason in got.excused[:MAX_EXCUSES]:
        short, was_cut = _short(reason or "-")
        cut = cut or was_cut
        lines.append(t(lang, "meetings.summary_excused_line", name=m.name, reason=short))
    if len(got.excused) > MAX_EXCUSES:
        lines.append(t(lang, "meetings.and_more", n=len(got.excused) - MAX_EXCUSES))
    attending, cut_a = _names(lang, got.attending)
    unanswered, cut_u = _names(lang, got.unanswered)
    text = t(
        lang,
        "meetings.summary",
        card=Html(_card(lang, runtime.config.tz, current)),
        attending=len(got.attending),
        attending_names=attending,
        excused=len(got.excused),
        excused_lines=Html("\n".join(lines) or "-"),
        unanswered=len(got.unanswered),
        unanswered_names=unanswered,
        checked_in=len(got.checked_in),
    )
    markup = None
    if cut or cut_a or cut_u:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t(lang, "meetings.btn_full_answers"),
                        callback_data=pack(PREFIX, "f", occurrence_id),
                    )
                ]
            ]
        )
    return text, markup


async def full_answers(runtime: Runtime, lang: str, occurrence_id: int) -> list[str]:
    """Every answer in full, every name and reason uncut, in messages that each fit."""
    current = await meetings.view(runtime.db, occurrence_id)
    if current is None:
        return []
    got = await meetings.summary(runtime.db, occurrence_id)
    # (visible length, HTML) of each line: user text escaped, counted as the user sees it.
    lines: list[tuple[int, str]] = []

    def head(key: str, count: int) -> None:
        text = t(lang, key, count=count)
        lines.append((len(text), text))

    def plain(text: str) -> None:
        lines.append((len(text), escape(text)))

    lines.append((len(current.series.title), escape(current.series.title)))
    head("meetings.full_attending", len(got.attending))
    for m in got.attending:
        plain(f"· {m.name}")
    head("meetings.full_excused", len(got.excused))
    for m, reason in got.excused:
        plain(f"· {m.name}：{reason or '-'}")
    head("meetings.full_unanswered", len(got.unanswered))
    for m in got.unanswered:
        plain(f"· {m.name}")
    parts: list[str] = []
    chunk: list[str] = []
    size = 0
    for length, line in lines:
        if chunk and size + length + 1 > FULL_CHUNK:
            parts.append("\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line)
        size += length + 1
    if chunk:
        parts.append("\n".join(chunk))
    return parts


def answer_buttons(
    lang: str, occurrence_id: int, answered: str | None = None
) -> list[InlineKeyboardButton]:
    """参加/请假; for someone who answered, only the button that changes their answer."""
    attend = InlineKeyboardButton(
        t(lang, "meetings.btn_attend" if answered is None else "meetings.btn_change_to_attend"),
        callback_data=pack(PREFIX, "a", occurrence_id),
    )
    excuse = InlineKeyboardButton(
        t(lang, "meetings.btn_excuse" if answered is None else "meetings.btn_change_to_excuse"),
        callback_data=pack(PREFIX, "x", occurrence_id),
    )
    if answered == "attend":
        return [excuse]
    if answered == "excused":
        return [attend]
    return [attend, excuse]


def _ask(lang: str, answered: str | None) -> Html:
    """What a reminder or notice asks: will you come, or (answered) your answer, to change."""
    if answered is None:
        return Html(t(lang, "meetings.ask_attend"))
    state = Html(t(lang, keys.MEETING_STATE(answered)))
    return Html(t(lang, "meetings.ask_answered", answer=state))


async def _with_answer_buttons(
    runtime: Runtime, row: OutboxRow, lang: str, key: str, **values: object
) -> Outgoing | None:
    """The text ``key`` around the card, asking the recipient (or showing their answer).

    Someone who has answered is told their answer and offered the button that changes
    it, instead of being asked again. None once the meeting is cancelled.
    """
    current = await meetings.view(runtime.db, int(row.payload["occurrence_id"]))
    if current is None or current.cancelled:
        return None
    got = await meetings.answer_of(runtime.db, current.occurrence.id, row.member_id)
    answered = got.answer if got is not None else None
    text = t(
        lang,
        key,
        card=Html(_card(lang, runtime.config.tz, current)),
        ask=_ask(lang, answered),
        **values,
    )
    buttons = answer_buttons(lang, current.occurrence.id, answered)
    return Outgoing(text=text, reply_markup=InlineKeyboardMarkup([buttons]))


async def render_reminder(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """A reminder: will you come (or your answer, to change); None if cancelled meanwhile."""
    return await _with_answer_buttons(runtime, row, lang, "meetings.reminder")


async def render_summary(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The admin's summary of answers before the meeting."""
    occurrence_id = int(row.payload["occurrence_id"])
    current = await meetings.view(runtime.db, occurrence_id)
    if current is None or current.cancelled:
        return None
    text, more = await summary_message(runtime, lang, occurrence_id)
    return None if text is None else Outgoing(text=text, reply_markup=more)


async def render_cancelled(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The notice that an occurrence or a whole series is cancelled."""
    current = await meetings.view(runtime.db, int(row.payload["occurrence_id"]))
    if current is None:
        return None
    key = "meetings.series_cancelled" if row.payload.get("series") else "meetings.cancelled_notice"
    return Outgoing(text=t(lang, key, card=Html(_card(lang, runtime.config.tz, current))))


async def render_changed(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The notice of a change, saying what changed: this meeting's time, the series' time
    of day, or the place (a new place is not announced as 改期)."""
    what = row.payload.get("what")
    old = str(row.payload.get("old") or "")
    if what == "time":
        old_text = when(lang, runtime.config.tz, meetings.stored_moment(old)) if old else "-"
        return await _with_answer_buttons(runtime, row, lang, "meetings.changed_time", old=old_text)
    if what == "series_time":
        return await _with_answer_buttons(
            runtime, row, lang, "meetings.changed_series_time", old=old or "-"
        )
    if what == "place":
        return await _with_answer_buttons(
            runtime, row, lang, "meetings.changed_place", old=old or "-"
        )
    # queued by an older version, which did not say what changed
    return await _with_answer_buttons(runtime, row, lang, "meetings.changed_notice")


RENDERERS: dict[str, Renderer] = {
    meetings.MEETING_REMINDER: render_reminder,
    meetings.MEETING_SUMMARY: render_summary,
    meetings.MEETING_CANCELLED: render_cancelled,
    meetings.MEETING_CHANGED: render_changed,
}
