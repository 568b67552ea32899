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
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

from telegram.error import BadRequest
from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]
log = logging.getLogger(__name__)


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

    The per-group limit and the retries on 429 are python-telegram-bot's. Being the one
    place every request passes, it also takes the answer to a button press that was
    answered already (see :meth:`process_request`).
    """

    def __init__(
        self,
        *,
        overall_max_rate: int = 30,
        time_scale: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, **kwargs)
        if overall_max_rate > 0:
            # AIORateLimiter enters ``_base_limiter`` around every request to a chat; any
            # async context manager does.
            self._base_limiter = SlidingWindow(overall_max_rate, 1.0 / time_scale)  # type: ignore[assignment]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send a request through the limits.

        An update handled again after a crash (the bot died after acting on it and
        before saving that it had) repeats requests Telegram already carried out: a
        button press was answered ("query is too old"), a message already shows the
        edit ("message is not modified"). Those refusals say the work is done, so they
        are taken as success and the step goes on instead of failing.
        """
        try:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        except BadRequest as error:
            text, method = error.message.lower(), endpoint.lower()
            if method == "answercallbackquery" and "query is too old" in text:
                log.info("button press %s was answered already", data.get("callback_query_id"))
                return True
            if method.startswith("editmessage") and "message is not modified" in text:
                log.info("message %s shows the edit already", data.get("message_id"))
                return True
            raise
