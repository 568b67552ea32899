"""The statistics repository: what /stats adds up, in a few aggregate queries.

Every query takes the area's ``id_path`` (the area and everything below it) and a
period as UTC bounds ``[since, until)`` on the stored times. Cases are counted by the
period they were reported in (a cohort), read from the ``cases_evaluation`` index so
the table itself is not visited. Rates are left to the service: this returns sums.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from storage.areas import Area
from storage.db import Queryable

# The cases of the area's communities: a community is the area itself or below it.
_COHORT = (
    "c.community_id IN (SELECT id FROM areas WHERE id_path LIKE :path)"
    " AND c.created_at >= :since AND c.created_at < :until"
)


@dataclass(frozen=True)
class CaseGroup:
    """The cases of one community, kind and state reported in the period, added up."""

    community_id: int
    category: str
    subcategory: str
    status: str
    count: int
    due: int  # closed, or open past the time limit to resolve: due to close
    on_time: int  # closed, resolved within the time limit
    accept_days: float  # sum of days from report to acceptance
    accepted: int  # how many were accepted (the divisor of accept_days)
    close_days: float  # sum of days from report to closing, of the closed ones
    rated: int
    satisfied: int  # 满意 + 基本满意


def _states(statuses: Sequence[str] | None) -> str:
    """A filter on the cases' state (the values are ours, never a user's)."""
    if statuses is None:
        return ""
    return " AND c.status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


async def case_groups(
    q: Queryable,
    path: str,
    since: str,
    until: str,
    now: str,
    statuses: Sequence[str] | None = None,
) -> list[CaseGroup]:
    """The period's cases of the area, grouped by community, category, kind and state."""
    rows = await q.fetchall(
        "SELECT c.community_id, c.category, c.subcategory, c.status, count(*),"
        " sum(c.status = 'closed' OR (c.status IN ('new', 'accepted', 'in_progress', 'resolved')"
        "   AND c.resolve_due <= :now)),"
        " sum(c.status = 'closed' AND coalesce(c.resolved_at, c.closed_at) <= c.resolve_due),"
        " coalesce(sum(julianday(c.accepted_at) - julianday(c.created_at)), 0),"
        " count(c.accepted_at),"
        " coalesce(sum(CASE WHEN c.status = 'closed'"
        "   THEN julianday(c.closed_at) - julianday(c.created_at) END), 0),"
        " count(c.rating), sum(c.rating IN ('satisfied', 'fair'))"
        f" FROM cases c WHERE {_COHORT}{_states(statuses)} GROUP BY 1, 2, 3, 4",
        {"path": path + "%", "since": since, "until": until, "now": now},
    )
    return [
        CaseGroup(
            community_id=r[0],
            category=r[1],
            subcategory=r[2],
            status=r[3],
            count=r[4],
            due=r[5] or 0,
            on_time=r[6] or 0,
            accept_days=float(r[7]),
            accepted=r[8],
            close_days=float(r[9]),
            rated=r[10],
            satisfied=r[11] or 0,
        )
        for r in rows
    ]


# 督办: a level above was added as supervisor (by the sweep or by hand); "escalated" is the
# kind written before supervision kept cases with their community (migration 0006).
SUPERVISED_KINDS = ("supervised", "escalated")
REOPENED_KINDS = ("reopened",)  # 重办: the reporter said it was not fixed


