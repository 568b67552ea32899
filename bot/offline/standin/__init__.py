"""Offline stand-in for the Telegram Bot API, for tests, the demo and benchmarks.

``FakeTelegram`` is the in-memory server, ``StandInRequest`` plugs it into
python-telegram-bot, and ``UserClient`` plays a user. See each module for details.
"""

from bot.offline.standin.api import BOT_ID, BOT_USERNAME, Expectation, FakeTelegram
from bot.offline.standin.client import Deliver, UserClient
from bot.offline.standin.faults import FAULT_KINDS, Fault
from bot.offline.standin.html import HtmlError, Rendered, parse_html, utf16_len
from bot.offline.standin.limits import FloodLimiter, Limits
from bot.offline.standin.records import (
    JSON,
    ApiError,
    CallbackRecord,
    ChatRecord,
    FileRecord,
    Stats,
    StoredMessage,
    Upload,
    UserRecord,
)
from bot.offline.standin.request import StandInRequest

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "FAULT_KINDS",
    "JSON",
    "ApiError",
    "CallbackRecord",
    "ChatRecord",
    "Deliver",
    "Expectation",
    "FakeTelegram",
    "Fault",
    "FileRecord",
    "FloodLimiter",
    "HtmlError",
    "Limits",
    "Rendered",
    "StandInRequest",
    "Stats",
    "StoredMessage",
    "Upload",
    "UserClient",
    "UserRecord",
    "parse_html",
    "utf16_len",
]
