"""What the case lifecycle sends: cards (kept in step with the case) to admins, bound
groups and assignees, notices to handlers, the reporter's notices with their answer
buttons, and reminders.

Rendered from outbox rows when they are sent, in the recipient's language. Each
holder's copy of a card has an edit key, so later ``case.update`` rows edit that
message in place and every chat shows the case's current state. A card is drawn for
the chat it is in (a group chat: for its least-privileged audience) and its buttons
are the lifecycle table's actions for the part the holder plays. The buttons carry
the case id and version (``ca:<id>:<version>:<action>``), so a button of an older
state is refused. :func:`card_message` is also used by /cases, /todo and by the
action buttons to redraw a card at once.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import join_list, t
from bot.runtime import Runtime
from bot.services import cases
from bot.services.cases import Card, Case, Viewer
from bot.services.cases.rules import Act, Status, Who
from bot.services.members import Member
from bot.services.notify import TELEGRAM
from bot.telegram.outgoing import (
    BatchRead,
    OutboxRow,
    Outgoing,
    ReadAhead,
    Renderer,
    RenderPass,
    kept_copy_key,
    render_pass,
)
from bot.telegram.texts_fit import fit
from handlers.common import text_keys as keys
from handlers.common.callbacks import pack
from handlers.common.show_all import CARD, TIMELINE, with_show_all
from handlers.messages import case_fields

ADMIN = "ca"  # admins' action buttons: ca:<case>:<version>:<action>[:<arg>]
REPORTER = "cr"  # the reporter's buttons: cr:<case>:<version>:<answer>[:<rating>]

STATUS_ICON: dict[str, str] = {
    Status.NEW: "🆕",
    Status.ACCEPTED: "✅",
    Status.IN_PROGRESS: "🔧",
    Status.RESOLVED: "🏁",
    Status.CLOSED: "📁",
    Status.REJECTED: "🚫",
}


def edit_key(case_id: int, recipient: str) -> str:
    """The key under which a holder's copy of a case's alert is kept for editing."""
    return cases.copy_key(case_id, recipient)


def fitted_card(
    runtime: Runtime, card: Card, lang: str, viewer: Viewer
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A holder's card as sent: fitted text, and its buttons (📄 查看全文 if shortened)."""
    fitted = fit(whole_card_text(runtime, card, lang, viewer))
    markup = card_buttons(card, lang, viewer)
    if fitted.shortened:
        markup = with_show_all(markup, lang, CARD, card.view.case.id)
    return fitted.text, markup


def whole_card_text(runtime: Runtime, card: Card, lang: str, viewer: Viewer) -> str:
    """The text of a case's card for one holder, every field whole (may be too long),
    rendered for the chat it is in."""
    case = card.view.case
    reporter = card.view.reporter
    to_db_now = cases.stamp(runtime.clock)
    lines = [
        t(
            lang,
            "handling.card.title",
            icon=STATUS_ICON.get(case.status, ""),
            number=case.number,
            urgency=t(lang, "urgency.urgent" if case.urgent else "urgency.normal"),
            status=t(lang, keys.STATUS(case.status)),
        ),
        *_assigned_to_you(card, lang, viewer),
        t(
            lang,
            "handling.card.category",
            category=t(lang, keys.CATEGORY(case.category)),
            kind=t(lang, keys.SUBCATEGORY(case.category, case.subcategory)),
        ),
        *_parties(card, lang),
        t(
            lang,
            "handling.card.description",
            description=case_fields.description(card.view, lang, voice_key="handling.card.voice"),
        ),
        t(lang, "handling.card.place", place=case_fields.place(card.view, lang)),
    ]
    if case.anonymous and not viewer.full_phone:
        # An opinion given in confidence: only the reporter's own community knows who.
        lines.append(t(lang, "handling.card.anonymous"))
    elif reporter is not None:
        phone = reporter.phone if viewer.full_phone else cases.masked_phone(reporter.phone)
        lines.append(t(lang, "handling.card.reporter", name=reporter.name, phone=phone or "-"))
        lines.extend(_anonymous_marker(card, lang))
    lines.extend(_handling(card, lang))
    if card.assignee:
        lines.append(t(lang, "handling.card.assignee", name=card.assignee))
    due = cases.overdue_since(case)
    if due is not None:
        shown = cases.local_time(due, runtime.config.tz)
        late = t(lang, "handling.card.overdue") if cases.is_overdue(case, to_db_now) else ""
        stage = "accept" if case.status == Status.NEW else "resolve"
        lines.append(t(lang, keys.CARD_DUE(stage), due=shown) + late)
    if case.resolution:
        # Reopened (the reporter said it is not fixed): the last result, said as such.
        reopened = case.status in (Status.ACCEPTED, Status.IN_PROGRESS)
        key = "handling.card.last_resolution" if reopened else "handling.card.resolution"
        lines.append(t(lang, key, text=case.resolution))
    if card.mediation is not None:
        lines.append(
            t(
                lang,
                "handling.card.mediation",
                agreement=card.mediation.agreement,
                fulfilment=card.mediation.fulfilment,
            )
        )
    if case.status == Status.REJECTED and case.reject_reason:
        reason, _, detail = case.reject_reason.partition(": ")
        lines.append(
            t(lang, "handling.card.rejected", reason=detail or t(lang, keys.REJECT_REASON(reason)))
        )
    if case.rating:
        lines.append(t(lang, "handling.card.rating", rating=t(lang, keys.RATING(case.rating))))
    lines.extend(_notes(card, lang, viewer))
    return "\n".join(lines)


