"""Every sweep and timer of gridbot in one table: name, interval, callback.

Part of the composition root (it imports handlers; bot/main.py reads the tables when
the bot starts). A sweep asks the clock and the database what is due, so a restart or
a missed run loses nothing; being named, a restart replaces a job rather than doubling
it. A timer is a one-shot job aimed from the database at the next moment something is
due, so that it fires on time rather than up to a sweep's interval late.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.services import cases as cases_service
from bot.services import upkeep
from bot.telegram.application import GridApplication, job_queue_of
from handlers import meetings, notice_progress, report, shifts
from handlers.common.context import GridContext
from handlers.messages import digest as digest_jobs


@dataclass(frozen=True)
class Sweep:
    """A job run every ``seconds(config)`` seconds, named ``sweep:<what>``."""

    name: str
    callback: Callable[[GridContext], Coroutine[Any, Any, None]]
    seconds: Callable[[Config], float]


@dataclass(frozen=True)
class Timer:
    """A one-shot job named ``name``, (re)built by ``build`` from what the database holds."""

    name: str
    build: Callable[[Any], Awaitable[None]]


async def sweep_cases(context: GridContext) -> None:
    """Supervise overdue cases (督办), close unanswered resolved ones, send reminders."""
    runtime = context.application.runtime  # type: ignore[attr-defined]
    await cases_service.sweep(runtime.db, runtime.clock, runtime.config)


async def sweep_upkeep(context: GridContext) -> None:
    """Delete sent outbox rows past ``delivery.keep_sent_days`` and give free pages back."""
    runtime = context.application.runtime  # type: ignore[attr-defined]
    await upkeep.prune(runtime.db, runtime.clock, runtime.config.delivery.keep_sent_days)


async def sweep_outbox(context: GridContext) -> None:
    """Start a delivery pass of the outbox (the notifier wakes it too; this catches the rest)."""
    app = context.application
    assert isinstance(app, GridApplication) and app.delivery is not None
    # Start a pass in the background and return: a long pass must not hold up the job.
    app.delivery.kick()


async def forget_old_updates(context: GridContext) -> None:
    """Forget the update ids old enough that Telegram will never send them again."""
    app = context.application
    assert isinstance(app, GridApplication)
    await app.forget_old_updates()


SWEEPS: tuple[Sweep, ...] = (
    # The outbox: what must reach someone (alerts, reminders, notices).
    Sweep("sweep:outbox", sweep_outbox, lambda config: config.delivery.poll_seconds),
    # The log of handled updates (duplicates are told apart by it).
    Sweep("sweep:updates", forget_old_updates, lambda config: 6 * 3600),
    # Abandoned /report drafts: ended with a message once idle past the timeout.
    Sweep("sweep:drafts", report.expire_drafts, lambda config: 60),
    # Overdue cases put under supervision (督办), unanswered ones closed, reminders.
    Sweep("sweep:cases", sweep_cases, lambda config: config.cases.sweep_seconds),
    # Meeting reminders and summaries that are due; then the timer is aimed again.
    Sweep("sweep:meetings", meetings.sweep, lambda config: 30),
    Sweep("sweep:shifts", shifts.sweep, lambda config: 30),
    Sweep("sweep:digest", digest_jobs.sweep, lambda config: 60),
    # Bounded size: sent outbox rows pruned after delivery.keep_sent_days, pages freed.
    Sweep("sweep:upkeep", sweep_upkeep, lambda config: 3600),
    # Notices: hand out the next rows, update progress messages, recall, remind.
    Sweep("sweep:notices", notice_progress.sweep, lambda config: config.notices.progress_seconds),
)

TIMERS: tuple[Timer, ...] = (
    # The next meeting reminder, on time (rebuilt after each change and sweep).
    Timer(meetings.NEXT_JOB, meetings.build_jobs),
)


async def start_jobs(app: GridApplication) -> None:
    """Schedule every sweep and build every timer (at start, before updates flow)."""
    config = app.runtime.config
    jobs = job_queue_of(app)
    for sweep in SWEEPS:
        seconds = sweep.seconds(config)
        # Named: a restart replaces, never doubles. The first run comes one interval on.
        jobs.run_repeating(sweep.callback, interval=seconds, first=seconds, name=sweep.name)
    for timer in TIMERS:
        await timer.build(app)
