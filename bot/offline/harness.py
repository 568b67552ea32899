"""gridbot without Telegram: the real Application on the offline Bot API stand-in.

The tests, the demo and the benchmarks all run the bot this way: the same
composition root, handlers, database file and scheduler as in production, with
``bot.offline.standin`` answering the Bot API and :class:`UserClient` playing people.
Updates are handed to the Application one by one and handled to the end before
the next, so what a user sees after an action is all the bot did about it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import BaseRateLimiter

from bot.clock import Clock, FakeClock
from bot.config import Config
from bot.main import build_application, production_rate_limiter, start_offline, stop_offline
from bot.offline.standin import FakeTelegram, Limits, StandInRequest, UserClient
from bot.offline.standin.records import JSON
from bot.runtime import Runtime
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services.grid import Role
from bot.services.invites import create_invite
from bot.services.members import Member
from bot.telegram.application import GridApplication, job_queue_of
from bot.telegram.ratelimit import SkippedTime
from storage import updates as update_repo
from storage.db import Database

DEMO_AREAS = Path(__file__).resolve().parent / "demo" / "district.csv"


@dataclass
class Person:
    """Someone the offline bot knows: their Telegram side, and their member row if any."""

    client: UserClient
    member: Member | None


class OfflineBot:
    """The real gridbot Application wired to a :class:`FakeTelegram`."""

    def __init__(
        self,
        config: Config,
        *,
        api: FakeTelegram | None = None,
        clock: Clock | None = None,
        rate_limiter: BaseRateLimiter[Any] | None = None,
        limiter_time: SkippedTime | None = None,
    ) -> None:
        self.config = config
        # The production rate limiter runs on time that passes only when it waits (a
        # wait moves it on at once): the limits are kept as in production, at no cost
        # in the tests' run time. Benchmarks bring their own limiter on scaled time; a
        # test bringing its own stand-in gives it ``limiter_time.now`` as its clock.
        self.limiter_time = limiter_time or SkippedTime()
        # The stand-in's flood limits are off unless a test brings its own stand-in
        # (flood handling has its own tests); its clock is the limiter's all the same.
        self.api = api or FakeTelegram(
            limits=Limits(global_per_second=None, group_per_minute=None),
            clock=self.limiter_time.now,
        )
        self.clock = clock or FakeClock()
        self.rate_limiter = rate_limiter
        self._app: GridApplication | None = None
        self._next_user_id = 10_001

    @property
    def app(self) -> GridApplication:
        """The running Application (a new one after each :meth:`restart`)."""
        if self._app is None:
            raise RuntimeError("the offline bot is not started")
        return self._app

    @property
    def db(self) -> Database:
        """The running Application's database connection."""
        return self.app.runtime.db

    def _build(self) -> GridApplication:
        runtime = Runtime(
            config=self.config,
            db=Database(self.config.database.path, self.config.database.busy_timeout_ms),
            clock=self.clock,
        )
        # A new limiter for each Application, as in production after a restart.
        limiter = self.rate_limiter or production_rate_limiter(time=self.limiter_time)
        return build_application(runtime, request=StandInRequest(self.api), rate_limiter=limiter)

    async def start(self) -> OfflineBot:
        """Build and start the Application (opening and migrating the database)."""
        self._app = self._build()
        await start_offline(self._app)
        # On a kept database (the demo's --db), new updates are numbered after the ones
        # handled before, as Telegram's would be; else the bot skips them as seen.
        self.api.continue_update_ids(await update_repo.last_handled(self.db))
        return self

    async def continue_message_ids(self) -> None:
        """Number new messages in each chat after those the database still refers to.

        A fresh stand-in over a kept database starts every chat at message 1 again, and
        the bot, editing an alert it sent in an earlier run, would overwrite whatever
        message has that id now. On Telegram ids in a chat only grow; so here too.
        """
        for chat_id, newest in (await update_repo.newest_message_ids(self.db)).items():
            chat = self.api.chats.get(chat_id)
            if chat is not None:
                chat.next_message_id = max(chat.next_message_id, newest + 1)

    async def stop(self) -> None:
        """Stop the Application, saving what must be saved, and close the database."""
        if self._app is not None:
            await stop_offline(self._app)
            self._app = None

    async def restart(self) -> None:
        """Stop and start a new Application on the same database file, as a restart does."""
        await self.stop()
        await self.start()

    async def run_due_jobs(self) -> int:
        """Run every sweep job once, as its timer would; return how many ran.

        Time-dependent work is done by sweeps (repeating jobs named ``sweep:<what>``)
        that ask the clock what is due, so moving a :class:`FakeClock` and calling
        this is how tests, the demo and benchmarks make time pass.
        """
        jobs = [
            job
            for job in job_queue_of(self.app).jobs()
            if job.name and job.name.startswith("sweep:")
        ]
        # The outbox goes last, so what the other sweeps queued leaves in the same tick.
        for job in sorted(jobs, key=lambda j: (j.name == "sweep:outbox", j.name or "")):
            await job.run(self.app)
        await self.settle()
        return len(jobs)

    async def deliver(self, update: JSON) -> None:
        """Hand one update to the Application; wait until it and what it queued are done."""
        await self.app.process_update(Update.de_json(update, self.app.bot))
        await self.settle()

    async def settle(self) -> None:
        """Wait until the delivery worker has sent what is due now."""
        if self.app.delivery is not None:
            await self.app.delivery.idle()

    def user(
        self,
        first_name: str,
        last_name: str | None = None,
        *,
        user_id: int | None = None,
        language_code: str = "zh-hans",
        phone: str | None = None,
    ) -> UserClient:
        """A new Telegram user (or the one with ``user_id``) talking to the bot."""
        if user_id is None:
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id not in self.api.users:
            self.api.add_user(
                user_id,
                first_name,
                last_name,
                language_code=language_code,
                phone=phone or f"+86138{user_id:08d}"[-14:],
            )
        return UserClient(self.api, user_id, self.deliver)

    async def import_areas(self, path: Path = DEMO_AREAS) -> None:
        """Create the areas of an area file (the demo district by default)."""
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        lines = area_service.parse_area_file(text)
        await area_service.import_areas(self.db, lines, self.clock)

    async def member(
        self,
        first_name: str,
        role: Role,
        area: str,
        *,
        language: str = "zh-CN",
        user_id: int | None = None,
    ) -> Person:
        """A person registered as ``role`` in ``area``, without going through /start.

        The join conversation has its own tests; other tests start from members.
        """
        client = self.user(first_name, user_id=user_id)
        place = await area_service.resolve(self.db, area)
        invite = await create_invite(
            self.db, self.clock, role=role, area=place, by=None, ttl_days=1
        )
        member = await member_service.register(
            self.db,
            self.clock,
            code=invite.code,
            tg_user_id=client.user.id,
            name=client.user.full_name,
            phone=client.user.phone,
            language=language,
            grid_code=self.config.grid.code,
            tz=self.config.tz,
        )
        return Person(client=client, member=member)

    async def __aenter__(self) -> OfflineBot:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
