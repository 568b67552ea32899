"""gridbot's rate limiter: Telegram's flood limits kept before Telegram has to.

It implements python-telegram-bot's public ``BaseRateLimiter``, through which every
Bot API request passes:

- overall, at most 30 messages in any second (with ``allow_paid_broadcast``, a window
  of 1000 of its own: Telegram's paid broadcast, for Telegram Stars);
- into one group or channel, at most 20 in any minute;
- a 429 Too Many Requests halts every request for the ``retry_after`` Telegram asked
  for, and the request is tried again up to ``max_retries`` times (a request's own
  ``rate_limit_args=Retries(n)`` overrides that; the delivery worker passes
  ``Retries(0)``: the outbox retries itself, without holding the pass);
- on an update handled again after a crash, "query is too old" and "message is not
  modified" mean the work was done, and count as success (see :meth:`process_request`);
- the message Telegram sends back for an edit is answered as ``True``: gridbot never
  reads it, and python-telegram-bot would otherwise build the whole message (text,
  entities, every button) only to drop it (issue 14: "do not parse answers that are
  not used"). An edit's documented result is ``Message | bool``. The message sent back
  for a send keeps only what gridbot reads of it: its id, date and chat (a Message of
  those is still a Message; its text and buttons read as None).

Each limit is a sliding window, not a leaky bucket. python-telegram-bot's
AIORateLimiter, with a bucket of 30, lets 60 through in the first second (Telegram
answers 429); with a bucket of one, spaced 1/29.9 s apart, every millisecond an event
loop is late waking up is lost for good, and on a busy machine the rate falls to 90% of
the limit. A window counts what was sent in the last period instead: a message may go
when fewer than ``max_rate`` were sent (or are in flight) in the last ``period``, so a
late wake-up is made up by the next message, and no period ever holds more than
``max_rate``. A message counts from the moment its request finished, which is never
before Telegram received it, so Telegram's own count is never higher.

Time is read from a :class:`Timeline`: the event loop's (:class:`LoopTime`) in
production, or :class:`SkippedTime` in the in-process tests, where a wait moves time on
at once, so the limits are kept exactly as in production and cost the tests nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol

from telegram import constants
from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseRateLimiter

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]
log = logging.getLogger(__name__)

# Telegram's documented limits (telegram.constants.FloodLimit).
MESSAGES_PER_SECOND = int(constants.FloodLimit.MESSAGES_PER_SECOND)
PAID_MESSAGES_PER_SECOND = int(constants.FloodLimit.PAID_MESSAGES_PER_SECOND)
MESSAGES_PER_MINUTE_PER_GROUP = int(constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP)
# Group windows kept before idle ones are dropped.
GROUP_WINDOWS_KEPT = 512
# Waited beyond Telegram's retry_after, as python-telegram-bot does.
RETRY_MARGIN = 0.1
# The edits whose answer (the edited message) is not read: answered as True.
UNREAD_ANSWERS = frozenset({"editmessagetext", "editmessagereplymarkup", "editmessagecaption"})
# The sends whose answer (the message sent) is read for its id and chat only.
SENDS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendvoice", "sendlocation", "sendmediagroup"}
)
SENT_KEPT = ("message_id", "date", "chat")


def _read_part(endpoint: str, result: Result) -> Result:
    """What of Telegram's answer to ``endpoint`` gridbot reads (see the module doc)."""
    if endpoint in UNREAD_ANSWERS:
        return True
    if endpoint not in SENDS:
        return result
    if isinstance(result, dict):
        return {key: result[key] for key in SENT_KEPT if key in result}
    if isinstance(result, list):
        return [{key: part[key] for key in SENT_KEPT if key in part} for part in result]
    return result


class Timeline(Protocol):
    """Where the limiter reads the time and waits."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def wait_until(self, moment: float, changed: asyncio.Condition) -> None:
        """Wait until ``moment`` or until ``changed`` is notified (called holding it)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        ...


class LoopTime:
    """Real time, as the running event loop keeps it."""

    def now(self) -> float:
        """The event loop's clock."""
        return asyncio.get_running_loop().time()

    async def wait_until(self, moment: float, changed: asyncio.Condition) -> None:
        """Wait for ``changed`` at most until ``moment``."""
        with contextlib.suppress(TimeoutError):  # a slot has come free by now
            await asyncio.wait_for(changed.wait(), max(moment - self.now(), 0.0))

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await asyncio.sleep(seconds)


