"""How times are written to and read from the database: UTC, ISO 8601, to the second."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(moment: datetime) -> str:
    """An aware datetime as the database stores it ('2026-06-13T08:30:00Z')."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored: give a timezone")
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    """A stored time back as an aware UTC datetime."""
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