async def cases_with_event(
    q: Queryable,
    path: str,
    since: str,
    until: str,
    kinds: Sequence[str],
    statuses: Sequence[str] | None = None,
) -> dict[int, int]:
    """Per community: how many of the period's cases have at least one event of ``kinds``."""
    names = {f"k{i}": kind for i, kind in enumerate(kinds)}
    listed = ", ".join(f":{name}" for name in names)
    rows = await q.fetchall(
        "SELECT c.community_id, count(DISTINCT e.case_id) FROM case_events e"
        " JOIN cases c ON c.id = e.case_id"
        f" WHERE e.kind IN ({listed}) AND {_COHORT}{_states(statuses)} GROUP BY c.community_id",
        {**names, "path": path + "%", "since": since, "until": until},
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def supervised(
    q: Queryable, path: str, since: str, until: str, statuses: Sequence[str] | None = None
) -> dict[int, int]:
    """督办数 per community: the period's cases put under supervision at least once.

    Counted from the audit trail (events of :data:`SUPERVISED_KINDS`), so it follows however
    the case lifecycle decides to supervise; this is the one place that says so.
    """
    return await cases_with_event(q, path, since, until, SUPERVISED_KINDS, statuses)


async def daily(
    q: Queryable,
    path: str,
    since: str,
    until: str,
    offset: str,
    statuses: Sequence[str] | None = None,
) -> list[tuple[int, str, int, int]]:
    """Per community and local day ('YYYY-MM-DD'): cases reported, and of them closed.

    ``offset`` is the local time's offset as SQLite takes it ('+480 minutes').
    """
    rows = await q.fetchall(
        "SELECT c.community_id, date(c.created_at, :offset) AS day, count(*),"
        " sum(c.status = 'closed')"
        f" FROM cases c WHERE {_COHORT}{_states(statuses)} GROUP BY 1, 2",
        {"offset": offset, "path": path + "%", "since": since, "until": until},
    )
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3] or 0)) for r in rows]


@dataclass(frozen=True)
class Rollup:
    """A community's finished cases (closed, rejected) of one past month, added up once.

    Kept until one of those cases changes: triggers on cases and case_events drop it.
    """

    community_id: int
    since: str
    until: str
    groups: list[CaseGroup]
    days: list[tuple[str, int, int]]  # (local day, reported, closed)
    reopened: int
    supervised: int


async def rollups(q: Queryable, path: str, since: str, until: str) -> list[Rollup]:
    """The roll-ups of the area's communities for the month ``[since, until)``."""
    rows = await q.fetchall(
        "SELECT r.community_id, r.since, r.until, r.groups, r.days, r.reopened, r.supervised"
        " FROM stats_rollups r JOIN areas a ON a.id = r.community_id"
        " WHERE a.id_path LIKE ? AND r.since = ? AND r.until = ?",
        (path + "%", since, until),
    )
    return [
        Rollup(
            community_id=int(r[0]),
            since=r[1],
            until=r[2],
            groups=[CaseGroup(*g) for g in json.loads(r[3])],
            days=[(str(d[0]), int(d[1]), int(d[2])) for d in json.loads(r[4])],
            reopened=int(r[5]),
            supervised=int(r[6]),
        )
        for r in rows
    ]


async def save_rollups(q: Queryable, rollups_: Sequence[Rollup], now: str) -> None:
    """Keep the roll-ups (replacing any of the same community and month)."""
    await q.executemany(
        "INSERT OR REPLACE INTO stats_rollups (community_id, since, until, groups, days,"
        " reopened, supervised, built_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.community_id,
                r.since,
                r.until,
                json.dumps([list(vars(g).values()) for g in r.groups], ensure_ascii=False),
                json.dumps(r.days),
                r.reopened,
                r.supervised,
                now,
            )
            for r in rollups_
        ],
    )


@dataclass(frozen=True)
class DutySums:
    """The duties of an area in a period, added up."""

    outreach: int  # 政策宣讲 sessions
    households: int  # households reached by them
    patrols: int  # 巡逻打卡 check-ins
    meetings: int  # meetings held (scheduled, started before now)
    expected: int  # people expected at them, added over the meetings
    checked_in: int  # people who checked in (签到)
    shifts: int
    shifts_staffed: int  # shifts with every place taken
    places: int  # places needed, over the shifts
    places_filled: int


