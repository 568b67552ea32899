"""Fault injection and flood limits, as the bot (PTB) sees them."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.offline.standin import FakeTelegram, Limits, UserClient

App = Application[Any, Any, Any, Any, Any, Any]

# PTB warns about its own retry_after type whenever it builds a RetryAfter.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning"
)


def retry_after_of(error: RetryAfter) -> int:
    """retry_after in seconds, without touching PTB's deprecated int/timedelta property."""
    return int(error.__reduce__()[1][0])


@pytest.fixture
def user(api: FakeTelegram) -> UserClient:
    return UserClient(api, api.add_user(1, "U"), api.enqueue_update)


async def test_timeout_delivers_nothing(api: FakeTelegram, app: App, user: UserClient) -> None:
    api.fail_next("timeout", method="sendMessage")
    with pytest.raises(TimedOut):
        await app.bot.send_message(1, "lost")
    assert user.messages == []
    await app.bot.send_message(1, "retry")
    assert user.texts() == ["retry"]
    assert api.stats.timeouts == 1


async def test_timeout_after_delivers_but_loses_the_answer(
    api: FakeTelegram, app: App, user: UserClient
) -> None:
    api.fail_next("timeout_after")
    with pytest.raises(TimedOut):
        await app.bot.send_message(1, "arrives anyway")
    assert user.texts() == ["arrives anyway"]


@pytest.mark.parametrize(("code", "text"), [(500, "Internal Server Error"), (502, "Bad Gateway")])
async def test_server_errors_are_network_errors(
    api: FakeTelegram, app: App, user: UserClient, code: int, text: str
) -> None:
    api.fail_next("server_error", code=code)
    with pytest.raises(NetworkError, match=text) as caught:
        await app.bot.send_message(1, "x")
    assert not isinstance(caught.value, BadRequest)
    assert user.messages == []


async def test_flood_fault_gives_retry_after(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    api.fail_next("flood", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(1, "x")
    assert retry_after_of(caught.value) == 7
    assert api.stats.flood_429 == 1


async def test_forbidden_and_blocked_users(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    api.fail_next("forbidden", chat_id=1)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await app.bot.send_message(1, "x")
    api.block(1)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await app.bot.send_message(1, "x")
    api.unblock(1)
    await app.bot.send_message(1, "back")
    assert api.unexpected == []


async def test_block_bot_sends_my_chat_member(api: FakeTelegram, app: App) -> None:
    seen: list[str] = []

    async def on_member(update: Any, context: Any) -> None:
        seen.append(update.my_chat_member.new_chat_member.status)

    from telegram.ext import ChatMemberHandler

    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))

    async def deliver(update: dict[str, Any]) -> None:
        from telegram import Update

        await app.process_update(Update.de_json(update, app.bot))

    client = UserClient(api, api.add_user(1, "U"), deliver)
    await client.block_bot()
    with pytest.raises(Forbidden):
        await app.bot.send_message(1, "x")
    await client.unblock_bot()
    assert seen == ["kicked", "member"]


async def test_injected_bad_request_is_not_unexpected(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")
    api.fail_next("bad_request", description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(1, "x")
    assert api.unexpected == []


async def test_faults_match_method_and_chat(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "A")
    api.add_user(2, "B")
    api.fail_next("timeout", method="sendMessage", chat_id=2, times=2)
    await app.bot.send_message(1, "to A")  # not hit
    for _ in range(2):
        with pytest.raises(TimedOut):
            await app.bot.send_message(2, "to B")
    await app.bot.send_message(2, "to B")
    assert api.faults.pending == []


async def test_random_faults_are_seeded(api: FakeTelegram, app: App) -> None:
    api.add_user(1, "U")

    async def run() -> list[str]:
        outcomes = []
        for i in range(40):
            try:
                await app.bot.send_message(1, f"m{i}")
                outcomes.append("ok")
            except TelegramErrorTypes as error:
                outcomes.append(type(error).__name__)
        return outcomes

    api.random_faults(0.3, seed=5)
    first = await run()
    api.random_faults(0.3, seed=5)
    api.flood.reset()
    second = await run()
    api.random_faults(0)
    assert first == second
    assert "ok" in first
    assert len(set(first)) > 2


TelegramErrorTypes = (TimedOut, NetworkError, RetryAfter)


async def test_flood_limit_31st_message_in_a_second(
    api: FakeTelegram, app: App, clock: Any
) -> None:
    for uid in range(1, 32):
        api.add_user(uid, f"U{uid}")
    for uid in range(1, 31):
        await app.bot.send_message(uid, "hi")
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(31, "hi")
    assert retry_after_of(caught.value) == 1
    clock.advance(1.0)
    await app.bot.send_message(31, "hi")
    assert api.stats.sent_messages == 31
    assert api.stats.flood_429 == 1


async def test_flood_limit_21st_message_to_a_group_in_a_minute(
    api: FakeTelegram, app: App, clock: Any
) -> None:
    api.add_group(-100, "群")
    for _ in range(20):
        await app.bot.send_message(-100, "hi")
        clock.advance(0.5)
    with pytest.raises(RetryAfter) as caught:
        await app.bot.send_message(-100, "hi")
    # The first of the 20 was sent 10 s ago: the window frees in 50 s.
    assert retry_after_of(caught.value) == 50
    clock.advance(50)
    await app.bot.send_message(-100, "hi")


async def test_album_counts_each_item(api: FakeTelegram, app: App) -> None:
    from telegram import InputMediaPhoto

    api.add_group(-5, "群")
    for _ in range(18):
        await app.bot.send_message(-5, "x")
    photos = [InputMediaPhoto(b"\x89PNG-ish") for _ in range(3)]
    with pytest.raises(RetryAfter):
        await app.bot.send_media_group(-5, photos)
    await app.bot.send_media_group(-5, photos[:2])


async def test_limits_are_configurable(clock: Any, make_app: Any) -> None:
    api = FakeTelegram(clock=clock, limits=Limits(global_per_second=None, private_per_second=1))
    api.add_user(1, "U")
    async with make_app(api) as application:
        await application.bot.send_message(1, "a")
        with pytest.raises(RetryAfter):
            await application.bot.send_message(1, "b")
        clock.advance(1)
        await application.bot.send_message(1, "b")


async def test_unknown_method_is_loud(api: FakeTelegram, app: App) -> None:
    from telegram.error import EndPointNotFound

    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})
    assert api.unexpected == ["sendHologram: unknown Bot API method (answered 404)"]
    api.unexpected.clear()
