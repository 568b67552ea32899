"""Evaluation (综合评价): the figures of an area for a period, its ranking, its leaders.

GB/T 30428's last stage. For an area (a community, a street or the district) and a
period of local dates, this adds up the cases reported in the period (上报数, 受理数,
不予受理数, 办结数, 结案率, 按期办结率, the average times to accept and to close, 满意率,
重办率, 督办数; by category, by kind, the three most frequent kinds), the duties done
in it (政策宣讲, 巡逻打卡, meeting attendance, shift staffing, notices relayed), and for
a street or the district the areas below ranked by a combined score whose weights
are in the config (红黑榜); for a community, what each leader did.

A period is chosen by name (本周, 本月, 上月, 本季度, 本年) or typed as two dates; it
may not start in the future or end before it starts, and what lies after today is
not counted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.clock import Clock
from bot.config import StatsConfig
from bot.services.cases.rules import Status
from bot.services.grid import LEADER_ROLES, LEVEL, AreaKind
from bot.services.permissions import Action, may
from storage import stats as repo
from storage.areas import Area
from storage.db import Database, Queryable, Transaction
from storage.members import Member
from storage.stats import DutySums, LeaderActivity
from storage.times import to_db

PRESETS = ("week", "month", "last_month", "quarter", "year")
TOP_KINDS = 3  # 高发问题
LIST_SIZE = 5  # the top and the bottom of the ranking (红黑榜)
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_RANGE = re.compile(rf"^\s*{_DATE}\s*(?:[~～至到—–-]+|\s)\s*{_DATE}\s*$")


class PeriodError(Exception):
    """A period that cannot be counted; ``reason``: format, reversed or future."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScopeError(Exception):
    """An area the admin may not see figures of; ``reason``: not_allowed or too_low."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Period:
    """Local dates from ``first`` to ``last``, both counted; ``preset`` names a chosen one."""

    first: date
    last: date
    preset: str | None = None

    def bounds(self, tz: tzinfo) -> tuple[str, str]:
        """The period as stored UTC times, ``[since, until)``."""
        since = datetime.combine(self.first, time(), tz)
        until = datetime.combine(self.last + timedelta(days=1), time(), tz)
        return to_db(since), to_db(until)

    @property
    def key(self) -> str:
        """A short form for a button: the preset's name, or 'YYYYMMDD-YYYYMMDD'."""
        return self.preset or f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


def today(clock: Clock, tz: tzinfo) -> date:
    """The local date now."""
    return clock.now().astimezone(tz).date()


def preset(name: str, day: date) -> Period:
    """The period ``name`` (one of :data:`PRESETS`) as seen on ``day``, up to that day."""
    if name == "week":
        return Period(day - timedelta(days=day.weekday()), day, name)
    if name == "month":
        return Period(day.replace(day=1), day, name)
    if name == "last_month":
        last = day.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, name)
    if name == "quarter":
        return Period(date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), day, name)
    if name == "year":
        return Period(date(day.year, 1, 1), day, name)
    raise PeriodError("format")


def check(first: date, last: date, day: date) -> Period:
    """A typed period, checked: not reversed, not starting after ``day``; cut at ``day``."""
    if last < first:
        raise PeriodError("reversed")
    if first > day:
        raise PeriodError("future")
    return Period(first, min(last, day))


def looks_like_period(text: str) -> bool:
    """Whether ``text`` is two dates (however well formed), so it is meant as a period."""
    return bool(_RANGE.match(unicodedata.normalize("NFKC", text)))


def parse_period(text: str, day: date) -> Period:
    """Two typed dates (``2026-06-01 2026-06-30``; full-width digits, 年月日, / and 至 too)."""
    match = _RANGE.match(unicodedata.normalize("NFKC", text))
    if match is None:
        raise PeriodError("format")
    numbers = [int(x) for x in match.groups()]
    try:
        first, last = date(*numbers[:3]), date(*numbers[3:])
    except ValueError:
        raise PeriodError("format") from None
    return check(first, last, day)


def parse_key(key: str, day: date) -> Period:
    """The period a button carries (see :attr:`Period.key`)."""
    if key in PRESETS:
        return preset(key, day)
    match = re.fullmatch(r"(\d{8})-(\d{8})", key)
    if match is None:
        raise PeriodError("format")
    try:
        first = datetime.strptime(match[1], "%Y%m%d").date()
        last = datetime.strptime(match[2], "%Y%m%d").date()
    except ValueError:
        raise PeriodError("format") from None
    return check(first, last, day)


