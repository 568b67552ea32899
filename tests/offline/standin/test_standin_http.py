"""The stand-in over real HTTP: decoding PTB's form posts faithfully, files, long polls."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyParameters,
)
from telegram.error import NetworkError, TelegramError

from bot.offline.standin import FakeTelegram, StandInRequest, UserClient
from bot.offline.standin.http import StandInServer, decode_form, text_fields
from bot.offline.standin.records import JSON, Upload

TOKEN = "123456:STANDIN-http-test-token-000"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x08" + b"\x00" * 16

Call = Callable[[Bot], Awaitable[object]]


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeTelegram, StandInServer]]:
    api = FakeTelegram()
    api.add_user(1001, "Alice")
    async with StandInServer(api, token=TOKEN) as server:
        yield api, server


def http_bot(server: StandInServer) -> Bot:
    """A plain PTB bot with its real HTTP client, pointed at the server."""
    return Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)


# ---------------------------------------------------------------------- which fields are text


def test_text_fields_come_from_ptb_annotations() -> None:
    send = text_fields("sendMessage")
    assert {"text", "parse_mode", "business_connection_id", "message_effect_id"} <= send
    assert not {"chat_id", "reply_markup", "entities", "disable_notification"} & send
    assert text_fields("SENDMESSAGE") == send  # Telegram's names are case-insensitive
    assert {"photo", "caption"} <= text_fields("sendPhoto")  # files go as ids or attach://
    assert {"callback_query_id", "text", "url"} <= text_fields("answerCallbackQuery")
    assert "cache_time" not in text_fields("answerCallbackQuery")
    assert not text_fields("getUpdates")  # offset is a number there ...
    assert "next_offset" in text_fields("answerInlineQuery")  # ... and text here
    assert {"url", "secret_token", "ip_address"} <= text_fields("setWebhook")
    assert "allowed_updates" not in text_fields("setWebhook")
    # A str or an object PTB reduces to its id: text (gift ids are all digits).
    assert "gift_id" in text_fields("sendGift")
    assert "file_id" in text_fields("getFile")
    assert "invite_link" in text_fields("revokeChatInviteLink")
    assert text_fields("noSuchMethod") == frozenset()


@pytest.mark.parametrize(
    ("method", "fields", "expected"),
    [
        ("sendMessage", {"chat_id": "1001", "text": "123"}, {"chat_id": 1001, "text": "123"}),
        (
            "sendMessage",
            {"chat_id": "-1001234", "text": "true"},
            {"chat_id": -1001234, "text": "true"},
        ),
        ("sendMessage", {"chat_id": "@news", "text": "null"}, {"chat_id": "@news", "text": "null"}),
        ("sendMessage", {"text": '"quoted"'}, {"text": '"quoted"'}),
        (
            "sendMessage",
            {"text": "[1, 2]", "parse_mode": "HTML"},
            {"text": "[1, 2]", "parse_mode": "HTML"},
        ),
        ("sendMessage", {"text": " 7 "}, {"text": " 7 "}),
        (
            "sendMessage",
            {
                "text": "{}",
                "reply_markup": '{"inline_keyboard": [[{"text": "1", "callback_data": "1"}]]}',
            },
            {
                "text": "{}",
                "reply_markup": {"inline_keyboard": [[{"text": "1", "callback_data": "1"}]]},
            },
        ),
        (
            "answerCallbackQuery",
            {
                "callback_query_id": "4200000001",
                "text": "42",
                "show_alert": "true",
                "cache_time": "5",
            },
            {"callback_query_id": "4200000001", "text": "42", "show_alert": True, "cache_time": 5},
        ),
        (
            "getUpdates",
            {"offset": "17", "timeout": "10", "allowed_updates": '["message"]'},
            {"offset": 17, "timeout": 10, "allowed_updates": ["message"]},
        ),
        (
            "setWebhook",
            {"url": "https://x.invalid/h", "secret_token": "12345", "max_connections": "40"},
            {"url": "https://x.invalid/h", "secret_token": "12345", "max_connections": 40},
        ),
        (
            "sendLocation",
            {"latitude": "31.5", "longitude": "121"},
            {"latitude": 31.5, "longitude": 121},
        ),
        ("sendGift", {"gift_id": "5170145012310081615"}, {"gift_id": "5170145012310081615"}),
        ("getFile", {"file_id": "123"}, {"file_id": "123"}),
        (
            "setMyCommands",
            {"language_code": "en", "commands": "[]"},
            {"language_code": "en", "commands": []},
        ),
        ("noSuchMethod", {"n": "1", "s": "word"}, {"n": 1, "s": "word"}),
    ],
)
def test_decode_form_keeps_text_text(method: str, fields: dict[str, str], expected: JSON) -> None:
    assert decode_form(method, fields) == expected


def test_decode_form_puts_files_in_place() -> None:
    photo = Upload("a.png", PNG, "image/png")
    other = Upload("b.png", PNG, "image/png")
    media = json.dumps(
        [{"type": "photo", "media": "attach://one"}, {"type": "photo", "media": "attach://two"}]
    )
    params = decode_form(
        "sendMediaGroup", {"chat_id": "1", "media": media}, {"one": photo, "two": other}
    )
    assert params["media"] == [{"type": "photo", "media": photo}, {"type": "photo", "media": other}]
    assert decode_form("sendPhoto", {"caption": "0"}, {"photo": photo}) == {
        "caption": "0",
        "photo": photo,
    }


# ---------------------------------------------------------------------- both seams agree


CALLS: list[tuple[str, Call]] = [
    ("getMe", lambda bot: bot.get_me()),
    (
        "text that looks like JSON, with buttons",
        lambda bot: bot.send_message(
            1001,
            "123",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("1", callback_data="1")]]),
        ),
    ),
    ("true", lambda bot: bot.send_message(1001, "true", disable_notification=True)),
    ("null", lambda bot: bot.send_message(1001, "null", parse_mode="HTML")),
    ("object", lambda bot: bot.send_message(1001, '{"a": 1}')),
    ("float", lambda bot: bot.send_message(1001, "1.5")),
    (
        "reply parameters",
        lambda bot: bot.send_message(1001, "[1]", reply_parameters=ReplyParameters(1)),
    ),
    ("unknown username", lambda bot: bot.send_message("@nobody", "x")),
    (
        "upload",
        lambda bot: bot.send_photo(1001, PNG, caption="0", filename="图片.png"),
    ),
    (
        "album upload",
        lambda bot: bot.send_media_group(
            1001, [InputMediaPhoto(PNG, caption="1"), InputMediaPhoto(PNG, filename="b.png")]
        ),
    ),
    (
        "document",
        lambda bot: bot.send_document(1001, b"%PDF-1.4", filename="报告.pdf", caption="false"),
    ),
    ("location", lambda bot: bot.send_location(1001, 31.5, 121.25)),
    ("edit", lambda bot: bot.edit_message_text("2", chat_id=1001, message_id=1)),
    (
        "answer",
        lambda bot: bot.answer_callback_query(
            "12345", text="42", show_alert=True, cache_time=dtm.timedelta(seconds=5)
        ),
    ),
    (
        "commands",
        lambda bot: bot.set_my_commands(
            [BotCommand("help", "帮助")], scope=BotCommandScopeChat(1001), language_code="en"
        ),
    ),
    ("file id", lambda bot: bot.get_file("123")),
    (
        "webhook",
        lambda bot: bot.set_webhook(
            "https://example.invalid/hook",
            secret_token="12345",
            allowed_updates=["message"],
            max_connections=40,
        ),
    ),
    ("no webhook", lambda bot: bot.delete_webhook(drop_pending_updates=False)),
    (
        "poll",
        lambda bot: bot.get_updates(
            offset=5, timeout=0, allowed_updates=["message", "callback_query"]
        ),
    ),
    ("gift", lambda bot: bot.send_gift(gift_id="5170145012310081615", user_id=1001)),
]


def recording(
    api: FakeTelegram, into: list[tuple[str, JSON]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Note every call's decoded parameters as the api receives them."""
    handle = api.handle

    async def spy(method: str, params: JSON) -> tuple[int, JSON]:
        into.append((method, params))
        return await handle(method, params)

    monkeypatch.setattr(api, "handle", spy)


