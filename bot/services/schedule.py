"""Time rules of recurring meetings: when the next occurrences are, in local time.

A rule says when a series meets, in the configured timezone: weekly on a weekday,
monthly on the nth weekday or on a day of the month, or once on a date. The
occurrences are computed with zoneinfo, so a weekly meeting stays at its local
time of day across month and year boundaries (and would across daylight saving,
where a zone has it). A month without the asked-for day (a 5th Thursday, the 31st)
simply has no occurrence. Pure functions: no clock, no database.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKLY = "weekly"
MONTHLY_NTH = "monthly_nth"  # the nth weekday of each month (nth 1..5)
MONTHLY_DAY = "monthly_day"  # a day of each month (1..31)
ONCE = "once"
RULE_KINDS = (WEEKLY, MONTHLY_NTH, MONTHLY_DAY, ONCE)


@dataclass(frozen=True)
class Rule:
    """When a series meets. ``weekday`` is 0 for Monday; ``at`` is the local time of day."""

    kind: str
    at: time
    weekday: int | None = None
    nth: int | None = None
    day: int | None = None
    on_date: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if self.kind in (WEEKLY, MONTHLY_NTH) and not (
            self.weekday is not None and 0 <= self.weekday <= 6
        ):
            raise ValueError("a weekly or nth-weekday rule needs a weekday 0..6")
        if self.kind == MONTHLY_NTH and not (self.nth is not None and 1 <= self.nth <= 5):
            raise ValueError("an nth-weekday rule needs nth 1..5")
        if self.kind == MONTHLY_DAY and not (self.day is not None and 1 <= self.day <= 31):
            raise ValueError("a day-of-month rule needs a day 1..31")
        if self.kind == ONCE and self.on_date is None:
            raise ValueError("a one-off rule needs a date")


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The ``nth`` ``weekday`` (0 = Monday) of a month, or None if the month has none."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    day = 1 + offset + 7 * (nth - 1)
    if day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def _local_dates(rule: Rule, start: date) -> Iterator[date]:
    """The dates the rule meets on, from ``start`` on (local calendar)."""
    if rule.kind == ONCE:
        assert rule.on_date is not None
        if rule.on_date >= start:
            yield rule.on_date
        return
    if rule.kind == WEEKLY:
        assert rule.weekday is not None
        day = start + timedelta(days=(rule.weekday - start.weekday()) % 7)
        while True:
            yield day
            day += timedelta(days=7)
    year, month = start.year, start.month
    while True:
        if rule.kind == MONTHLY_NTH:
            assert rule.weekday is not None and rule.nth is not None
            found = nth_weekday(year, month, rule.weekday, rule.nth)
        else:
            assert rule.day is not None
            last = calendar.monthrange(year, month)[1]
            found = date(year, month, rule.day) if rule.day <= last else None
        if found is not None and found >= start:
            yield found
        month += 1
        if month > 12:
            year, month = year + 1, 1


def at_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of local ``day`` at ``at`` in ``tz``."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def occurrences(rule: Rule, tz: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """The rule's moments (UTC) with ``after`` < moment <= ``until``, in order."""
    found: list[datetime] = []
    start = after.astimezone(tz).date()
    for day in _local_dates(rule, start):
        moment = at_local(day, rule.at, tz)
        if moment > until:
            break
        if moment > after:
            found.append(moment)
    return found


def next_occurrence(rule: Rule, tz: ZoneInfo, after: datetime) -> datetime | None:
    """The first moment of the rule after ``after``, or None (a one-off in the past)."""
    # The rarest rule (a 5th weekday) meets at least once in any three months.
    moments = occurrences(rule, tz, after, after + timedelta(days=400))
    return moments[0] if moments else None


def parse_hhmm(text: str) -> time | None:
    """A time of day from 'HH:MM' (also '19：30' with a full-width colon); None if not one."""
    text = text.strip().replace("：", ":")
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_date(text: str) -> date | None:
    """A date from 'YYYY-MM-DD' (or with '/' or '.'); None if not one."""
    text = text.strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_offsets(text: str) -> list[int] | None:
    """Reminder offsets from '1d 1h 30m' (also '1天 2小时 30分钟'), in minutes, largest first."""
    units = {"d": 1440, "天": 1440, "h": 60, "小时": 60, "时": 60, "m": 1, "分钟": 1, "分": 1}
    words = text.replace(",", " ").replace("，", " ").replace("、", " ").split()
    if not words or len(words) > 5:
        return None
    found: set[int] = set()
    for word in words:
        digits = ""
        while word and word[0].isdigit():
            digits, word = digits + word[0], word[1:]
        factor = units.get(word.strip().lower())
        if not digits or factor is None:
            return None
        minutes = int(digits) * factor
        if not 1 <= minutes <= 43200:
            return None
        found.add(minutes)
    return sorted(found, reverse=True)