def _assigned_to_you(card: Card, lang: str, viewer: Viewer) -> list[str]:
    """A line telling the assignee the case is theirs to do."""
    if Who.ASSIGNEE in viewer.parts and card.view.case.status == Status.IN_PROGRESS:
        return [t(lang, "handling.card.yours")]
    return []


def _parties(card: Card, lang: str) -> list[str]:
    """The dispute's parties, as the reporter gave them."""
    parties = card.view.case.details.get("parties")
    return [t(lang, "handling.card.parties", parties=str(parties))] if parties else []


def _anonymous_marker(card: Card, lang: str) -> list[str]:
    """🙈 for admins who see the name of a reporter who asked to stay anonymous."""
    return [t(lang, "handling.card.anonymous_asked")] if card.view.case.anonymous else []


def _handling(card: Card, lang: str) -> list[str]:
    """Who handles the case, and who supervises it (督办)."""
    lines = [t(lang, "handling.card.area", area=card.responsible.path)]
    if card.supervisors and card.view.case.status in cases.OPEN:
        names = join_list(lang, (a.name for a in card.supervisors))
        lines.append(t(lang, "handling.card.supervised", areas=names))
    return lines


def _notes(card: Card, lang: str, viewer: Viewer) -> list[str]:
    """The latest internal notes: for handlers and the assignee, never in a group chat."""
    if not viewer.internal:
        return []
    return [t(lang, "handling.card.note", text=text) for text in card.notes]


# The button of each action on a card (those that need more open a keyboard or a question).
ACT_BUTTONS: dict[Act, str] = {
    Act.ACCEPT: "accept",
    Act.REJECT: "reject",
    Act.ASSIGN: "assign",
    Act.RESOLVE: "resolve",
    Act.RETURN: "return",
    Act.NOTE: "note",
    Act.ESCALATE: "escalate",
    Act.URGE: "urge",
    Act.TAKE_OVER: "takeover",
    Act.SEND_BACK: "sendback",
}


