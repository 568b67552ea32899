"""The time rules of meetings: weekly, monthly (nth weekday, day of month) and one-off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.schedule import (
    MONTHLY_DAY,
    MONTHLY_NTH,
    ONCE,
    WEEKLY,
    Rule,
    next_occurrence,
    nth_weekday,
    occurrences,
    parse_date,
    parse_hhmm,
    parse_offsets,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment: datetime, tz: ZoneInfo = SHANGHAI) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %a %H:%M")


def test_weekly_stays_at_local_time_across_month_and_year() -> None:
    rule = Rule(WEEKLY, time(19, 30), weekday=3)  # Thursdays
    start = datetime(2026, 12, 20, tzinfo=UTC)
    found = occurrences(rule, SHANGHAI, start, start + timedelta(days=21))
    assert [local(m) for m in found] == [
        "2026-12-24 Thu 19:30",
        "2026-12-31 Thu 19:30",
        "2027-01-07 Thu 19:30",
    ]
    assert all(m.tzinfo is not None and m.astimezone(UTC).hour == 11 for m in found)


def test_weekly_keeps_local_time_across_daylight_saving() -> None:
    # Shanghai has no DST; a zone that has one shows zoneinfo does the work.
    new_york = ZoneInfo("America/New_York")
    rule = Rule(WEEKLY, time(9, 0), weekday=0)
    start = datetime(2026, 10, 25, tzinfo=UTC)
    found = occurrences(rule, new_york, start, start + timedelta(days=14))
    assert [local(m, new_york) for m in found] == ["2026-10-26 Mon 09:00", "2026-11-02 Mon 09:00"]
    assert [m.astimezone(UTC).hour for m in found] == [13, 14]


def test_monthly_fifth_weekday_skips_months_without_one() -> None:
    rule = Rule(MONTHLY_NTH, time(15, 0), weekday=4, nth=5)  # 5th Friday
    start = datetime(2026, 6, 1, tzinfo=UTC)
    found = occurrences(rule, SHANGHAI, start, datetime(2027, 1, 31, tzinfo=UTC))
    assert [local(m)[:10] for m in found] == ["2026-07-31", "2026-10-30", "2027-01-29"]


def test_monthly_nth_weekday_and_the_helper() -> None:
    rule = Rule(MONTHLY_NTH, time(9, 0), weekday=0, nth=1)  # first Monday
    after = datetime(2026, 12, 15, tzinfo=UTC)
    first = next_occurrence(rule, SHANGHAI, after)
    assert first is not None and local(first) == "2027-01-04 Mon 09:00"
    assert nth_weekday(2026, 2, 0, 5) is None
    assert nth_weekday(2026, 6, 5, 2) == date(2026, 6, 13)


def test_monthly_day_31_skips_short_months() -> None:
    rule = Rule(MONTHLY_DAY, time(10, 0), day=31)
    found = occurrences(
        rule, SHANGHAI, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 12, 31, 23, tzinfo=UTC)
    )
    assert [local(m)[:10] for m in found] == [
        "2026-07-31",
        "2026-08-31",
        "2026-10-31",
        "2026-12-31",
    ]


def test_once_is_once_and_not_in_the_past() -> None:
    rule = Rule(ONCE, time(10, 0), on_date=date(2026, 6, 20))
    first = next_occurrence(rule, SHANGHAI, datetime(2026, 6, 13, tzinfo=UTC))
    assert first == datetime(2026, 6, 20, 2, 0, tzinfo=UTC)
    assert next_occurrence(rule, SHANGHAI, first) is None


def test_rules_are_checked() -> None:
    with pytest.raises(ValueError, match="weekday"):
        Rule(WEEKLY, time(9, 0))
    with pytest.raises(ValueError, match="nth"):
        Rule(MONTHLY_NTH, time(9, 0), weekday=1, nth=6)
    with pytest.raises(ValueError, match="day"):
        Rule(MONTHLY_DAY, time(9, 0), day=32)
    with pytest.raises(ValueError, match="date"):
        Rule(ONCE, time(9, 0))
    with pytest.raises(ValueError, match="unknown"):
        Rule("yearly", time(9, 0))


def test_parsing_what_admins_type() -> None:
    assert parse_hhmm("19:30") == time(19, 30)
    assert parse_hhmm("7：05") == time(7, 5)
    assert parse_hhmm("24:00") is None and parse_hhmm("noon") is None
    assert parse_date("2026/06/20") == date(2026, 6, 20)
    assert parse_date("2026-02-30") is None
    assert parse_offsets("1d 1h") == [1440, 60]
    assert parse_offsets("30分钟，2小时") == [120, 30]
    assert parse_offsets("1天") == [1440]
    assert parse_offsets("31d") is None
    assert parse_offsets("soon") is None
    assert parse_offsets("") is None
