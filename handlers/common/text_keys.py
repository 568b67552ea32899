"""Catalogue keys built at run time (``status.<status>``, ``category.<category>``, ...).

A handler never builds a key with an f-string: it calls the family of the prefix
(``STATUS(case.status)``), and each family says which values it takes, over the enum or
the constant they come from. So every key a handler may ask for is enumerable, and
``tests/project/test_catalogues.py`` checks that each exists in every language before a
member ever meets a KeyError.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

from bot.services import digest, duties, exports, notices, stats
from bot.services.cases import Rating, Refusal, RejectReason
from bot.services.cases.rules import Status
from bot.services.categories import SUBCATEGORIES, Category
from bot.services.grid import Role
from bot.services.invites import InviteExpired, InviteUnknown, InviteUsed
from bot.services.notices import NoticeStatus

Values = Callable[[], Iterable[object]]


class KeyFamily:
    """The keys ``template.format(value, ...)`` for the values (or tuples) ``values`` yields."""

    def __init__(self, template: str, values: Values) -> None:
        self.template = template
        self._values = values
        FAMILIES.append(self)

    def __call__(self, *parts: object) -> str:
        """The key for ``parts`` (one per ``{}`` of the template)."""
        return self.template.format(*(str(p) for p in parts))

    def keys(self) -> list[str]:
        """Every key of the family."""
        found = []
        for value in self._values():
            parts = value if isinstance(value, tuple) else (value,)
            found.append(self(*parts))
        return found

    def __repr__(self) -> str:
        return f"KeyFamily({self.template!r})"


FAMILIES: list[KeyFamily] = []


def _menu_keys() -> Iterable[str]:
    from handlers.common.menu import ITEMS  # the menu imports this module

    return [item.key for item in ITEMS]


def _case_buttons() -> Iterable[str]:
    from handlers.messages.case_cards import ACT_BUTTONS  # the cards import this module

    # The lifecycle's actions, and the buttons of the steps between them.
    steps = ("back", "confirm_escalate", "fixed", "more", "not_fixed", "skip")
    return [*ACT_BUTTONS.values(), *steps]


def _command_names() -> Iterable[str]:
    from handlers.common.commands import COMMANDS  # the commands import this module

    return [command.name for command in COMMANDS]


# Domain vocabularies, over their enums.
STATUS = KeyFamily("status.{}", lambda: Status)
CATEGORY = KeyFamily("category.{}", lambda: Category)
SUBCATEGORY = KeyFamily(
    "subcategory.{}.{}",
    lambda: [(c.value, kind) for c, kinds in SUBCATEGORIES.items() for kind in kinds],
)
ROLE = KeyFamily("role.{}", lambda: Role)
RATING = KeyFamily("rating.{}", lambda: Rating)
REJECT_REASON = KeyFamily("handling.reason.{}", lambda: RejectReason)
REFUSED = KeyFamily("handling.refused.{}", lambda: Refusal)
WEEKDAY = KeyFamily("meetings.weekday.{}", lambda: range(7))
TOPIC = KeyFamily("outreach.topic.{}", lambda: duties.TOPICS)
NOTICE_STATUS = KeyFamily("notices.status.{}", lambda: NoticeStatus)
NOTICE_ROLE = KeyFamily("notices.role.{}", lambda: notices.ROLE_CHOICES)
NOTICE_DEADLINE = KeyFamily("notices.deadline.{}", lambda: notices.DEADLINE_DAYS)
NOTICE_CSV = KeyFamily("notices.csv.{}", lambda: notices.EXPORT_COLUMNS)
NOTICE_CSV_STATE = KeyFamily(
    "notices.csv_state.{}", lambda: ("queued", "sent", "failed", "cancelled")
)
MENU = KeyFamily("menu.{}", _menu_keys)
COMMAND = KeyFamily("commands.{}", _command_names)
DIGEST_SECTION = KeyFamily("digest.{}", lambda: digest.SECTIONS)
JOIN_INVITE = KeyFamily(
    "join.invite_{}", lambda: [e.reason for e in (InviteUnknown, InviteUsed, InviteExpired)]
)
JOIN_BAD_NAME = KeyFamily("join.bad_name_{}", lambda: ("empty", "too_long", "invalid"))
# The conversations (flow_conversation names), as the busy guard names them.
FLOW = KeyFamily(
    "flow.{}",
    lambda: (
        "case_input",
        "invite",
        "join",
        "meeting_create",
        "meeting_excuse",
        "meeting_minutes",
        "meeting_move",
        "meeting_series",
        "notice",
        "report",
        "shift_add",
        "shift_post",
    ),
)

# Case cards and what the case's people are told, by event.
CASE_BUTTON = KeyFamily("handling.button.{}", _case_buttons)
CARD_DUE = KeyFamily("handling.card.due_{}", lambda: ("accept", "resolve"))
KEPT = KeyFamily(
    "handling.kept.{}",
    lambda: (
        "assigned",
        "auto_closed",
        "confirmed",
        "noted",
        "other",
        "rejected",
        "reopened",
        "resolved",
        "returned",
        "sent_back",
        "shown",
        "taken_over",
        "text",
    ),
)
CASE_NOTICE = KeyFamily(
    "handling.notice.{}",
    lambda: (
        "assigned_to_you",
        "blocked",
        "reassigned",
        "reopened",
        "returned",
        "revisit",
        "sent_back",
        "supervised",
        "supervised_by_time",
        "taken_over",
        "todo_reminder",
        "urged",
    ),
)
TO_REPORTER = KeyFamily(
    "handling.reporter.{}",
    lambda: (
        "accepted",
        "assigned",
        "closed",
        "closed_auto",
        "escalated",
        "rejected",
        "reopened",
        "resolved",
        "sent_back",
        "supervised",
        "taken_over",
        "urged",
        "verify_reminder",
    ),
)
TIMELINE_EVENT = KeyFamily(
    "mycases.event.{}",
    lambda: (
        "accepted",
        "assigned",
        "closed",
        "confirmed",
        "created",
        "escalated",
        "mediation",
        "note",
        "other",
        "rated",
        "rejected",
        "reopened",
        "resolved",
        "sent_back",
        "started",
        "supervised",
        "taken_over",
        "updated",
        "urged",
    ),
)

# Buttons and fields of the conversations, by the action they carry.
MEETING_BUTTON = KeyFamily(
    "meetings.btn_{}",
    lambda: (
        "attend",
        "cancel_one",
        "cancel_series",
        "change_series",
        "change_to_attend",
        "change_to_excuse",
        "check_in",
        "confirm_cancel_one",
        "confirm_cancel_series",
        "create",
        "discard",
        "excuse",
        "full_answers",
        "keep",
        "minutes",
        "move",
        "new",
        "summary",
    ),
)
MEETING_STATE = KeyFamily(
    "meetings.state_{}", lambda: ("attend", "excused", "checked_in", "cancelled")
)
SERIES_CHANGED = KeyFamily("meetings.series_changed_{}", lambda: ("time", "place"))
NOTICE_BUTTON = KeyFamily(
    "notices.btn_{}",
    lambda: ("pause", "resume", "recall", "recall_yes", "back", "relayed", "read", "coverage"),
)
NOTICE_DONE = KeyFamily("notices.done_{}", lambda: ("pause", "resume", "recall_yes", "back"))
NOTICE_EDIT = KeyFamily(
    "notices.edit.{}", lambda: ("title", "body", "attachments", "areas", "roles", "options")
)
REPORT_BUTTON = KeyFamily(
    "report.button.{}",
    lambda: (
        "anonymous",
        "back",
        "cancel",
        "cancel_no",
        "cancel_yes",
        "change",
        "drop",
        "named",
        "normal",
        "parties",
        "photos",
        "place",
        "restart",
        "resume",
        "submit",
        "urgent",
        "whole_area",
    ),
)
REPORT_FIELD = KeyFamily("report.field.{}", lambda: ("category", "kind", "description"))


# Figures and exports (/stats, /export).
STATS_UNIT = KeyFamily("stats.{}", lambda: ("hours", "days"))
STATS_PRESET = KeyFamily("stats.preset.{}", lambda: stats.PRESETS)
STATS_SCOPE = KeyFamily("stats.{}", lambda: ("not_allowed", "too_low"))  # stats.ScopeError
STATS_BAD_PERIOD = KeyFamily("stats.bad_{}", lambda: ("format", "reversed", "future"))
EXPORT_FORMAT = KeyFamily("export.{}", lambda: exports.FORMATS)
# The busy guard and the timeline say what the bot did by itself, and where.
AUTO_EVENT = KeyFamily("mycases.auto.{}", lambda: ("supervised", "auto_closed"))
AREA_EVENT = KeyFamily(
    "mycases.event_area.{}", lambda: ("supervised", "urged", "taken_over", "sent_back")
)


def all_keys() -> list[str]:
    """Every key the families can build (for the catalogue tests)."""
    return sorted(set(itertools.chain.from_iterable(f.keys() for f in FAMILIES)))
