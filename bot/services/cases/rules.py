"""The case lifecycle as one table: states, actions, and who may take each edge.

::

    new --accept--> accepted --assign--> in_progress --resolve--> resolved --confirm--> closed
     |                 |                      ^                      |
     +--reject-->  rejected (reason)         +------- reopen --------+

:data:`TRANSITIONS` is read by the lifecycle service (is this action allowed now, by
this member?), by the card renderer (which buttons to draw for whom) and by the tests.
"Open" (:data:`OPEN`) and "overdue" (:func:`is_overdue`, :data:`STAGE_DUE`) are defined
here and nowhere else; the repositories receive them as parameters.

Supervision (督办) is not a state: it adds a level above the handling area as a
supervisor, who may then act like the handlers and also urge (督办), take over (接管)
or send back (退回). Those are actions on the table that keep the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Where a case is in its lifecycle (GB/T 30428 stages)."""

    NEW = "new"  # 待受理
    ACCEPTED = "accepted"  # 已受理 (立案)
    IN_PROGRESS = "in_progress"  # 办理中 (派遣 / 处理)
    RESOLVED = "resolved"  # 已办结, awaiting the reporter (核查)
    CLOSED = "closed"  # 已结案
    REJECTED = "rejected"  # 不予受理


class Act(StrEnum):
    """Something a person (or the bot) does to a case."""

    ACCEPT = "accept"  # 受理
    REJECT = "reject"  # 不予受理
    ASSIGN = "assign"  # 指派
    RESOLVE = "resolve"  # 办结
    NOTE = "note"  # 备注
    RETURN = "return"  # 退回: the assignee gives the case back to the admins
    ESCALATE = "escalate"  # 升级: ask the level above to supervise, early
    URGE = "urge"  # 督办: a supervisor urges the handlers
    TAKE_OVER = "takeover"  # 接管: a supervisor becomes the handler
    SEND_BACK = "sendback"  # 退回: the upper level hands the case back down
    CONFIRM = "confirm"  # 已解决: the reporter confirms the fix
    REOPEN = "reopen"  # 未解决: the reporter reopens it
    RATE = "rate"  # the reporter's rating
    AUTO_CLOSE = "auto_close"  # the bot closes a resolved case nobody answered


class Who(StrEnum):
    """The parts a member can play on one case."""

    HANDLER = "handler"  # an admin of the handling area, or of one above it
    SUPERVISOR = "supervisor"  # an admin of a level put over the case (督办)
    UPPER = "upper"  # an admin of a level above the community handling it (after 接管)
    ASSIGNEE = "assignee"  # 承办人
    REPORTER = "reporter"
    BOT = "bot"  # the sweep


@dataclass(frozen=True)
class Transition:
    """One edge: from ``source``, ``act`` leads to ``target``; ``who`` may take it."""

    source: Status
    act: Act
    target: Status
    who: frozenset[Who]


S, A, W = Status, Act, Who
_HANDLERS = frozenset({W.HANDLER, W.SUPERVISOR})
_WORKERS = frozenset({W.HANDLER, W.SUPERVISOR, W.ASSIGNEE})
_SUPERVISORS = frozenset({W.SUPERVISOR})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.NEW, A.ACCEPT, S.ACCEPTED, _HANDLERS),
    Transition(S.NEW, A.REJECT, S.REJECTED, _HANDLERS),
    Transition(S.ACCEPTED, A.ASSIGN, S.IN_PROGRESS, _HANDLERS),
    Transition(S.IN_PROGRESS, A.ASSIGN, S.IN_PROGRESS, _HANDLERS),
    Transition(S.ACCEPTED, A.RESOLVE, S.RESOLVED, _HANDLERS),
    Transition(S.IN_PROGRESS, A.RESOLVE, S.RESOLVED, _WORKERS),
    Transition(S.IN_PROGRESS, A.RETURN, S.ACCEPTED, frozenset({W.ASSIGNEE})),
    *(Transition(s, A.NOTE, s, _WORKERS) for s in Status),
    *(Transition(s, A.ESCALATE, s, _HANDLERS) for s in (S.NEW, S.ACCEPTED, S.IN_PROGRESS)),
    *(Transition(s, A.URGE, s, _SUPERVISORS) for s in (S.NEW, S.ACCEPTED, S.IN_PROGRESS)),
    *(Transition(s, A.TAKE_OVER, s, _SUPERVISORS) for s in (S.NEW, S.ACCEPTED, S.IN_PROGRESS)),
    *(
        Transition(s, A.SEND_BACK, s, frozenset({W.UPPER}))
        for s in (S.NEW, S.ACCEPTED, S.IN_PROGRESS)
    ),
    Transition(S.RESOLVED, A.CONFIRM, S.CLOSED, frozenset({W.REPORTER})),
    Transition(S.RESOLVED, A.REOPEN, S.IN_PROGRESS, frozenset({W.REPORTER})),
    Transition(S.CLOSED, A.RATE, S.CLOSED, frozenset({W.REPORTER})),
    Transition(S.RESOLVED, A.AUTO_CLOSE, S.CLOSED, frozenset({W.BOT})),
)

_BY_EDGE: dict[tuple[Status, Act], Transition] = {(t.source, t.act): t for t in TRANSITIONS}

# Open: not finished. A resolved case is open until the reporter confirms (or it closes).
OPEN: frozenset[Status] = frozenset({S.NEW, S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED})
# The handlers' stages, each with the due time that makes a case overdue (督办).
STAGE_DUE: dict[str, str] = {
    S.NEW: "accept_due",  # 受理时限
    S.ACCEPTED: "resolve_due",  # 办结时限
    S.IN_PROGRESS: "resolve_due",
}


def transition(status: str, act: Act) -> Transition | None:
    """The edge ``act`` from ``status``, or None if there is none."""
    try:
        return _BY_EDGE.get((Status(status), act))
    except ValueError:
        return None


def allowed(status: str, act: Act, parts: frozenset[Who]) -> bool:
    """Whether someone playing ``parts`` may take ``act`` on a case at ``status``."""
    edge = transition(status, act)
    return edge is not None and bool(edge.who & parts)


def acts_for(status: str, parts: frozenset[Who]) -> list[Act]:
    """The actions someone playing ``parts`` may take at ``status``, in table order."""
    return [t.act for t in TRANSITIONS if t.source == status and t.who & parts]


def stage_due(status: str, accept_due: str | None, resolve_due: str | None) -> str | None:
    """The due time of the handlers' current stage, or None (no stage limit now)."""
    try:
        column = STAGE_DUE.get(Status(status))
    except ValueError:
        return None
    if column == "accept_due":
        return accept_due
    if column == "resolve_due":
        return resolve_due
    return None


def is_overdue(status: str, accept_due: str | None, resolve_due: str | None, now: str) -> bool:
    """Overdue: in a handlers' stage whose due time has passed (the one definition)."""
    due = stage_due(status, accept_due, resolve_due)
    return due is not None and due <= now
