"""``python -m bot run`` in a subprocess against the stand-in served over HTTP: the process,
its config file, and waiting on what it does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.clock import SystemClock
from bot.config import load_config
from bot.offline.harness import DEMO_AREAS
from bot.offline.standin.http import StandInServer
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services.grid import Role
from bot.services.invites import create_invite
from bot.services.members import Member
from storage.db import Database
from storage.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7000000001:RUN-subprocess-test-token-000000"
# Generous: a loaded two-core machine may take seconds to start Python and PTB.
DEADLINE = 30.0
# A stop must not wait out a long poll (PTB polls for 10 s): it is prompt or it is wrong.
STOP_DEADLINE = 8.0


async def until(condition: Callable[[], bool], seconds: float = DEADLINE) -> None:
    """Wait until ``condition()`` holds, checking every few milliseconds."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition is the stand-in's state
            await asyncio.sleep(0.02)


class BotProcess:
    """``python -m bot run`` in a subprocess; each start writes its own log file."""

    def __init__(self, config: Path, logs: Path) -> None:
        self.config = config
        self.logs = logs
        self.starts = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.log: Path = logs / "none.log"

    async def start(self) -> None:
        """Start the bot (it then initialises, registers commands and polls on its own)."""
        assert self.proc is None or self.proc.returncode is not None
        self.starts += 1
        self.log = self.logs / f"run-{self.starts}.log"
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(self.config),
                cwd=ROOT,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.logs)},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    @property
    def output(self) -> str:
        """What the current (or last) run has logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait for ``condition``; fail with the log if the bot exits or takes too long."""
        assert self.proc is not None

        def done() -> bool:
            assert self.proc is not None
            if self.proc.returncode is not None:
                raise AssertionError(
                    f"the bot exited ({self.proc.returncode}) before {what}:\n{self.output}"
                )
            return condition()

        try:
            await until(done)
        except TimeoutError:
            raise AssertionError(f"no {what} within {DEADLINE}s; log:\n{self.output}") from None

    async def stop(self, sig: signal.Signals) -> int:
        """Send ``sig`` and return the exit status; fail if the bot does not exit in time."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            async with asyncio.timeout(STOP_DEADLINE):
                return await self.proc.wait()
        except TimeoutError:
            raise AssertionError(
                f"no exit within {STOP_DEADLINE}s of {sig.name}; log:\n{self.output}"
            ) from None

    async def kill(self) -> None:
        """Make sure nothing is left running (after a failed test)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    tmp_path: Path, server: StandInServer | int, extra: str = "", *, token: str = TOKEN
) -> Path:
    """A config file for ``run`` pointing the bot at the served stand-in (or at a port)."""
    if isinstance(server, StandInServer):
        base_url, base_file_url = server.base_url, server.base_file_url
    else:
        base_url, base_file_url = (f"http://127.0.0.1:{server}{p}" for p in ("/bot", "/file/bot"))
    path = tmp_path / "config.toml"
    database = tmp_path / "gridbot.sqlite3"
    path.write_text(
        "[telegram]\n"
        f'token = "{token}"\n'
        f'base_url = "{base_url}"\n'
        f'base_file_url = "{base_file_url}"\n'
        f"{extra}"
        "[database]\n"
        f'path = "{database}"\n',
        encoding="utf-8",
    )
    load_config(path, need_token=True, environ={})  # the test's own mistakes show here
    return path


@asynccontextmanager
async def district_file(path: Path) -> AsyncIterator[Database]:
    """The bot's database file, migrated, with the demo district's areas, for a test to fill
    before the bot runs on it; closed at the end."""
    db = await Database(path).open()
    try:
        await migrate(db)
        text = await asyncio.to_thread(DEMO_AREAS.read_text, encoding="utf-8")
        await area_service.import_areas(db, area_service.parse_area_file(text), SystemClock())
        yield db
    finally:
        await db.close()


async def enrol(db: Database, user_id: int, name: str, role: Role, area: str, phone: str) -> Member:
    """Register the Telegram user ``user_id`` as a member, as joining by an invite does."""
    clock = SystemClock()
    config = load_config(None, environ={})
    place = await area_service.resolve(db, area)
    invite = await create_invite(db, clock, role=role, area=place, by=None, ttl_days=1)
    return await member_service.register(
        db,
        clock,
        code=invite.code,
        tg_user_id=user_id,
        name=name,
        phone=phone,
        language="zh-CN",
        grid_code=config.grid.code,
        tz=config.tz,
    )