def check_scope(admin: Member, area: Area) -> None:
    """Raise :class:`ScopeError` unless ``admin`` may see ``area``'s figures.

    Figures are kept per community and above: a building is counted in its community.
    """
    if not may(admin, Action.VIEW_STATS, area):
        raise ScopeError("not_allowed")
    if LEVEL[AreaKind(area.kind)] > 2:
        raise ScopeError("too_low")


# ---------------------------------------------------------------------- figures


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else part / whole


@dataclass
class CaseFigures:
    """The case figures of an area (or of one area below it) for a period."""

    reported: int = 0  # 上报数
    accepted: int = 0  # 受理数: taken up (accepted, and on from there)
    rejected: int = 0  # 不予受理数
    closed: int = 0  # 办结数
    due: int = 0  # due to close: closed, or open past the time limit
    on_time: int = 0  # closed within the time limit
    accept_days: float = 0.0
    accept_count: int = 0
    close_days: float = 0.0
    rated: int = 0
    satisfied: int = 0  # 满意 + 基本满意
    reopened: int = 0  # cases the reporter reopened at least once
    supervised: int = 0  # 督办数

    def add(self, group: repo.CaseGroup) -> None:
        """Count one group of cases in."""
        self.reported += group.count
        if group.status == Status.REJECTED:
            self.rejected += group.count
        elif group.status != Status.NEW:
            self.accepted += group.count
        if group.status == Status.CLOSED:
            self.closed += group.count
        self.due += group.due
        self.on_time += group.on_time
        self.accept_days += group.accept_days
        self.accept_count += group.accepted
        self.close_days += group.close_days
        self.rated += group.rated
        self.satisfied += group.satisfied

    @property
    def closure_rate(self) -> float | None:
        """结案率: closed / due to close."""
        return _ratio(self.closed, self.due)

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率: closed within the limits / due to close."""
        return _ratio(self.on_time, self.due)

    @property
    def response_rate(self) -> float | None:
        """响应率: answered (accepted or rejected) / reported."""
        return _ratio(self.accepted + self.rejected, self.reported)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: 满意 + 基本满意 / rated."""
        return _ratio(self.satisfied, self.rated)

    @property
    def reopen_rate(self) -> float | None:
        """重办率: reopened / closed."""
        return _ratio(self.reopened, self.closed)

    @property
    def accept_hours(self) -> float | None:
        """平均受理用时, in hours."""
        return None if not self.accept_count else self.accept_days * 24 / self.accept_count

    @property
    def close_days_mean(self) -> float | None:
        """平均办结用时, in days."""
        return None if not self.closed else self.close_days / self.closed


def score(figures: CaseFigures, weights: StatsConfig) -> float | None:
    """The combined score (0-100): the weighted mean of 响应率, 解决率 and 满意率.

    A rate the area has no cases for is left out; None if none of them can be had.
    """
    parts = [
        (weights.response_weight, figures.response_rate),
        (weights.resolution_weight, figures.closure_rate),
        (weights.satisfaction_weight, figures.satisfaction_rate),
    ]
    weighed = [(w, r) for w, r in parts if r is not None and w > 0]
    total = sum(w for w, _ in weighed)
    if not total:
        return None
    return 100 * sum(w * r for w, r in weighed) / total


@dataclass(frozen=True)
class Ranked:
    """An area below, with its figures and score."""

    area: Area
    figures: CaseFigures
    score: float | None


@dataclass(frozen=True)
class Notices:
    """Notices delivered to the area's members in the period, and confirmed relayed."""

    sent: int
    relayed: int


@dataclass
class Stats:
    """Everything /stats shows for one area and period."""

    area: Area
    period: Period
    cases: CaseFigures
    by_category: dict[str, int]
    states: dict[str, dict[str, int]]  # category -> status -> count
    by_kind: list[tuple[str, str, int]]  # (category, kind, count), most first
    weekly: list[tuple[str, int, int]]  # (Monday, reported, closed)
    duties: DutySums
    notices: Notices | None
    ranking: list[Ranked] | None = None  # a street or the district: the areas below
    leaders: list[LeaderActivity] | None = None  # a community: its leaders' activity

    @property
    def top_kinds(self) -> list[tuple[str, str, int]]:
        """高发问题: the most frequent kinds."""
        return self.by_kind[:TOP_KINDS]

    @property
    def top(self) -> list[Ranked]:
        """红榜: the best scored areas below."""
        return [r for r in self.ranking or [] if r.score is not None][:LIST_SIZE]

    @property
    def bottom(self) -> list[Ranked]:
        """黑榜: the worst scored areas below, worst first (none counted in both lists)."""
        scored = [r for r in self.ranking or [] if r.score is not None]
        rest = scored[LIST_SIZE:]
        return list(reversed(rest[-LIST_SIZE:]))