async def test_http_decodes_what_the_in_process_seam_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same PTB calls reach the api with the same parameters, over HTTP or not."""
    seen: dict[str, list[tuple[str, JSON]]] = {"direct": [], "http": []}
    direct_api, http_api = FakeTelegram(), FakeTelegram()
    for api, name in ((direct_api, "direct"), (http_api, "http")):
        api.add_user(1001, "Alice")
        recording(api, seen[name], monkeypatch)
    direct = Bot(
        TOKEN,
        request=StandInRequest(direct_api),
        get_updates_request=StandInRequest(direct_api),
    )
    async with StandInServer(http_api) as server:
        for bot in (direct, http_bot(server)):
            async with bot:
                for _, call in CALLS:
                    # Errors are answers too; the parameters are what count here.
                    with contextlib.suppress(TelegramError):
                        await call(bot)
    assert len(seen["http"]) == len(seen["direct"]) >= len(CALLS)
    for (label, _), got, want in zip(CALLS, seen["http"][1:], seen["direct"][1:], strict=False):
        assert got == want, label
    assert seen["http"] == seen["direct"]
    assert direct_api.errors == http_api.errors  # and so the same answers


# ---------------------------------------------------------------------- HTTP mechanics


async def test_files_download_and_a_conversation_over_http(
    served: tuple[FakeTelegram, StandInServer],
) -> None:
    api, server = served
    async with http_bot(server) as bot:
        assert bot.username == api.bot_username
        message = await bot.send_photo(1001, PNG, caption="<b>图</b>", parse_mode="HTML")
        assert message.photo and message.caption == "图"
        file = await bot.get_file(message.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == PNG
        alice = UserClient(api, 1001, api.enqueue_update)
        assert alice.photos[-1].text == "图"
        assert alice.file_bytes(alice.photos[-1]) == PNG
    api.assert_clean()


async def test_not_found_unauthorized_and_other_encodings(
    served: tuple[FakeTelegram, StandInServer],
) -> None:
    api, server = served
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient() as client:
        missing = await client.get(f"{base}/nowhere")
        assert missing.status_code == 404 and missing.json()["ok"] is False
        unknown_file = await client.get(f"{server.base_file_url}{TOKEN}/photos/none.jpg")
        assert unknown_file.status_code == 404
        wrong = await client.post(f"{server.base_url}999:WRONG-token-xxxxxxxxxxxxxxxx/getMe")
        assert wrong.status_code == 401 and wrong.json()["description"] == "Unauthorized"
        by_get = await client.get(f"{server.base_url}{TOKEN}/getMe")
        assert by_get.json()["result"]["username"] == api.bot_username
        query = await client.get(
            f"{server.base_url}{TOKEN}/sendMessage", params={"chat_id": "1001", "text": "123"}
        )
        assert query.json()["result"]["text"] == "123"
        as_json = await client.post(
            f"{server.base_url}{TOKEN}/sendMessage", json={"chat_id": 1001, "text": "true"}
        )
        assert as_json.json()["result"]["text"] == "true"
        bad = await client.post(
            f"{server.base_url}{TOKEN}/sendMessage",
            content=b"{nope",
            headers={"Content-Type": "application/json"},
        )
        assert bad.status_code == 400 and bad.json()["ok"] is False
        unknown = await client.post(f"{server.base_url}{TOKEN}/sendTelepathy")
        assert unknown.status_code == 404
    assert api.unexpected == ["sendTelepathy: unknown Bot API method (answered 404)"]


async def test_keep_alive(served: tuple[FakeTelegram, StandInServer]) -> None:
    """Two requests on one connection, as httpx's pool sends them."""
    _, server = served
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for _ in range(2):
            body = b"chat_id=1001&text=hi"
            writer.write(
                f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            answer = json.loads(await reader.readexactly(length))
            assert answer["result"]["text"] == "hi"
    finally:
        writer.close()
        await writer.wait_closed()


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Wait until ``condition()`` holds, checking every few milliseconds."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition is the server's state
            await asyncio.sleep(0.01)


async def test_long_poll_over_http(served: tuple[FakeTelegram, StandInServer]) -> None:
    api, server = served
    alice = UserClient(api, 1001, api.enqueue_update)
    async with http_bot(server) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=35))
        await until(lambda: server.calls_in_progress == 1)
        await alice.send("123")
        updates = await asyncio.wait_for(poll, 10)
        assert updates[0].message is not None and updates[0].message.text == "123"


