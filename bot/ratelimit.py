"""The overall flood limit as a sliding window: at most 30 messages in any second.

python-telegram-bot's AIORateLimiter limits the messages to all chats with a leaky
bucket. With a bucket of 30 it lets 60 through in the first second (Telegram answers
429); with a bucket of one, spaced 1/29.9 s apart, every millisecond an event loop is
late waking up is lost for good, and on a busy machine the rate falls to 90% of the
limit. A sliding window counts what was sent in the last second instead: a message
may go when fewer than ``max_rate`` were sent (or are in flight) in the last
``period``, so a late wake-up is made up by the next message, and no second ever holds
more than ``max_rate``. A message counts from the moment its request finished, which
is never before Telegram received it, so Telegram's own count is never higher.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

from telegram.ext import AIORateLimiter


class SlidingWindow:
    """An async context manager letting at most ``max_rate`` entries per ``period``."""

    def __init__(
        self, max_rate: int, period: float, clock: Callable[[], float] | None = None
    ) -> None:
        self.max_rate = max_rate
        self.period = period
        self._clock = clock
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._changed: asyncio.Condition | None = None

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def __aenter__(self) -> None:
        if self._changed is None:  # made here: it belongs to the running loop
            self._changed = asyncio.Condition()
        async with self._changed:
            while True:
                now = self._now()
                while self._finished and self._finished[0] <= now - self.period:
                    self._finished.popleft()
                if len(self._finished) + self._in_flight < self.max_rate:
                    break
                wait = self._finished[0] + self.period - now if self._finished else None
                with contextlib.suppress(TimeoutError):  # a slot has come free by now
                    await asyncio.wait_for(self._changed.wait(), wait)
            self._in_flight += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._changed is not None
        async with self._changed:
            self._in_flight -= 1
            self._finished.append(self._now())
            self._changed.notify_all()


class GridRateLimiter(AIORateLimiter):
    """AIORateLimiter with the overall limit kept by a :class:`SlidingWindow`.

    The per-group limit and the retries on 429 are python-telegram-bot's.
    """

    def __init__(
        self,
        *,
        overall_max_rate: int = 30,
        time_scale: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, **kwargs)
        # AIORateLimiter enters ``_base_limiter`` around every request to a chat; any
        # async context manager does.
        self._base_limiter = SlidingWindow(overall_max_rate, 1.0 / time_scale)  # type: ignore[assignment]
