"""How duty shifts read, and the shift messages of the outbox (RENDERERS).

A shift's line (post, day, hours, people on it of those needed) and its roster, the
buttons on a shift, and the messages bot/services/shifts.py queues: the reminder
before a shift, the unstaffed-shift alert, the notices of being put on or taking
oneself off a shift.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Html, join_list, t
from bot.runtime import Runtime
from bot.services import shifts
from bot.services.shifts import Shift
from bot.telegram.outgoing import OutboxRow, Outgoing, Renderer
from handlers.common.callbacks import pack

PREFIX = "sf"


def shift_line(lang: str, runtime: Runtime, shift: Shift) -> Html:
    """One shift: post, local day and hours, people on it of those needed.

    Already HTML (the post name escaped here, once): put it into other texts as it is.
    """
    starts, ends = shifts.local_times(shift, runtime.config.tz)
    return Html(
        t(
            lang,
            "shifts.line",
            post=shift.post_name,
            day=f"{starts:%Y-%m-%d}",
            start=f"{starts:%H:%M}",
            end=f"{ends:%H:%M}",
            staffed=len(shift.staff),
            needed=shift.needed,
        )
    )


async def admin_line(lang: str, runtime: Runtime, shift: Shift) -> Html:
    """A shift as its admin sees it: the line and who signed up (or was put on it)."""
    people = await shifts.roster(runtime.db, shift)
    names = join_list(lang, (p.name for p in people))
    return Html(
        shift_line(lang, runtime, shift)
        + "\n"
        + t(lang, "shifts.roster", names=names or t(lang, "shifts.nobody_yet"))
    )


async def _render(runtime: Runtime, row: OutboxRow, lang: str, key: str) -> Outgoing | None:
    shift = await shifts.get(runtime.db, int(row.payload["shift_id"]))
    if shift is None:
        return None
    return Outgoing(text=t(lang, key, shift=shift_line(lang, runtime, shift)))


async def render_reminder(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The reminder before a member's shift; None if they withdrew meanwhile."""
    shift = await shifts.get(runtime.db, int(row.payload["shift_id"]))
    if shift is None or row.member_id not in shift.staff:
        return None
    return Outgoing(text=t(lang, "shifts.reminder", shift=shift_line(lang, runtime, shift)))


async def render_unstaffed(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The admin's alert for a shift still short of people; None once it is staffed."""
    shift = await shifts.get(runtime.db, int(row.payload["shift_id"]))
    if shift is None or shift.open_places == 0:
        return None
    return Outgoing(text=t(lang, "shifts.unstaffed", shift=shift_line(lang, runtime, shift)))


async def render_assigned(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The notice to a member an admin put on a shift, with a button to withdraw."""
    shift = await shifts.get(runtime.db, int(row.payload["shift_id"]))
    if shift is None:
        return None
    return Outgoing(
        text=t(lang, "shifts.assigned", shift=shift_line(lang, runtime, shift)),
        reply_markup=InlineKeyboardMarkup(
            [[shift_button(lang, "shifts.btn_withdraw", "wd", shift.id)]]
        ),
    )


async def render_withdrawn(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The admin's notice that someone took themselves off a shift."""
    shift = await shifts.get(runtime.db, int(row.payload["shift_id"]))
    who = await shifts.member(runtime.db, int(row.payload["member_id"]))
    if shift is None or who is None:
        return None
    text = t(lang, "shifts.withdrawn", name=who.name, shift=await admin_line(lang, runtime, shift))
    markup = None
    if shift.open_places:
        markup = InlineKeyboardMarkup([[shift_button(lang, "shifts.btn_assign", "pick", shift.id)]])
    return Outgoing(text=text, reply_markup=markup)


RENDERERS: dict[str, Renderer] = {
    shifts.SHIFT_REMINDER: render_reminder,
    shifts.SHIFT_UNSTAFFED: render_unstaffed,
    shifts.SHIFT_ASSIGNED: render_assigned,
    shifts.SHIFT_WITHDRAWN: render_withdrawn,
}


def shift_button(lang: str, key: str, *parts: str | int, **values: object) -> InlineKeyboardButton:
    """A button on a shift: its label in ``lang``, its callback data under PREFIX."""
    return InlineKeyboardButton(t(lang, key, **values), callback_data=pack(PREFIX, *parts))
