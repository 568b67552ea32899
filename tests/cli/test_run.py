"""``python -m bot run`` as operators run it: a real process, over real HTTP, with signals.

The bot runs in a subprocess against the offline stand-in served over HTTP
(``bot.offline.standin.http``), on a SQLite file the test prepared, and the test plays users
through :class:`UserClient`. This covers what the in-process tests cannot: the real HTTP
client, long polling, the webhook server, start-up, and stopping on SIGTERM or SIGINT
without losing a conversation step.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.offline.standin import Deliver, FakeTelegram, UserClient
from bot.offline.standin.http import StandInServer
from bot.offline.standin.records import JSON
from bot.services.grid import Role
from storage.db import Database
from tests.helpers.process import (
    DEADLINE,
    TOKEN,
    BotProcess,
    district_file,
    enrol,
    free_port,
    write_config,
)

LEADER_ID, ADMIN_ID = 20_001, 20_002


async def prepare_database(path: Path, api: FakeTelegram) -> None:
    """The demo district, a building leader and a community admin, straight into the file."""
    async with district_file(path) as db:
        for user_id, name, role, area in (
            (LEADER_ID, "张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼"),
            (ADMIN_ID, "李敏", Role.COMMUNITY_ADMIN, "滨河社区"),
        ):
            user = api.add_user(user_id, name, phone=f"+86138{user_id:08d}")
            assert user.phone is not None
            await enrol(db, user_id, user.full_name, role, area, user.phone)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[FakeTelegram, StandInServer]]:
    """The stand-in, served over HTTP, with the two members in a prepared database."""
    api = FakeTelegram()
    await prepare_database(tmp_path / "gridbot.sqlite3", api)
    async with StandInServer(api, token=TOKEN) as server:
        yield api, server


@pytest.fixture
async def launcher(tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    """Bot processes the test starts; any left running at the end are killed."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        await process.kill()


async def count(tmp_path: Path, sql: str, *params: object) -> int:
    """A count from the bot's database file (while the bot is not running)."""
    db = await Database(tmp_path / "gridbot.sqlite3").open()
    try:
        return int(await db.fetchval(sql, params))
    finally:
        await db.close()


def clean(log: str) -> None:
    """A run's log shows no traceback and no error."""
    assert "Traceback" not in log, log
    assert " ERROR " not in log, log


