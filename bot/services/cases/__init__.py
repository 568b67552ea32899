"""Cases (案件): the rules of a case from its first alert to its rating, split by concern.

- :mod:`.rules`: the lifecycle as one table (from state, action, to state, who may);
  what "open" and "overdue" mean.
- :mod:`.lifecycle`: the handlers' and the reporter's transitions (accept, reject,
  assign, resolve, give back, note; confirm, reopen, rate).
- :mod:`.supervision`: 督办: escalate by hand, urge, take over, send back, and the
  sweep that puts overdue cases under supervision, closes unanswered ones, reminds.
- :mod:`.transition`: the one step each action runs through (load, check, commit).
- :mod:`.parts`: who plays which part on a case (handler, supervisor, assignee, ...).
- :mod:`.alerts`: who is told, and the outbox kinds of case messages.
- :mod:`.routing`: which admins answer for an area.
- :mod:`.view`, :mod:`.card`: the read model of a case and of its card, for whom.
- :mod:`.reading`: lists, history, and the checks before a typed step.
- :mod:`.groups`: group chats bound to an area.
- :mod:`.copies`: a kept card copy a handler redrew in place, owed no outbox edit.

Callers use the names re-exported here (``from bot.services import cases``). Names with
a leading underscore (``_load``, ``_commit``, ``_tell_reporter``, ...) are the package's
own steps, shared between its modules and not meant for callers.
"""

from __future__ import annotations

from bot.services.cases.alerts import (
    CASE_ALERT,
    CASE_NEW,
    CASE_NOTICE,
    CASE_REPORTER,
    CASE_REVISIT,
    CASE_TODO,
    CASE_UPDATE,
    CASE_VOICE,
    MEMBER_BLOCKED,
    alert_level,
    copy_key,
)
from bot.services.cases.card import (
    NOBODY,
    Card,
    Viewer,
    card,
    local_time,
    masked_phone,
    read_card,
    viewer,
)
from bot.services.cases.copies import copy_drawn, kept_copy
from bot.services.cases.groups import GroupRefused, bind_group, group_area, unbind_group
from bot.services.cases.lifecycle import (
    MediationRecord,
    Rating,
    RejectReason,
    accept,
    assign,
    assignees,
    closing_shown,
    confirm,
    give_back,
    may_note,
    note,
    rate,
    reject,
    reopen,
    resolve,
)
from bot.services.cases.parts import at_top, group_parts, may_see, parts_of, supervisor_ids
from bot.services.cases.reading import (
    CLOSED,
    COUNT_CAP,
    TODO_STATUSES,
    CasePage,
    check_act,
    check_reporter,
    check_see,
    events,
    get,
    has_todo,
    is_overdue,
    is_supervised,
    last_change,
    mediation_of,
    member,
    open_cases,
    overdue_since,
    responsible_area,
    stamp,
    todo,
)
from bot.services.cases.rules import OPEN
from bot.services.cases.supervision import (
    SweepReport,
    escalate,
    send_back,
    sweep,
    take_over,
    urge,
)
from bot.services.cases.transition import MAX_TEXT, CaseRefused, Refusal
from storage.cases import Case

__all__ = [
    "CASE_ALERT",
    "CASE_NEW",
    "CASE_NOTICE",
    "CASE_REPORTER",
    "CASE_REVISIT",
    "CASE_TODO",
    "CASE_UPDATE",
    "CASE_VOICE",
    "CLOSED",
    "COUNT_CAP",
    "MAX_TEXT",
    "MEMBER_BLOCKED",
    "NOBODY",
    "OPEN",
    "TODO_STATUSES",
    "Card",
    "Case",
    "CasePage",
    "CaseRefused",
    "GroupRefused",
    "MediationRecord",
    "Rating",
    "Refusal",
    "RejectReason",
    "SweepReport",
    "Viewer",
    "accept",
    "alert_level",
    "assign",
    "assignees",
    "at_top",
    "bind_group",
    "card",
    "check_act",
    "check_reporter",
    "check_see",
    "closing_shown",
    "confirm",
    "copy_drawn",
    "copy_key",
    "escalate",
    "events",
    "get",
    "give_back",
    "group_area",
    "group_parts",
    "has_todo",
    "is_overdue",
    "is_supervised",
    "kept_copy",
    "last_change",
    "local_time",
    "masked_phone",
    "may_note",
    "may_see",
    "mediation_of",
    "member",
    "note",
    "open_cases",
    "overdue_since",
    "parts_of",
    "rate",
    "read_card",
    "reject",
    "reopen",
    "resolve",
    "responsible_area",
    "send_back",
    "stamp",
    "supervisor_ids",
    "sweep",
    "take_over",
    "todo",
    "unbind_group",
    "urge",
    "viewer",
]