def _offset(tz: tzinfo, moment: datetime) -> str:
    delta = moment.astimezone(tz).utcoffset() or timedelta(0)
    return f"{int(delta.total_seconds() // 60):+d} minutes"


async def figures(
    q: Queryable, clock: Clock, tz: tzinfo, weights: StatsConfig, area: Area, period: Period
) -> Stats:
    """The figures of ``area`` (a community, street or the district) for ``period``.

    The caller has checked the admin may see them (:func:`check_scope`).
    """
    since, until = period.bounds(tz)
    now = to_db(clock.now())
    counted = await _cases(q, clock, tz, area, period, now)
    groups, reopened, supervised = counted.groups, counted.reopened, counted.supervised
    total = CaseFigures()
    per_community: dict[int, CaseFigures] = defaultdict(CaseFigures)
    by_category: Counter[str] = Counter()
    by_kind: Counter[tuple[str, str]] = Counter()
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for group in groups:
        total.add(group)
        per_community[group.community_id].add(group)
        by_category[group.category] += group.count
        by_kind[(group.category, group.subcategory)] += group.count
        states[group.category][group.status] += group.count
    for community_id, n in reopened.items():
        per_community[community_id].reopened += n
        total.reopened += n
    for community_id, n in supervised.items():
        per_community[community_id].supervised += n
        total.supervised += n
    weekly = _weeks(counted.days)
    duties = await repo.duties(q, area.id_path, since, until)
    sums = await repo.notices(q, area.id_path, since, until)
    stats = Stats(
        area=area,
        period=period,
        cases=total,
        by_category=dict(by_category),
        states={c: dict(s) for c, s in states.items()},
        by_kind=[(c, k, n) for (c, k), n in by_kind.most_common()],
        weekly=weekly,
        duties=duties,
        notices=None if sums is None else Notices(*sums),
    )
    level = LEVEL[AreaKind(area.kind)]
    if level < 2:
        stats.ranking = await _ranking(q, area, per_community, weights)
    else:
        roles = tuple(sorted(LEADER_ROLES))
        stats.leaders = sorted(
            await repo.leader_activity(q, area.id_path, since, until, roles),
            key=lambda a: (-a.total, a.area_path, a.name),
        )
    return stats


FINISHED = ("closed", "rejected")  # a month's finished cases are added up once (a roll-up)
OPEN_STATES = ("new", "accepted", "in_progress", "resolved")


@dataclass
class _Counted:
    """The period's cases added up: groups, days, and cases with events, per community."""

    groups: list[repo.CaseGroup]
    days: list[tuple[str, int, int]]
    reopened: Counter[int]
    supervised: Counter[int]


def _month_starts(period: Period, today_: date) -> list[date]:
    """The first days of the months wholly inside ``period`` and before this month."""
    this_month = today_.replace(day=1)
    months: list[date] = []
    day = period.first if period.first.day == 1 else _next_month(period.first)
    while day < this_month and _next_month(day) - timedelta(days=1) <= period.last:
        months.append(day)
        day = _next_month(day)
    return months


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _bounds(first: date, last: date, tz: tzinfo) -> tuple[str, str]:
    return Period(first, last).bounds(tz)


async def _count(
    q: Queryable,
    area: Area,
    since: str,
    until: str,
    now: str,
    offset: str,
    statuses: tuple[str, ...] | None,
    into: _Counted,
) -> None:
    """Add the cases of ``[since, until)`` (of ``statuses``) to ``into``, counted now."""
    into.groups += await repo.case_groups(q, area.id_path, since, until, now, statuses)
    into.days += [
        (d, n, c)
        for _, d, n, c in await repo.daily(q, area.id_path, since, until, offset, statuses)
    ]
    into.reopened.update(
        await repo.cases_with_event(q, area.id_path, since, until, repo.REOPENED_KINDS, statuses)
    )
    into.supervised.update(await repo.supervised(q, area.id_path, since, until, statuses))


