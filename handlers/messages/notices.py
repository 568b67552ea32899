"""How notices read, and the notice messages of the outbox (RENDERERS).

The notice itself as a recipient gets it (with ✅ 已传达 or 👌 已读), the reminder before
its deadline and the author's list of who has not confirmed; the admin's list of recent
notices, the progress message (▓▓▓▓░░░░ 52% · 4,310 / 8,290 · 约2分钟) and the coverage
page, each within one message. The callback prefixes of the notice buttons are here
too, since both these messages and the handlers in handlers/notice*.py use them.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Html, join_list, t
from bot.runtime import Runtime
from bot.services import notices as service
from bot.services.duties import HOUSEHOLDS
from bot.services.members import Member
from bot.services.my_cases import local_time
from bot.services.notices import Counts, Draft, Notice, NoticeStatus, Progress
from bot.telegram.outgoing import OutboxRow, Outgoing, Renderer
from handlers.common import text_keys as keys
from handlers.common.callbacks import pack

NEW = "ntn"  # the 写新通知 button


COMPOSE = "ntc"


RECEIVE = "ntr"


CONTROL = "ntp"


VIEW = "ntv"


# What the coverage page may hold: Telegram's 4096, less room for the lines around it.
PAGE_BUDGET = 3500


CHILD_BUTTONS = 20


BAR_CELLS = 8


def local_when(runtime: Runtime, at: str | None) -> str:
    """A stored time as local time, or nothing."""
    return "" if at is None else local_time(at, runtime.config.tz)


def figure(n: int) -> str:
    """A count with thousands separators: 8,290."""
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
        ask = t(lang, "notices.ask_relay_by", deadline=local_when(runtime, deadline))
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


def answer_buttons(lang: str, notice: Notice) -> InlineKeyboardMarkup:
    """The recipient's button: ✅ 已传达 when relaying is asked, else 👌 已读."""
    key, action = ("notices.btn_relayed", "ok") if notice.confirm else ("notices.btn_read", "read")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, key), callback_data=pack(RECEIVE, notice.id, action))]]
    )


def households_buttons(lang: str, notice_id: int) -> InlineKeyboardMarkup:
    """About how many households a leader told (after ✅ 已传达)."""
    buttons = [
        InlineKeyboardButton(
            t(lang, "outreach.households", n=n), callback_data=pack(RECEIVE, notice_id, "h", n)
        )
        for n in HOUSEHOLDS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


def progress_bar(done: int, total: int) -> str:
    """A bar of BAR_CELLS cells, filled as far as ``done`` of ``total``."""
    share = done / total if total else 1.0
    cells = min(BAR_CELLS, int(share * BAR_CELLS))
    return "▓" * cells + "░" * (BAR_CELLS - cells)


def eta_text(lang: str, seconds: int | None) -> str:
    """About how long the rest will take, in words."""
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
        bar=progress_bar(done, counts.total),
        pct=pct,
        done=figure(done),
        total=figure(counts.total),
        eta=eta_text(lang, progress.seconds_left),
    ).rstrip(" ·")
    final = False
    rows: list[list[InlineKeyboardButton]] = []
    if notice.status == NoticeStatus.SENDING:
        state = t(lang, "notices.state_sending")
        rows.append(
            [
                progress_control(lang, notice.id, "pause"),
                progress_control(lang, notice.id, "recall"),
            ],
        )
    elif notice.status == NoticeStatus.PAUSED:
        state = t(lang, "notices.state_paused")
        rows.append(
            [
                progress_control(lang, notice.id, "resume"),
                progress_control(lang, notice.id, "recall"),
            ]
        )
    elif notice.status == NoticeStatus.DONE:
        state = t(lang, "notices.state_done")
        rows.append([coverage_button(lang, notice.id), progress_control(lang, notice.id, "recall")])
        final = True
    else:
        state = t(
            lang,
            "notices.state_recalled",
            stopped=figure(counts.total - counts.sent - counts.failed),
            deleted=figure(progress.deleted),
            sent=figure(counts.sent),
        )
        final = progress.deleted >= counts.sent
    text = t(
        lang,
        "notices.progress",
        title=notice.title,
        line=line,
        failed=figure(counts.failed),
        state=Html(state),
    )
    return text, InlineKeyboardMarkup(rows) if rows else None, final


def progress_control(lang: str, notice_id: int, action: str) -> InlineKeyboardButton:
    """A button on the progress message: pause, resume, recall."""
    return InlineKeyboardButton(
        t(lang, keys.NOTICE_BUTTON(action)), callback_data=pack(CONTROL, notice_id, action)
    )