def card_buttons(card: Card, lang: str, viewer: Viewer) -> InlineKeyboardMarkup | None:
    """The action buttons of a case's card: the lifecycle table's actions for this holder."""
    case = card.view.case
    acts = [a for a in viewer.acts(case) if a in ACT_BUTTONS]
    if card.at_top:
        acts = [a for a in acts if a is not Act.ESCALATE]
    if not acts:
        return None

    def button(act: Act) -> InlineKeyboardButton:
        action = ACT_BUTTONS[act]
        return InlineKeyboardButton(
            t(lang, keys.CASE_BUTTON(action)),
            callback_data=pack(ADMIN, case.id, case.version, action),
        )

    buttons = [button(a) for a in acts]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def card_message(
    runtime: Runtime, case_id: int, lang: str, *, member: Member | None, recipient: str
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """A case's card (text and buttons) for one chat; None if there is no case.

    ``member`` is the holder in a private chat; None draws it for the group ``recipient``.
    """
    drawn = await drawn_card(runtime, case_id, lang, member=member, recipient=recipient)
    return None if drawn is None else (drawn[1], drawn[2])


async def drawn_card(
    runtime: Runtime,
    case_id: int,
    lang: str,
    *,
    member: Member | None,
    recipient: str,
    fresh: int | None = None,
) -> tuple[Card, str, InlineKeyboardMarkup | None] | None:
    """:func:`card_message` with the card it was drawn from (what it shows, up to which
    event); None if there is no case. ``fresh``: the version an action just committed
    (the card it drew is taken, see ``cases.read_card``)."""
    card = await cases.read_card(runtime.db, case_id, fresh=fresh)
    if card is None:
        return None
    viewer = await cases.viewer(runtime.db, card, member, recipient)
    return (card, *fitted_card(runtime, card, lang, viewer))


async def whole_card(
    runtime: Runtime, case_id: int, lang: str, *, member: Member | None, recipient: str
) -> str | None:
    """A case's card as one holder sees it, every field whole; None if there is no case."""
    card = await cases.read_card(runtime.db, case_id)
    if card is None:
        return None
    viewer = await cases.viewer(runtime.db, card, member, recipient)
    return whole_card_text(runtime, card, lang, viewer)


async def _alert(
    runtime: Runtime, row: OutboxRow, language: str, *, first: bool
) -> Outgoing | None:
    case_id = int(row.payload["case_id"])
    # One read of the card for the batch's rows, one drawing per audience (language and
    # rights: a group is drawn for its least-privileged member), not one per recipient.
    batch = render_pass()
    card = await _card(runtime, batch, case_id)
    if card is None:
        return None
    if row.member_id is None:
        viewer = await cases.viewer(runtime.db, card, None, row.recipient)
    else:
        holder = batch.members.get(row.member_id)  # None: no such member any more
        viewer = cases.NOBODY
        if holder is not None:
            viewer = await cases.viewer(runtime.db, card, holder, row.recipient)
    text, markup = batch.drawn(
        ("case.card drawn", case_id, language, viewer),
        lambda: fitted_card(runtime, card, language, viewer),
    )
    key = edit_key(case_id, row.recipient) if row.channel == TELEGRAM else None
    if not first:
        return Outgoing(text=text, reply_markup=markup, edit_key=key, edit_only=True)
    return Outgoing(
        text=text,
        reply_markup=markup,
        photos=card.view.photo_ids,
        voice=card.view.case.voice_file_id,
        edit_key=key,
        location=_pin(card),
    )


async def _card(runtime: Runtime, batch: RenderPass, case_id: int) -> Card | None:
    """The case's card, read once for the delivery batch (ahead of it: :data:`BATCH_READS`)."""
    return await batch.once(("case.card", case_id), lambda: cases.read_card(runtime.db, case_id))


async def _case(runtime: Runtime, batch: RenderPass, case_id: int) -> Case | None:
    """The case alone, read once for the delivery batch (ahead of it: :data:`BATCH_READS`)."""
    return await batch.once(("case", case_id), lambda: cases.get(runtime.db, case_id))


def _card_ahead(row: OutboxRow) -> list[ReadAhead]:
    """An alert's card, and the copy it edits (if one is kept)."""
    case_id = int(row.payload["case_id"])
    card: ReadAhead = (("case.card", case_id), lambda q: cases.card(q, case_id))
    if row.channel != TELEGRAM:
        return [card]
    key = edit_key(case_id, row.recipient)
    return [card, (kept_copy_key(key), lambda q: cases.kept_copy(q, key))]


def _notice_ahead(row: OutboxRow) -> list[ReadAhead]:
    case_id = int(row.payload["case_id"])
    return [(("case.card", case_id), lambda q: cases.card(q, case_id))]


def _case_ahead(row: OutboxRow) -> list[ReadAhead]:
    case_id = int(row.payload["case_id"])
    return [(("case", case_id), lambda q: cases.get(q, case_id))]


async def render_voice(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """A voice message of the report after the first, with a line saying whose it is."""
    case = await _case(runtime, render_pass(), int(row.payload["case_id"]))
    voices = case.details.get("voices") if case is not None else None
    index = int(row.payload["index"])
    if case is None or not isinstance(voices, list) or not 0 <= index < len(voices):
        return None
    total = len(voices) + (1 if case.voice_file_id else 0)
    text = t(
        language,
        "handling.card.more_voice",
        number=case.number,
        n=total - len(voices) + index + 1,
        total=total,
    )
    return Outgoing(text=text, voice=str(voices[index]["file_id"]))


def _pin(card: Card) -> tuple[float, float] | None:
    """The shared location of the report, sent as a real pin under the alert."""
    case = card.view.case
    if case.latitude is None or case.longitude is None:
        return None
    return (case.latitude, case.longitude)


async def render_new_case(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """The first alert of a case (new, or escalated to this level): photos, card, voice."""
    return await _alert(runtime, row, language, first=True)


async def render_update(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """An edit of a holder's copy, showing the case as it is now."""
    return await _alert(runtime, row, language, first=False)


async def render_notice(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """A short message to handlers: supervised, urged, taken over, sent back, reopened,
    assigned to you, reassigned, returned by the assignee."""
    card = await _card(runtime, render_pass(), int(row.payload["case_id"]))
    if card is None:
        return None
    case = card.view.case
    event = str(row.payload["event"])
    values = {k: v for k, v in row.payload.items() if k not in ("case_id", "event")}
    kind = t(language, keys.SUBCATEGORY(case.category, case.subcategory))
    if event == "supervised":
        key = "supervised_by_time" if row.payload.get("by_time") else "supervised"
    elif event in NOTICE_EVENTS:
        key = event
    else:
        return None
    values.pop("by_time", None)
    voice = values.pop("voice", None)
    values.pop("voice_duration", None)
    if voice is not None and not values.get("reason"):
        values["reason"] = t(language, "handling.notice.spoken_reason")
    text = t(language, keys.CASE_NOTICE(key), number=case.number, kind=kind, **values)
    return Outgoing(text=text, voice=str(voice) if voice is not None else None)


NOTICE_EVENTS = frozenset(
    {"urged", "taken_over", "sent_back", "reopened", "assigned_to_you", "reassigned", "returned"}
)


async def render_todo(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """The assignee's reminder that a case's limit is near (only while it is still theirs)."""
    case = await cases.get(runtime.db, int(row.payload["case_id"]))
    if case is None or case.status != Status.IN_PROGRESS or case.assignee_id != row.member_id:
        return None
    due = cases.overdue_since(case)
    return Outgoing(
        t(
            language,
            "handling.notice.todo_reminder",
            number=case.number,
            kind=t(language, keys.SUBCATEGORY(case.category, case.subcategory)),
            due=cases.local_time(due, runtime.config.tz) if due else "-",
        )
    )


def rating_buttons(case_id: int, version: int, lang: str) -> InlineKeyboardMarkup:
    """The reporter's rating buttons of a closed case (满意, 基本满意, 不满意)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, keys.RATING(r.value)),
                    callback_data=pack(REPORTER, case_id, version, "rate", r.value),
                )
                for r in cases.Rating
            ]
        ]
    )


def _answer_buttons(case_id: int, version: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "handling.button.fixed"),
                    callback_data=pack(REPORTER, case_id, version, "fixed"),
                ),
                InlineKeyboardButton(
                    t(lang, "handling.button.not_fixed"),
                    callback_data=pack(REPORTER, case_id, version, "not_fixed"),
                ),
            ]
        ]
    )


async def render_reporter(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """What the reporter is told; on resolution and closing, with their answer buttons."""
    case = await _case(runtime, render_pass(), int(row.payload["case_id"]))
    if case is None:
        return None
    event = str(row.payload["event"])
    kind = t(language, keys.SUBCATEGORY(case.category, case.subcategory))
    lang = language
    if event == "rejected":
        reason = row.payload.get("text") or t(lang, keys.REJECT_REASON(row.payload["reason"]))
        return Outgoing(
            t(lang, "handling.reporter.rejected", number=case.number, kind=kind, reason=reason)
        )
    if event == "assigned":
        return Outgoing(
            t(
                lang,
                "handling.reporter.assigned",
                number=case.number,
                name=row.payload.get("assignee", ""),
            )
        )
    if event in ("supervised", "urged", "taken_over", "sent_back", "escalated"):
        # In plain words: which office now looks after it ("街道已督促社区尽快处理").
        return Outgoing(
            t(
                lang,
                keys.TO_REPORTER(event),
                number=case.number,
                kind=kind,
                area=row.payload.get("area", row.payload.get("to_area", "")),
                handler=row.payload.get("handler", ""),
            )
        )
    if event in ("resolved", "verify_reminder"):
        if case.status != Status.RESOLVED:
            return None  # answered or closed meanwhile: nothing to ask any more
        key = (
            "handling.reporter.resolved"
            if event == "resolved"
            else "handling.reporter.verify_reminder"
        )
        text = t(
            lang, key, number=case.number, kind=kind, resolution=row.payload.get("resolution", "")
        )
        return Outgoing(text, reply_markup=_answer_buttons(case.id, case.version, lang))
    if event == "closed":
        if row.payload.get("by_reporter"):
            text = t(lang, "handling.reporter.closed", number=case.number)
        else:
            text = t(
                lang,
                "handling.reporter.closed_auto",
                number=case.number,
                days=runtime.config.cases.auto_close_days,
            )
        markup = None if case.rating else rating_buttons(case.id, case.version, lang)
        return Outgoing(text, reply_markup=markup)
    return Outgoing(t(lang, keys.TO_REPORTER(event), number=case.number, kind=kind))


async def render_revisit(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """回访: remind the mediator to visit the parties of a settled dispute again."""
    case_id = int(row.payload["case_id"])
    case = await cases.get(runtime.db, case_id)
    record = await cases.mediation_of(runtime.db, case_id)
    if case is None or record is None:
        return None
    # 📂 opens the whole case (its card, with whatever may still be done on it).
    open_card = InlineKeyboardButton(
        t(language, "handling.button.open"),
        callback_data=pack(ADMIN, case.id, case.version, "open"),
    )
    return Outgoing(
        t(
            language,
            "handling.notice.revisit",
            number=case.number,
            days=runtime.config.cases.revisit_days,
            parties=record.parties,
            agreement=record.agreement,
        ),
        reply_markup=InlineKeyboardMarkup([[open_card]]),
    )


async def render_blocked(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
    """Tell an admin that one of their members blocked the bot."""
    member = await cases.member(runtime.db, int(row.payload["member_id"]))
    if member is None:
        return None
    return Outgoing(
        t(
            language,
            "handling.notice.blocked",
            name=member.name,
            role=t(language, keys.ROLE(member.role)),
            area=member.area_path,
        )
    )


def fitting(render: Renderer, what: str | None) -> Renderer:
    """``render`` with its text made to fit; when shortened, 📄 查看全文 shows ``what``.

    ``what`` is the whole view of the row's case its recipient may see: the card for
    admins, the timeline for the reporter (None: no button).
    """

    async def fitted(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing | None:
        outgoing = await render(runtime, row, language)
        if outgoing is None:
            return None
        shortened = fit(outgoing.text)
        if not shortened.shortened:
            return outgoing
        markup = outgoing.reply_markup
        if what is not None and "case_id" in row.payload:
            markup = with_show_all(markup, language, what, int(row.payload["case_id"]))
        return replace(outgoing, text=shortened.text, reply_markup=markup)

    return fitted


RENDERERS: dict[str, Renderer] = {
    cases.CASE_NEW: render_new_case,
    cases.CASE_ALERT: render_new_case,
    cases.CASE_UPDATE: render_update,
    cases.CASE_VOICE: render_voice,
    cases.CASE_NOTICE: fitting(render_notice, CARD),
    cases.CASE_REPORTER: fitting(render_reporter, TIMELINE),
    cases.CASE_REVISIT: fitting(render_revisit, CARD),
    cases.CASE_TODO: fitting(render_todo, CARD),
    cases.MEMBER_BLOCKED: fitting(render_blocked, None),
}

# What those renderers read, read ahead for the whole delivery batch (bot/telegram/outgoing).
BATCH_READS: dict[str, BatchRead] = {
    cases.CASE_NEW: _card_ahead,
    cases.CASE_ALERT: _card_ahead,
    cases.CASE_UPDATE: _card_ahead,
    cases.CASE_NOTICE: _notice_ahead,
    cases.CASE_VOICE: _case_ahead,
    cases.CASE_REPORTER: _case_ahead,
}