async def _rolled(
    q: Queryable, area: Area, since: str, until: str, now: str, offset: str
) -> list[repo.Rollup]:
    """The roll-ups of the area's communities for one past month, made now if missing.

    Made inside a write transaction, so no change to those cases can slip in between
    reading them and keeping the sums (the triggers that drop a roll-up run in the
    writer's transaction).
    """
    communities = [a for a in await repo.areas_below(q, area.id_path, max_depth=2) if a.depth == 2]
    found = await repo.rollups(q, area.id_path, since, until)
    if len(found) >= len(communities):
        return found
    if not isinstance(q, Database):  # inside someone's transaction: count, do not keep
        return await _build(q, area, communities, since, until, now, offset)

    async def run(tx: Transaction) -> list[repo.Rollup]:
        built = await _build(tx, area, communities, since, until, now, offset)
        await repo.save_rollups(tx, built, now)
        return built

    # Counted and kept in one trip to the database thread.
    return await q.run_transaction(run)


async def _build(
    q: Queryable,
    area: Area,
    communities: list[Area],
    since: str,
    until: str,
    now: str,
    offset: str,
) -> list[repo.Rollup]:
    groups = await repo.case_groups(q, area.id_path, since, until, now, FINISHED)
    days = await repo.daily(q, area.id_path, since, until, offset, FINISHED)
    reopened = await repo.cases_with_event(
        q, area.id_path, since, until, repo.REOPENED_KINDS, FINISHED
    )
    supervised = await repo.supervised(q, area.id_path, since, until, FINISHED)
    return [
        repo.Rollup(
            community_id=c.id,
            since=since,
            until=until,
            groups=[g for g in groups if g.community_id == c.id],
            days=[(d, n, k) for cid, d, n, k in days if cid == c.id],
            reopened=reopened.get(c.id, 0),
            supervised=supervised.get(c.id, 0),
        )
        for c in communities
    ]


async def _cases(
    q: Queryable, clock: Clock, tz: tzinfo, area: Area, period: Period, now: str
) -> _Counted:
    """The period's cases of the area: past months' finished cases from their roll-ups,
    everything else (the open cases, and the days outside whole past months) counted now."""
    offset = _offset(tz, datetime.combine(period.first, time(), tz))
    counted = _Counted([], [], Counter(), Counter())
    months = _month_starts(period, today(clock, tz))
    if not months:
        since, until = period.bounds(tz)
        await _count(q, area, since, until, now, offset, None, counted)
        return counted
    first, after = months[0], _next_month(months[-1])
    if period.first < first:
        since, until = _bounds(period.first, first - timedelta(days=1), tz)
        await _count(q, area, since, until, now, offset, None, counted)
    if after <= period.last:
        since, until = _bounds(after, period.last, tz)
        await _count(q, area, since, until, now, offset, None, counted)
    since, until = _bounds(first, after - timedelta(days=1), tz)
    await _count(q, area, since, until, now, offset, OPEN_STATES, counted)
    for month in months:
        m_since, m_until = _bounds(month, _next_month(month) - timedelta(days=1), tz)
        for rollup in await _rolled(q, area, m_since, m_until, now, offset):
            counted.groups += rollup.groups
            counted.days += rollup.days
            counted.reopened[rollup.community_id] += rollup.reopened
            counted.supervised[rollup.community_id] += rollup.supervised
    return counted


def _weeks(days: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Local days folded into weeks (each named by its Monday), in order."""
    per_day: dict[str, list[int]] = {}
    for day, reported, closed in days:  # per community and day: add the communities first
        entry = per_day.setdefault(day, [0, 0])
        entry[0] += reported
        entry[1] += closed
    weeks: dict[str, list[int]] = {}
    for day, (reported, closed) in per_day.items():
        moment = date.fromisoformat(day)
        monday = (moment - timedelta(days=moment.weekday())).isoformat()
        entry = weeks.setdefault(monday, [0, 0])
        entry[0] += reported
        entry[1] += closed
    return [(w, r, c) for w, (r, c) in sorted(weeks.items())]


async def _ranking(
    q: Queryable, area: Area, per_community: dict[int, CaseFigures], weights: StatsConfig
) -> list[Ranked]:
    """The areas directly below ``area`` with their figures, best score first."""
    units = await repo.areas_below(q, area.id_path, max_depth=2)
    children = [a for a in units if a.parent_id == area.id]
    child_of: dict[int, int] = {}
    for unit in units:
        for child in children:
            if child.contains(unit):
                child_of[unit.id] = child.id
    rolled: dict[int, CaseFigures] = {child.id: CaseFigures() for child in children}
    for community_id, figs in per_community.items():
        target = rolled.get(child_of.get(community_id, -1))
        if target is None:
            continue
        for name in vars(figs):
            setattr(target, name, getattr(target, name) + getattr(figs, name))
    ranked = [
        Ranked(child, rolled[child.id], score(rolled[child.id], weights)) for child in children
    ]
    ranked.sort(key=lambda r: (r.score is None, -(r.score or 0), r.area.path))
    return ranked