def coverage_button(lang: str, notice_id: int) -> InlineKeyboardButton:
    """The button that opens a notice's coverage page."""
    return InlineKeyboardButton(
        t(lang, "notices.btn_coverage"), callback_data=pack(VIEW, notice_id, 0)
    )


def coverage_line(lang: str, counts: Counts, confirm: bool) -> str:
    """Sent, read or relayed, households and failed, in one line."""
    return t(
        lang,
        "notices.coverage_counts" if confirm else "notices.coverage_counts_read",
        sent=figure(counts.sent),
        total=figure(counts.total),
        read=figure(counts.read),
        relayed=figure(counts.relayed),
        households=figure(counts.households),
        failed=figure(counts.failed),
    )


# What a notice looks like in each language, made once per notice: a broadcast renders
# the same notice thousands of times, and only its status may change meanwhile.
_RENDERED: dict[tuple[str, int, str, str], Outgoing] = {}


_RENDERED_MAX = 64


async def render_notice(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The notice to one recipient; None while it is paused or once recalled."""
    notice_id = int(row.payload["notice_id"])
    found = await service.status_of(runtime.db, notice_id)
    if found is None or found[0] in (NoticeStatus.PAUSED, NoticeStatus.RECALLED):
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
        reply_markup=answer_buttons(lang, notice),
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
    if notice is None or notice.status == NoticeStatus.RECALLED or row.member_id is None:
        return None
    got = await service.delivery_of(runtime.db, notice.id, row.member_id)
    author = await service.author_of(runtime.db, notice)
    if got is None or got.relayed_at is not None or author is None:
        return None
    text = t(
        lang,
        "notices.reminder",
        deadline=local_when(runtime, notice.deadline_at),
        card=Html(await notice_text(runtime, lang, notice, author)),
    )
    return Outgoing(text=text, reply_markup=answer_buttons(lang, notice))


async def render_unconfirmed(runtime: Runtime, row: OutboxRow, lang: str) -> Outgoing | None:
    """The author's list of who has not confirmed, before the deadline."""
    notice = await service.get(runtime.db, int(row.payload["notice_id"]))
    if notice is None or notice.status == NoticeStatus.RECALLED:
        return None
    people, total = await service.unconfirmed_names(runtime.db, notice.id, 200)
    text = t(
        lang,
        "notices.unconfirmed",
        title=notice.title,
        deadline=local_when(runtime, notice.deadline_at),
        n=figure(total),
        names=Html(names_within(lang, people, total, PAGE_BUDGET - 300)),
    )
    return Outgoing(
        text=text, reply_markup=InlineKeyboardMarkup([[coverage_button(lang, notice.id)]])
    )


RENDERERS: dict[str, Renderer] = {
    service.NOTICE: render_notice,
    service.NOTICE_REMINDER: render_reminder,
    service.NOTICE_UNCONFIRMED: render_unconfirmed,
}


def names_within(lang: str, people: list[tuple[str, str]], total: int, budget: int) -> str:
    """'name（area）、…' within ``budget`` characters, with how many more."""
    shown: list[str] = []
    used = 0
    for name, area in people:
        item = t(lang, "notices.person", name=name, area=area)
        if used + len(item) > budget:
            break
        shown.append(item)
        used += len(item) + 1
    text = join_list(lang, shown) or "-"
    if total > len(shown):
        text += t(lang, "notices.and_more", n=figure(total - len(shown)))
    return text


async def list_view(runtime: Runtime, admin: Member) -> tuple[str, InlineKeyboardMarkup]:
    """The admin's recent notices with their coverage, and 写新通知."""
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
                when=local_when(runtime, notice.created_at),
                state=t(lang, keys.NOTICE_STATUS(notice.status)),
                counts=coverage_line(lang, item.counts, notice.confirm),
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
    rows.append([InlineKeyboardButton(t(lang, "notices.btn_new"), callback_data=pack(NEW))])
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


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
            counts=coverage_line(lang, line.counts, notice.confirm),
        )
        if used + len(item) > PAGE_BUDGET // 2:
            lines.append(t(lang, "notices.more_areas", n=len(covered.lines) - len(lines)))
            break
        lines.append(item)
        used += len(item) + 1
    deadline = (
        t(lang, "notices.coverage_deadline", deadline=local_when(runtime, notice.deadline_at))
        if notice.deadline_at
        else ""
    )
    text = t(
        lang,
        "notices.coverage",
        title=notice.title,
        path=covered.area.path,
        counts=coverage_line(lang, covered.counts, notice.confirm),
        deadline=Html(deadline),
        lines=Html("\n".join(lines) or "-"),
        n=figure(covered.unconfirmed_total),
        names=Html(
            names_within(
                lang, covered.unconfirmed, covered.unconfirmed_total, PAGE_BUDGET - used - 400
            )
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
