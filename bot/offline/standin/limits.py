"""Telegram's limits, and the flood limiter the stand-in applies to outgoing messages.

The numbers are Telegram's documented ones (Bot API docs and the bots FAQ): 4096 UTF-16 code
units of text, 1024 of caption, 64 bytes of callback data, about 30 messages per second
overall and 20 per minute into one group. The limiter reads time from a clock passed in, so a
test can move time by hand and a benchmark can run it scaled.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FloodLimiter", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Size and rate limits; pass ``None`` for a rate to switch that window off."""

    message_text: int = 4096
    caption: int = 1024
    callback_data_bytes: int = 64
    callback_answer_text: int = 200
    album_min: int = 2
    album_max: int = 10
    commands_max: int = 100
    command_name_max: int = 32
    command_description_max: int = 256
    inline_buttons_max: int = 100
    upload_photo_bytes: int = 10 * 1024 * 1024
    upload_file_bytes: int = 50 * 1024 * 1024
    global_per_second: int | None = 30
    group_per_minute: int | None = 20
    # Telegram asks for at most about one message per second per private chat but does not
    # enforce it strictly, so this window is off unless a test wants it.
    private_per_second: int | None = None
    default_retry_after: int = 3


class _Window:
    """A sliding window of send times: at most ``limit`` sends per ``period`` seconds."""

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque()

    def wait(self, now: float, count: int) -> float:
        """Seconds until ``count`` more sends fit; 0 when they fit now."""
        times = self.times
        while times and times[0] <= now - self.period:
            times.popleft()
        excess = len(times) + count - self.limit
        if excess <= 0:
            return 0.0
        if count > self.limit:
            return self.period  # never fits; tell the caller to back off for a full window
        return times[excess - 1] + self.period - now

    def take(self, now: float, count: int) -> None:
        self.times.extend([now] * count)


class FloodLimiter:
    """Counts outgoing messages and says when Telegram would answer 429.

    ``acquire`` either records the sends and returns None, or records nothing and returns
    the ``retry_after`` Telegram would give: the whole seconds until the window frees, at
    least 1.
    """

    __slots__ = ("_global", "_groups", "_private", "clock", "limits")

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._global = _Window(limits.global_per_second, 1.0) if limits.global_per_second else None
        self._groups: dict[int, _Window] = {}
        self._private: dict[int, _Window] = {}

    def _chat_window(self, chat_id: int) -> _Window | None:
        if chat_id < 0:
            if not self.limits.group_per_minute:
                return None
            window = self._groups.get(chat_id)
            if window is None:
                window = self._groups[chat_id] = _Window(self.limits.group_per_minute, 60.0)
            return window
        if not self.limits.private_per_second:
            return None
        window = self._private.get(chat_id)
        if window is None:
            window = self._private[chat_id] = _Window(self.limits.private_per_second, 1.0)
        return window

    def acquire(self, chat_id: int, count: int = 1) -> int | None:
        """Record ``count`` messages to ``chat_id`` if allowed; else return retry_after."""
        now = self.clock()
        chat = self._chat_window(chat_id)
        wait = 0.0
        if self._global is not None:
            wait = self._global.wait(now, count)
        if chat is not None:
            wait = max(wait, chat.wait(now, count))
        if wait > 0:
            return max(1, math.ceil(wait - 1e-9))
        if self._global is not None:
            self._global.take(now, count)
        if chat is not None:
            chat.take(now, count)
        return None

    def reset(self) -> None:
        """Forget every recorded send."""
        if self._global is not None:
            self._global.times.clear()
        self._groups.clear()
        self._private.clear()