async def test_polling_restarts_on_signals_and_keeps_the_conversation(
    tmp_path: Path,
    served: tuple[FakeTelegram, StandInServer],
    launcher: list[BotProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, server = served
    config = write_config(tmp_path, server)
    bot = BotProcess(config, tmp_path)
    launcher.append(bot)
    leader = UserClient(api, LEADER_ID, api.enqueue_update)
    admin = UserClient(api, ADMIN_ID, api.enqueue_update)

    await bot.start()
    # Start-up registers the default commands, in Chinese and in English.
    await bot.until(lambda: bool(api.commands(language_code="en")), "setMyCommands")
    assert [c["command"] for c in api.commands()] == [
        c["command"] for c in api.commands(None, "en")
    ]
    assert "help" in [c["command"] for c in api.commands()]

    # Long polling: a member's /help is answered.
    await leader.send("/help")
    await bot.until(lambda: "您是 楼门长" in leader.last_text, "the answer to /help")
    assert "滨河龙韵西区1号楼" in leader.last_text

    # A conversation step, then SIGTERM while idle.
    await admin.send("/invite")
    await bot.until(lambda: ["楼门长", "楼门长助理"] in admin.buttons(), "the role buttons")
    await admin.press("楼门长")
    await bot.until(lambda: "当前位置" in admin.last_text, "the area picker")
    await bot.until(lambda: not api.unanswered_callbacks(), "the button press answered")
    assert await bot.stop(signal.SIGTERM) == 0
    clean(bot.output)
    assert await count(tmp_path, "SELECT count(*) FROM ptb_conversations") == 1  # the step
    # What was handled was confirmed with getUpdates on the way out: nothing comes again.
    assert api.pending_updates == []

    # Restarted on the same database, the conversation goes on where it was.
    await bot.start()
    await admin.press("📂 滨河龙韵西区1号楼")
    await bot.until(
        lambda: any(
            "选择「滨河龙韵西区1号楼」" in label for row in admin.buttons() for label in row
        ),
        "the next step after SIGTERM",
    )
    assert await bot.stop(signal.SIGINT) == 0
    clean(bot.output)
    assert api.pending_updates == []

    # And after SIGINT too. The last step sends the invite's QR code (a file upload); a
    # SIGTERM that comes while the upload is in flight lets the update finish first.
    await bot.start()
    gate, held = asyncio.Event(), asyncio.Event()
    handle = api.handle

    async def held_photos(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "sendPhoto":
            held.set()
            await gate.wait()
        return await handle(method, params)

    monkeypatch.setattr(api, "handle", held_photos)
    press = await admin.press("✅ 选择「滨河龙韵西区1号楼」")
    await bot.until(held.is_set, "the QR code's upload")
    stopping = asyncio.create_task(bot.stop(signal.SIGTERM))
    await bot.until(lambda: "stopping: waiting for 1 update(s)" in bot.output, "the stop to begin")
    gate.set()
    assert await stopping == 0
    clean(bot.output)
    assert "邀请已生成" in admin.texts()[-2]
    assert (admin.file_bytes(admin.photos[-1]) or b"").startswith(b"\x89PNG")
    assert api.pending_updates == []
    handled = "SELECT count(*) FROM processed_updates WHERE update_id = ?"
    assert await count(tmp_path, handled, press["update_id"]) == 1  # handled to the end
    assert await count(tmp_path, "SELECT count(*) FROM ptb_conversations") == 0  # and over

    assert not api.unanswered_callbacks()
    api.assert_clean()


async def test_webhook_mode(
    tmp_path: Path, served: tuple[FakeTelegram, StandInServer], launcher: list[BotProcess]
) -> None:
    api, server = served
    port = free_port()
    hook_url = "https://example.invalid/hook/path"
    config = write_config(
        tmp_path,
        server,
        'mode = "webhook"\n'
        "[telegram.webhook]\n"
        'listen = "127.0.0.1"\n'
        f"port = {port}\n"
        f'url = "{hook_url}"\n'
        'secret_token = "s3cret"\n',
    )
    bot = BotProcess(config, tmp_path)
    launcher.append(bot)
    await bot.start()
    await bot.until(lambda: api.webhook_url == hook_url, "setWebhook")
    assert api.webhook_params["secret_token"] == "s3cret"
    assert "message" in api.webhook_params["allowed_updates"]

    statuses: list[int] = []
    async with httpx.AsyncClient() as client:

        def poster(headers: dict[str, str]) -> Deliver:
            async def post(update: JSON) -> None:
                # The bot listens once setWebhook is done; until then, connecting fails.
                async with asyncio.timeout(DEADLINE):
                    while True:
                        try:
                            answer = await client.post(
                                f"http://127.0.0.1:{port}/hook/path", json=update, headers=headers
                            )
                        except httpx.ConnectError:
                            await asyncio.sleep(0.02)
                            continue
                        statuses.append(answer.status_code)
                        return

            return post

        leader = UserClient(api, LEADER_ID, poster({"X-Telegram-Bot-Api-Secret-Token": "s3cret"}))
        forger = UserClient(api, ADMIN_ID, poster({"X-Telegram-Bot-Api-Secret-Token": "guess"}))
        await forger.send("/help")
        forger.deliver = poster({})  # no secret at all
        await forger.send("/help")
        assert statuses == [403, 403]
        await leader.send("/help")
        assert statuses == [403, 403, 200]
        await bot.until(lambda: "您是 楼门长" in leader.last_text, "the answer through the webhook")

        # Poison: with the right secret, updates that cannot be handled are logged and
        # answered, and the bot goes on hearing (it used to go deaf).
        url = f"http://127.0.0.1:{port}/hook/path"
        right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret", "Content-Type": "application/json"}
        for body in (b'{"update_id":"abc"}', b'{"update_id":%d}' % 2**70, b"not json", b"[1]"):
            answer = await client.post(url, content=body, headers=right)
            assert answer.status_code == 200, body
        # Too big a body, or a wrong secret, is refused from the headers alone: the
        # answer comes before a byte of the body was sent.
        assert await headers_only(port, "s3cret", 2 << 20) == 413
        assert await headers_only(port, "guess", 2 << 20) == 403
        before = len(leader.texts())
        await leader.send("/help")
        await bot.until(lambda: len(leader.texts()) > before, "an answer after the poison")
        assert "您是 楼门长" in leader.last_text
    # Updates are handled in order: the forged ones, refused, were never handled.
    assert api.bot_messages(ADMIN_ID) == []
    assert await bot.stop(signal.SIGTERM) == 0
    log = bot.output
    assert "Traceback" not in log, log
    # The only errors logged are the four refused bodies.
    assert log.count(" ERROR ") == 4, log
    api.assert_clean()


async def headers_only(port: int, secret: str, length: int) -> int:
    """POST only the headers of a body of ``length`` bytes; the status the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                "POST /hook/path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        async with asyncio.timeout(DEADLINE):
            status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("problem", "status", "line"),
    [
        ("refused token", 2, "gridbot: config: telegram.token: refused by Telegram (Unauthorized)"),
        ("no Telegram", 2, "gridbot: cannot reach http://127.0.0.1:"),
    ],
)
async def test_a_start_that_cannot_reach_telegram_ends_with_one_line(
    tmp_path: Path,
    served: tuple[FakeTelegram, StandInServer],
    launcher: list[BotProcess],
    problem: str,
    status: int,
    line: str,
) -> None:
    _, server = served
    if problem == "refused token":
        config = write_config(tmp_path, server, token=TOKEN + "x")
    else:
        config = write_config(tmp_path, free_port())  # nobody listens there
    bot = BotProcess(config, tmp_path)
    launcher.append(bot)
    await bot.start()
    assert bot.proc is not None
    async with asyncio.timeout(DEADLINE):
        assert await bot.proc.wait() == status
    # One line, not python-telegram-bot's hundred lines of traceback before it.
    lines = [entry for entry in bot.output.splitlines() if entry.strip()]
    assert len(lines) == 1, bot.output
    assert lines[0].startswith(line), bot.output
    assert "Traceback" not in bot.output