async def duties(q: Queryable, path: str, since: str, until: str) -> DutySums:
    """Outreach, patrols, meeting attendance and shift staffing of the area in the period."""
    params = {"path": path + "%", "since": since, "until": until}
    logs = await q.fetchone(
        "SELECT count(*), coalesce(sum(o.households), 0),"
        " (SELECT count(*) FROM patrol_logs p JOIN areas a ON a.id = p.area_id"
        "   WHERE a.id_path LIKE :path AND p.at >= :since AND p.at < :until)"
        " FROM outreach_logs o JOIN areas a ON a.id = o.area_id"
        " WHERE a.id_path LIKE :path AND o.at >= :since AND o.at < :until",
        params,
    )
    # Meetings held per series, the people each series expects (its roles in its area and
    # below, as they are now), and the check-ins: three small queries put together here.
    held = await q.fetchall(
        "SELECT o.series_id, count(*) FROM meeting_occurrences o"
        " JOIN meeting_series s ON s.id = o.series_id JOIN areas a ON a.id = s.area_id"
        " WHERE a.id_path LIKE :path AND o.status = 'scheduled'"
        " AND o.starts_at >= :since AND o.starts_at < :until GROUP BY 1",
        params,
    )
    expected: dict[int, int] = {}
    if held:
        ids = [int(r[0]) for r in held]
        series = await q.fetchall(
            "SELECT s.id, a.id_path, s.roles FROM meeting_series s JOIN areas a ON a.id = s.area_id"
            f" WHERE s.id IN ({','.join('?' * len(ids))})",
            ids,
        )
        # the active members of the area by where they sit and their role, once, rather
        # than a search of every member for each series
        people = await q.fetchall(
            "SELECT a.id_path, m.role, count(*) FROM members m JOIN areas a ON a.id = m.area_id"
            " WHERE a.id_path LIKE :path AND m.active = 1 GROUP BY 1, 2",
            params,
        )
        for series_id, id_path, roles_json in series:
            roles = set(json.loads(roles_json))
            expected[int(series_id)] = sum(
                int(n) for where, role, n in people if where.startswith(id_path) and role in roles
            )
    checked_in = await q.fetchval(
        "SELECT count(*) FROM meeting_occurrences o"
        " JOIN meeting_series s ON s.id = o.series_id JOIN areas a ON a.id = s.area_id"
        " JOIN meeting_attendance t ON t.occurrence_id = o.id"
        " WHERE a.id_path LIKE :path AND o.status = 'scheduled'"
        " AND o.starts_at >= :since AND o.starts_at < :until AND t.checked_in_at IS NOT NULL",
        params,
    )
    shifts = await q.fetchone(
        "SELECT count(*), coalesce(sum(taken >= needed), 0), coalesce(sum(needed), 0),"
        " coalesce(sum(min(taken, needed)), 0) FROM (SELECT sh.needed,"
        "   (SELECT count(*) FROM shift_assignments x WHERE x.shift_id = sh.id) AS taken"
        "   FROM shifts sh JOIN duty_posts p ON p.id = sh.post_id"
        "   JOIN areas a ON a.id = p.area_id"
        "   WHERE a.id_path LIKE :path AND sh.starts_at >= :since AND sh.starts_at < :until)",
        params,
    )
    assert logs is not None and shifts is not None
    return DutySums(
        outreach=int(logs[0]),
        households=int(logs[1]),
        patrols=int(logs[2]),
        meetings=sum(int(r[1]) for r in held),
        expected=sum(int(r[1]) * expected.get(int(r[0]), 0) for r in held),
        checked_in=int(checked_in or 0),
        shifts=int(shifts[0]),
        shifts_staffed=int(shifts[1]),
        places=int(shifts[2]),
        places_filled=int(shifts[3]),
    )


async def _columns(q: Queryable, table: str) -> set[str]:
    rows = await q.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
    return {str(r[0]) for r in rows}


