"""The overall flood limit: at most ``max_rate`` messages in any ``period``, in flight or done."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram.error import BadRequest

from bot.main import production_rate_limiter
from bot.telegram.ratelimit import GridRateLimiter, LoopTime, SkippedTime, SlidingWindow


class Clock(LoopTime):
    """Real waits, with the time read from ``now`` (set by the test)."""

    def __init__(self) -> None:
        self.at = 0.0

    def now(self) -> float:
        return self.at


async def blocked(task: asyncio.Task[None]) -> bool:
    """Whether ``task`` is still waiting (given a moment to go on if it could)."""
    done, _ = await asyncio.wait({task}, timeout=0.05)
    return not done


async def test_a_window_holds_at_most_max_rate() -> None:
    clock = Clock()
    window = SlidingWindow(3, period=1000.0, time=clock)  # long: only releases wake it
    for _ in range(3):
        await window.__aenter__()
    fourth = asyncio.create_task(window.__aenter__())
    assert await blocked(fourth)  # three in flight
    clock.at = 10.0
    await window.__aexit__(None, None, None)
    assert await blocked(fourth)  # one done 0 s ago still counts, two in flight
    clock.at = 1011.0
    await window.__aexit__(None, None, None)  # the first left the window by now
    await asyncio.wait_for(fourth, 5)
    fifth = asyncio.create_task(window.__aenter__())
    assert await blocked(fifth)  # one in flight, one done at 1011, the fourth in flight
    fifth.cancel()


async def test_a_late_wake_up_is_made_up() -> None:
    clock = Clock()
    window = SlidingWindow(2, period=1.0, time=clock)
    for at in (0.0, 0.1):
        clock.at = at
        async with window:
            pass
    # Much later (a slow loop): both slots are free at once, not one per period.
    clock.at = 5.0
    for _ in range(2):
        await asyncio.wait_for(window.__aenter__(), 1)


def test_production_limiter_uses_the_window() -> None:
    limiter = production_rate_limiter(time_scale=2.0)
    assert isinstance(limiter, GridRateLimiter)
    window = limiter.overall
    assert isinstance(window, SlidingWindow)
    assert (window.max_rate, window.period) == (30, 0.5)


def refusing(message: str) -> Callable[..., Coroutine[Any, Any, bool]]:
    async def call(*args: Any, **kwargs: Any) -> bool:
        raise BadRequest(message)

    return call


@pytest.mark.parametrize(
    ("endpoint", "message", "taken"),
    [
        ("answerCallbackQuery", "Query is too old and response timeout expired", True),
        ("editMessageText", "Message is not modified: specified new message content", True),
        ("editMessageReplyMarkup", "Message is not modified", True),
        ("sendMessage", "Message is not modified", False),
        ("answerCallbackQuery", "Bad Request: chat not found", False),
    ],
)
async def test_work_done_before_a_crash_is_taken_as_done(
    endpoint: str, message: str, taken: bool
) -> None:
    limiter = GridRateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=0)
    await limiter.initialize()
    call = limiter.process_request(refusing(message), (), {}, endpoint, {"chat_id": 1}, None)
    if taken:
        assert await call is True
    else:
        with pytest.raises(BadRequest):
            await call
