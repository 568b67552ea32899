"""getUpdates, polling through Application.updater, webhooks and bot commands."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import BadRequest, Conflict
from telegram.ext import Application, MessageHandler, filters

from bot.offline.standin import FakeTelegram, UserClient

App = Application[Any, Any, Any, Any, Any, Any]


async def test_get_updates_with_offset_and_limit(api: FakeTelegram, app: App) -> None:
    alice = UserClient(api, api.add_user(1, "Alice"), api.enqueue_update)
    for text in ("one", "two", "three"):
        await alice.send(text)
    updates = await app.bot.get_updates(timeout=0, limit=2)
    assert [u.message.text for u in updates if u.message] == ["one", "two"]
    # Asking again without confirming gives the same updates.
    again = await app.bot.get_updates(timeout=0)
    assert len(again) == 3
    rest = await app.bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["three"]
    assert len(api.pending_updates) == 1
    assert await app.bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()


async def test_long_poll_wakes_on_a_new_update(api: FakeTelegram, app: App) -> None:
    alice = UserClient(api, api.add_user(1, "Alice"), api.enqueue_update)
    poll = asyncio.create_task(app.bot.get_updates(timeout=30))
    await asyncio.sleep(0)  # let the poll start waiting
    assert not poll.done()
    await alice.send("wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert updates[0].message is not None
    assert updates[0].message.text == "wake up"


async def test_allowed_updates_filter(api: FakeTelegram, app: App) -> None:
    alice = UserClient(api, api.add_user(1, "Alice"), api.enqueue_update)
    await alice.send("/buttons")
    await alice.press_data("x")
    updates = await app.bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in updates] == [True]


async def test_webhook_blocks_get_updates(api: FakeTelegram, app: App) -> None:
    await app.bot.set_webhook("https://example.org/hook")
    info = await app.bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    api.expect_error("webhook is active")
    with pytest.raises(Conflict):
        await app.bot.get_updates(timeout=0)
    await app.bot.delete_webhook(drop_pending_updates=True)
    assert (await app.bot.get_webhook_info()).url == ""


async def test_polling_through_the_updater(api: FakeTelegram) -> None:
    seen = asyncio.Event()
    texts: list[str] = []
    from telegram.ext import Application as App_

    from bot.offline.standin import StandInRequest

    application = (
        App_.builder()
        .token("123:TEST")
        .request(StandInRequest(api))
        .get_updates_request(StandInRequest(api))
        .build()
    )

    async def echo(update: Update, context: Any) -> None:
        assert update.message
        assert update.message.text
        texts.append(update.message.text)
        await update.message.reply_text(f"got {update.message.text}")
        seen.set()

    application.add_handler(MessageHandler(filters.TEXT, echo))
    alice = UserClient(api, api.add_user(1, "Alice"), api.enqueue_update)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0)
        await alice.send("hello")
        await asyncio.wait_for(seen.wait(), 5)
        await application.updater.stop()
        await application.stop()
    assert texts == ["hello"]
    assert alice.last_text == "got hello"
    assert api.pending_updates == []  # the updater confirmed it on the way out


async def test_commands_by_scope_and_language(api: FakeTelegram, app: App) -> None:
    default = [BotCommand("start", "开始"), BotCommand("help", "帮助")]
    await app.bot.set_my_commands(default)
    await app.bot.set_my_commands(
        [BotCommand("report", "上报")], scope=BotCommandScopeChat(5), language_code="zh"
    )
    assert [c["command"] for c in api.commands()] == ["start", "help"]
    assert api.commands(scope={"type": "chat", "chat_id": 5}, language_code="zh") == [
        {"command": "report", "description": "上报"}
    ]
    assert api.commands(scope={"type": "chat", "chat_id": 5}) == []
    got = await app.bot.get_my_commands(scope=BotCommandScopeChat(5), language_code="zh")
    assert [c.command for c in got] == ["report"]
    await app.bot.delete_my_commands(scope=BotCommandScopeDefault())
    assert api.commands() == []
    api.expect_error("BOT_COMMAND_INVALID")
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Bad-Name", "x")])
