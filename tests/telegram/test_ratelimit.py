"""The rate limiter: Telegram's flood limits as sliding windows, 429s, replays; in the bot too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from telegram import InputMediaPhoto
from telegram.error import BadRequest, RetryAfter

from bot.clock import FakeClock
from bot.config import Config
from bot.main import production_rate_limiter
from bot.offline.harness import OfflineBot
from bot.offline.standin import FakeTelegram
from bot.runtime import Runtime
from bot.services.grid import Role
from bot.services.notify import notify_member
from bot.telegram.answered import AnsweredQueries
from bot.telegram.outgoing import Outgoing
from bot.telegram.ratelimit import (
    GridRateLimiter,
    LoopTime,
    Retries,
    SkippedTime,
    SlidingWindow,
)
from storage.outbox import OutboxRow
from tests.conftest import ErrorLog


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


# ---------------------------------------------------------------- the limiter's windows


# Outside an Application (which opts in to timedeltas) PTB warns on reading retry_after.
RETRY_AFTER_IS_AN_INT = pytest.mark.filterwarnings(
    "ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning"
)


class Sends:
    """A Bot API call that records the limiter's time at which each request went."""

    def __init__(self, time: SkippedTime, fail: list[Exception] | None = None) -> None:
        self.time = time
        self.at: list[float] = []
        self.fail = fail or []

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        if self.fail:
            raise self.fail.pop(0)
        self.at.append(self.time.now())
        return True


def limiter_on(time: SkippedTime, **kwargs: Any) -> GridRateLimiter:
    return GridRateLimiter(time=time, **kwargs)


async def send_all(
    limiter: GridRateLimiter, sends: Sends, chats: list[int | str], **data: Any
) -> None:
    await asyncio.gather(
        *(
            limiter.process_request(sends, (), {}, "sendMessage", {"chat_id": c, **data}, None)
            for c in chats
        )
    )


def most_in_any(times: list[float], period: float) -> int:
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


async def test_at_most_30_a_second_overall_and_no_second_lost() -> None:
    time = SkippedTime()
    limiter, sends = limiter_on(time), Sends(time)
    await send_all(limiter, sends, list(range(1, 96)))
    assert len(sends.at) == 95
    assert most_in_any(sends.at, 1.0) == 30
    assert max(sends.at) == 3.0  # 30 at 0 s, 1 s, 2 s, and the last 5 at 3 s


async def test_paid_broadcast_goes_at_up_to_1000_a_second() -> None:
    time = SkippedTime()
    limiter, sends = limiter_on(time), Sends(time)
    await send_all(limiter, sends, list(range(1, 1201)), allow_paid_broadcast=True)
    assert most_in_any(sends.at, 1.0) == 1000
    assert max(sends.at) == 1.0
    # The free window is its own: a plain message is not held behind the broadcast.
    free = Sends(time)
    await send_all(limiter, free, [5000])
    assert free.at == [1.0]