async def notices(q: Queryable, path: str, since: str, until: str) -> tuple[int, int] | None:
    """Notices sent and relayed (已传达) to the area's members in the period, if notices exist.

    Notices (通知) are another feature's tables; until they are there (or if they are
    shaped otherwise) this answers None and the figure is left out. Expected: a table
    ``notice_deliveries`` with ``member_id``, ``sent_at`` and ``relayed_at``.
    """
    columns = await _columns(q, "notice_deliveries")
    if not {"member_id", "sent_at", "relayed_at"} <= columns:
        return None
    row = await q.fetchone(
        "SELECT count(d.sent_at), count(d.relayed_at) FROM notice_deliveries d"
        " JOIN members m ON m.id = d.member_id JOIN areas a ON a.id = m.area_id"
        " WHERE a.id_path LIKE :path AND d.sent_at >= :since AND d.sent_at < :until",
        {"path": path + "%", "since": since, "until": until},
    )
    assert row is not None
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class LeaderActivity:
    """What one leader or assistant did in the period."""

    member_id: int
    name: str
    role: str
    area_path: str
    reports: int
    outreach: int
    households: int
    patrols: int
    checked_in: int

    @property
    def total(self) -> int:
        """Actions counted together, to order people by how active they were."""
        return self.reports + self.outreach + self.patrols + self.checked_in


async def leader_activity(
    q: Queryable, path: str, since: str, until: str, roles: tuple[str, ...]
) -> list[LeaderActivity]:
    """Every active leader and assistant of the area, with what each did in the period."""
    # One grouped pass per source over the area and period, put together per person:
    # correlated subqueries per person would each search by member, and meeting
    # attendance has no index by member.
    marks = ",".join("?" * len(roles))
    people = await q.fetchall(
        "SELECT m.id, m.name, m.role, a.path FROM members m JOIN areas a ON a.id = m.area_id"
        f" WHERE a.id_path LIKE ? AND m.active = 1 AND m.role IN ({marks})"
        " ORDER BY a.path, m.name",
        [path + "%", *roles],
    )
    params = {"path": path + "%", "since": since, "until": until}
    reports = await q.fetchall(
        f"SELECT c.reporter_id, count(*) FROM cases c WHERE {_COHORT} GROUP BY 1", params
    )
    outreach = await q.fetchall(
        "SELECT o.member_id, count(*), sum(o.households) FROM outreach_logs o"
        " JOIN areas a ON a.id = o.area_id"
        " WHERE a.id_path LIKE :path AND o.at >= :since AND o.at < :until GROUP BY 1",
        params,
    )
    patrols = await q.fetchall(
        "SELECT p.member_id, count(*) FROM patrol_logs p JOIN areas a ON a.id = p.area_id"
        " WHERE a.id_path LIKE :path AND p.at >= :since AND p.at < :until GROUP BY 1",
        params,
    )
    checked = await q.fetchall(
        "SELECT t.member_id, count(*) FROM meeting_occurrences o"
        " JOIN meeting_series s ON s.id = o.series_id JOIN areas a ON a.id = s.area_id"
        " JOIN meeting_attendance t ON t.occurrence_id = o.id"
        " WHERE a.id_path LIKE :path AND o.starts_at >= :since AND o.starts_at < :until"
        " AND t.checked_in_at IS NOT NULL GROUP BY 1",
        params,
    )
    by_reports = {int(r[0]): int(r[1]) for r in reports}
    by_outreach = {int(r[0]): (int(r[1]), int(r[2] or 0)) for r in outreach}
    by_patrols = {int(r[0]): int(r[1]) for r in patrols}
    by_checked = {int(r[0]): int(r[1]) for r in checked}
    return [
        LeaderActivity(
            member_id=r[0],
            name=r[1],
            role=r[2],
            area_path=r[3],
            reports=by_reports.get(r[0], 0),
            outreach=by_outreach.get(r[0], (0, 0))[0],
            households=by_outreach.get(r[0], (0, 0))[1],
            patrols=by_patrols.get(r[0], 0),
            checked_in=by_checked.get(r[0], 0),
        )
        for r in people
    ]


async def areas_below(q: Queryable, path: str, *, max_depth: int) -> list[Area]:
    """The area with ``path`` and those below it down to ``max_depth``, in path order."""
    rows = await q.fetchall(
        "SELECT id, parent_id, kind, name, path, id_path, depth FROM areas"
        " WHERE id_path LIKE ? AND depth <= ? ORDER BY path",
        (path + "%", max_depth),
    )
    return [Area(*tuple(r)) for r in rows]