async def test_a_long_poll_whose_client_hangs_up_is_abandoned(
    served: tuple[FakeTelegram, StandInServer],
) -> None:
    _, server = served
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(
            client.post(f"{server.base_url}{TOKEN}/getUpdates", data={"timeout": "30"})
        )
        await until(lambda: server.calls_in_progress == 1)
        poll.cancel()
        with pytest.raises(asyncio.CancelledError):
            await poll
    await until(lambda: server.calls_in_progress == 0)


async def test_stop_ends_long_polls_at_once() -> None:
    api = FakeTelegram()
    server = await StandInServer(api).start()
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(
            client.post(f"{server.base_url}{TOKEN}/getUpdates", data={"timeout": "30"})
        )
        await until(lambda: server.calls_in_progress == 1)
        await asyncio.wait_for(server.stop(), 10)
        with pytest.raises(httpx.RemoteProtocolError):
            await asyncio.wait_for(poll, 10)
    assert server.calls_in_progress == 0


async def test_an_injected_timeout_gives_no_answer(
    served: tuple[FakeTelegram, StandInServer],
) -> None:
    api, server = served
    async with http_bot(server) as bot:
        api.fail_next("timeout", "sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(1001, "lost")
        assert (await bot.send_message(1001, "again")).text == "again"
    assert [m.text for m in api.bot_messages(1001)] == ["again"]


def test_ports_are_only_known_once_started() -> None:
    server = StandInServer(FakeTelegram())
    with pytest.raises(RuntimeError):
        _ = server.base_url


async def test_a_stand_in_crash_is_a_500_in_telegrams_shape(
    served: tuple[FakeTelegram, StandInServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, server = served

    async def crash(method: str, params: JSON) -> tuple[int, JSON]:
        raise RuntimeError("stand-in bug")

    monkeypatch.setattr(api, "handle", crash)
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{server.base_url}{TOKEN}/getMe")
    assert answer.status_code == 500
    assert answer.json() == {
        "ok": False,
        "error_code": 500,
        "description": "Internal Server Error",
    }