class SkippedTime:
    """Time that passes only when someone waits for it: a wait moves it on at once.

    The in-process tests run the production limiter on it: every limit is kept in this
    time (and the stand-in, reading the same clock, can check that), and no test waits.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.moment = start

    def now(self) -> float:
        """The time reached so far."""
        return self.moment

    async def wait_until(self, moment: float, changed: asyncio.Condition) -> None:
        """Move time on to ``moment`` (never back)."""
        self.moment = max(self.moment, moment)

    async def sleep(self, seconds: float) -> None:
        """Move time on by ``seconds``, and let others run."""
        self.moment += max(seconds, 0.0)
        await asyncio.sleep(0)


class SlidingWindow:
    """An async context manager letting at most ``max_rate`` entries per ``period``.

    An entry counts while it is inside (in flight) and for ``period`` after it left.
    """

    def __init__(self, max_rate: int, period: float, time: Timeline | None = None) -> None:
        self.max_rate = max_rate
        self.period = period
        self.time: Timeline = time or LoopTime()
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._changed: asyncio.Condition | None = None

    @property
    def idle(self) -> bool:
        """Whether nothing is in flight or counted any more (the window may be dropped)."""
        self._forget(self.time.now())
        return not self._finished and not self._in_flight

    def _forget(self, now: float) -> None:
        # Written as start + period <= now, the same sum as the moment waited for, so
        # a wait to exactly that moment always frees the slot (no float round-off).
        while self._finished and self._finished[0] + self.period <= now:
            self._finished.popleft()

    async def __aenter__(self) -> None:
        if self._changed is None:  # made here: it belongs to the running loop
            self._changed = asyncio.Condition()
        async with self._changed:
            while True:
                self._forget(self.time.now())
                if len(self._finished) + self._in_flight < self.max_rate:
                    break
                if self._finished:
                    await self.time.wait_until(self._finished[0] + self.period, self._changed)
                else:  # all in flight: only a release frees a slot
                    await self._changed.wait()
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
            self._finished.append(self.time.now())
            self._changed.notify_all()


@dataclass(frozen=True)
class Retries:
    """A request's ``rate_limit_args``: how often to try again on a 429.

    An object, not a bare int: python-telegram-bot drops a falsy ``rate_limit_args``,
    and 0 is the count that most needs saying.
    """

    count: int


def _seconds(wait: timedelta | float) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class GridRateLimiter(BaseRateLimiter[Retries]):
    """Telegram's flood limits as sliding windows, retries on 429, replays taken as done.

    ``rate_limit_args`` (python-telegram-bot's per-request argument), a :class:`Retries`,
    is the number of retries on a 429 for that request; ``max_retries`` when not given. A rate of 0
    switches that limit off. ``time_scale`` shortens every period, for benchmarks whose
    stand-in runs on scaled time.
    """

    def __init__(
        self,
        *,
        overall_max_rate: int = MESSAGES_PER_SECOND,
        paid_max_rate: int = PAID_MESSAGES_PER_SECOND,
        group_max_rate: int = MESSAGES_PER_MINUTE_PER_GROUP,
        group_period: float = 60.0,
        max_retries: int = 0,
        time_scale: float = 1.0,
        time: Timeline | None = None,
    ) -> None:
        self.time: Timeline = time or LoopTime()
        self.time_scale = time_scale
        self.max_retries = max_retries
        self.overall = self._window(overall_max_rate, 1.0)
        self.paid = self._window(paid_max_rate, 1.0)
        self.group_max_rate = group_max_rate
        self.group_period = group_period / time_scale
        self.groups: dict[int | str, SlidingWindow] = {}
        # Set while a 429's retry_after runs: every request waits for it.
        self._halted_until = 0.0

    def _window(self, max_rate: int, period: float) -> SlidingWindow | None:
        return SlidingWindow(max_rate, period / self.time_scale, self.time) if max_rate else None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def group(self, chat_id: int | str) -> SlidingWindow | None:
        """The window of a group or channel (negative id or @username); None if off."""
        if not self.group_max_rate:
            return None
        window = self.groups.get(chat_id)
        if window is None:
            if len(self.groups) >= GROUP_WINDOWS_KEPT:
                for key in [k for k, w in self.groups.items() if w.idle]:
                    del self.groups[key]
            window = self.groups[chat_id] = SlidingWindow(
                self.group_max_rate, self.group_period, self.time
            )
        return window

    def _windows(self, data: dict[str, Any]) -> list[SlidingWindow]:
        """The windows a request enters, the group's first (as python-telegram-bot does)."""
        chat_id = data.get("chat_id")
        if chat_id is None:  # not a message to a chat (getUpdates, answerCallbackQuery...)
            return []
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        windows: list[SlidingWindow] = []
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            window = self.group(chat_id)
            if window is not None:
                windows.append(window)
        overall = self.paid if data.get("allow_paid_broadcast") else self.overall
        if overall is not None:
            windows.append(overall)
        return windows

    async def _halted(self) -> None:
        while (left := self._halted_until - self.time.now()) > 0:
            await self.time.sleep(left)

    async def _send(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        windows: list[SlidingWindow],
    ) -> Result:
        async with contextlib.AsyncExitStack() as stack:
            for window in windows:
                await stack.enter_async_context(window)
            await self._halted()
            return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Retries | None,
    ) -> Result:
        """Send a request through the limits, retrying on 429.

        An update handled again after a crash (the bot died after acting on it and
        before saving that it had) repeats requests Telegram already carried out: a
        button press was answered ("query is too old"), a message already shows the
        edit ("message is not modified"). Those refusals say the work is done, so they
        are taken as success and the step goes on instead of failing.
        """
        retries = self.max_retries if rate_limit_args is None else rate_limit_args.count
        windows = self._windows(data)
        method = endpoint.lower()
        for attempt in range(retries + 1):
            try:
                result = await self._send(callback, args, kwargs, windows)
                # PTB returns a True result of an edit as it is, unparsed (an inline
                # message's edit answers so), and builds a Message of the fields a send's
                # answer keeps: pinned by tests/telegram/test_ratelimit.py.
                return _read_part(method, result)
            except RetryAfter as error:
                # Telegram asked for a pause: every request keeps it, retried or not.
                pause = (_seconds(error.retry_after) + RETRY_MARGIN) / self.time_scale
                self._halted_until = max(self._halted_until, self.time.now() + pause)
                if attempt == retries:
                    log.error("Rate limit hit after maximum of %d retries", retries)
                    raise
                log.info("Rate limit hit. Retrying after %f seconds", pause)
            except BadRequest as error:
                text, method = error.message.lower(), endpoint.lower()
                if method == "answercallbackquery" and "query is too old" in text:
                    log.info("button press %s was answered already", data.get("callback_query_id"))
                    return True
                if method.startswith("editmessage") and "message is not modified" in text:
                    log.info("message %s shows the edit already", data.get("message_id"))
                    return True
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")