async def test_at_most_20_a_minute_into_a_group_and_others_go_on() -> None:
    time = SkippedTime()
    limiter, group, private = limiter_on(time), Sends(time), Sends(time)
    await send_all(limiter, group, [-100] * 25)
    assert most_in_any(group.at, 60.0) == 20
    assert sorted(group.at)[19:] == [0.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    await send_all(limiter, private, [7])  # a private chat is not held by the group's limit
    assert private.at == [60.0]  # (the time the group's waits moved the clock to)
    channel = Sends(time)
    await send_all(limiter, channel, ["@channel"] * 21)  # a @username is a group too
    assert most_in_any(channel.at, 60.0) == 20


@RETRY_AFTER_IS_AN_INT
async def test_a_429_halts_every_request_and_is_retried() -> None:
    time = SkippedTime()
    limiter = limiter_on(time, max_retries=2)
    sends = Sends(time, fail=[RetryAfter(timedelta(seconds=5))])
    assert await limiter.process_request(sends, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert sends.at == [5.1]  # retried after retry_after (and python-telegram-bot's 0.1 s)
    sends.fail = [RetryAfter(timedelta(seconds=3))] * 3
    with pytest.raises(RetryAfter):
        await limiter.process_request(sends, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert time.now() == pytest.approx(5.1 + 3.1 * 2)


@RETRY_AFTER_IS_AN_INT
async def test_a_request_may_ask_for_no_retries_and_the_pause_holds_all(
    errors: ErrorLog,
) -> None:
    time = SkippedTime()
    limiter = limiter_on(time, max_retries=2)
    sends = Sends(time, fail=[RetryAfter(timedelta(seconds=7))])
    with pytest.raises(RetryAfter):
        await limiter.process_request(sends, (), {}, "sendMessage", {"chat_id": 1}, Retries(0))
    assert sends.at == [] and time.now() == 0.0  # given back at once: no retry
    assert errors.take() == ["Rate limit hit after maximum of 0 retries"]
    # Telegram's pause holds every request, even to another chat.
    await limiter.process_request(sends, (), {}, "sendMessage", {"chat_id": 2}, None)
    assert sends.at == [pytest.approx(7.1)]


# ---------------------------------------------------------------- in the running bot


async def test_the_bot_runs_with_the_production_limiter(gridbot: OfflineBot) -> None:
    limiter = gridbot.app.bot.rate_limiter
    assert isinstance(limiter, AnsweredQueries)
    inner = limiter.inner
    assert isinstance(inner, GridRateLimiter)
    assert inner.time is gridbot.limiter_time
    assert inner.max_retries == 2
    assert inner.overall is not None and (inner.overall.max_rate, inner.overall.period) == (
        30,
        1.0,
    )
    assert inner.paid is not None and inner.paid.max_rate == 1000
    assert (inner.group_max_rate, inner.group_period) == (20, 60.0)


async def test_an_edit_is_answered_as_done_and_its_message_not_built(
    gridbot: OfflineBot,
) -> None:
    # PTB behaviour relied on (ratelimit.UNREAD_ANSWERS): the True the limiter gives for an
    # edit is what the bot's edit returns, not a Message built from Telegram's answer.
    person = await gridbot.member("甲", Role.BUILDING_LEADER, "欣园小区1号楼")
    chat = person.client.user.id
    sent = await gridbot.app.bot.send_message(chat, "第一稿")
    edited = await gridbot.app.bot.edit_message_text(
        "第二稿", chat_id=chat, message_id=sent.message_id
    )
    assert edited is True
    assert person.client.chat.messages[sent.message_id].text == "第二稿"
    marked = await gridbot.app.bot.edit_message_reply_markup(chat, sent.message_id)
    assert marked is True
    # A send's answer is still a Message, with the id and chat gridbot reads of it.
    assert sent.message_id > 0 and sent.chat.id == chat and sent.text is None
    album = await gridbot.app.bot.send_media_group(
        chat,
        [
            InputMediaPhoto("https://example.org/a.jpg"),
            InputMediaPhoto("https://example.org/b.jpg"),
        ],
    )
    assert [m.message_id for m in album] == [sent.message_id + 1, sent.message_id + 2]


async def hello(runtime: Runtime, row: OutboxRow, language: str) -> Outgoing:
    return Outgoing(text=f"hello {row.payload['n']}")


async def test_a_burst_keeps_telegrams_limits_and_gets_no_429(
    config: Config, clock: FakeClock
) -> None:
    """The stand-in enforces Telegram's limits on the limiter's clock: nothing is refused."""
    time = SkippedTime()
    api = FakeTelegram(clock=time.now)  # Telegram's limits on
    async with OfflineBot(config, api=api, clock=clock, limiter_time=time) as bot:
        await bot.import_areas()
        people = [
            await bot.member(f"人{i}", Role.BUILDING_LEADER, "欣园小区1号楼") for i in range(20)
        ]
        assert bot.app.delivery is not None
        bot.app.delivery.renderers = {"test.hello": hello}
        async with bot.db.transaction() as tx:
            for n in range(3):
                for person in people:
                    assert person.member is not None
                    await notify_member(tx, person.member, "test.hello", {"n": n}, now="2026")
        await bot.run_due_jobs()
        assert api.stats.flood_429 == 0
        assert all(len(p.client.texts()) == 3 for p in people)
        assert time.now() >= 1.0  # 60 messages: the limiter waited, on its own clock
