"""Which button presses were answered already: Telegram takes one answer per press.

Every Bot API request passes through the application's rate limiter (PTB's
``BaseRateLimiter`` seam), so :class:`AnsweredQueries` wraps the real limiter and
notes the callback query ids it answered. The error handler asks it before
answering a press: a second answer is refused by Telegram with a 400 ("query is too
old"), so after a handler's own answer the error is told in a message instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

ANSWER = "answercallbackquery"
KEEP = 2000  # presses remembered; an error comes moments after its press's answer


class AnsweredQueries(BaseRateLimiter[Any]):
    """A rate limiter that passes every request to ``inner`` and remembers answered presses."""

    def __init__(self, inner: BaseRateLimiter[Any]) -> None:
        self.inner = inner
        self._answered: OrderedDict[str, None] = OrderedDict()

    async def initialize(self) -> None:
        """Initialise the limiter inside."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the limiter inside down."""
        await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send the request through ``inner``; an answer to a press is noted, sent or not."""
        if endpoint.lower() == ANSWER and "callback_query_id" in data:
            # Noted before sending: a failed answer is not worth a second try either.
            self._answered[str(data["callback_query_id"])] = None
            while len(self._answered) > KEEP:
                self._answered.popitem(last=False)
        return await self.inner.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )

    def answered(self, query_id: str) -> bool:
        """Whether the press ``query_id`` was answered (or an answer was tried)."""
        return query_id in self._answered
