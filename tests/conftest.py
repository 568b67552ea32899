"""Shared fixtures: a real SQLite file per test, the demo district, and a bot harness."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.offline.harness import OfflineBot
from bot.services.areas import import_areas, parse_area_file
from handlers.common.callbacks import versioned
from storage.db import Database
from storage.migrate import migrate

DEMO_AREAS = Path(__file__).resolve().parent.parent / "bot" / "offline" / "demo" / "district.csv"


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand."""
    return FakeClock()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database in a temporary file."""
    database = await Database(tmp_path / "gridbot.sqlite3").open()
    await migrate(database)
    yield database
    await database.close()


@pytest.fixture
async def district(db: Database, clock: FakeClock) -> Database:
    """The database with the demo district's areas."""
    await import_areas(db, parse_area_file(DEMO_AREAS.read_text(encoding="utf-8")), clock)
    return db


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Default configuration, with the database in the test's temporary folder."""
    return load_config(None, environ={}).replace(**{"database.path": str(tmp_path / "bot.sqlite3")})


class ErrorLog(logging.Handler):
    """Collects the ERROR records logged while a test runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        """The messages logged so far, forgetting them (for tests that expect errors)."""
        messages = [r.getMessage() for r in self.records]
        self.records.clear()
        return messages


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    """Errors logged during the test; the gridbot fixture fails on any left untaken."""
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def _button_data(offline: OfflineBot) -> list[str]:
    """The callback data of every inline button on the bot's messages, as they are now."""
    return [
        str(button["callback_data"])
        for chat in offline.api.chats.values()
        for message in chat.messages.values()
        if message.from_bot
        for row in message.inline_keyboard
        for button in row
        if "callback_data" in button
    ]


@pytest.fixture
async def gridbot(config: Config, clock: FakeClock, errors: ErrorLog) -> AsyncIterator[OfflineBot]:
    """The real bot on the offline stand-in, with the demo district's areas.

    At the end, the stand-in must have seen no unexpected request (unknown method,
    invalid HTML, too long a text), every button press must have been answered, every
    button's data must be versioned (made by ``callbacks.pack``), and no error may have
    been logged that the test did not take with ``errors.take()``.
    """
    offline = OfflineBot(config, clock=clock)
    await offline.start()
    await offline.import_areas()
    yield offline
    await offline.stop()
    offline.api.assert_clean()
    unanswered = offline.api.unanswered_callbacks()
    assert not unanswered, f"button presses never answered: {unanswered}"
    unversioned = [data for data in _button_data(offline) if not versioned(data)]
    assert not unversioned, f"buttons whose data callbacks.pack did not make: {unversioned}"
    assert not errors.records, f"errors were logged: {[r.getMessage() for r in errors.records]}"
