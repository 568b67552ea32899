"""The clock every time-dependent rule asks for "now", so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until told to move (tests, demo scripts, benchmarks)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime(2026, 6, 13, 1, 0, tzinfo=UTC)).astimezone(UTC)

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``) and return the new now."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (which must not be in the past)."""
        moment = moment.astimezone(UTC)
        if moment < self._now:
            raise ValueError("time does not go backwards")
        self._now = moment
