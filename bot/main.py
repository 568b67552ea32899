"""The composition root: the one place where the Application is assembled.

It reads nothing and decides nothing; it wires the runtime (config, database,
clock), the persistence, the handlers in their groups, the error handler and the
start-up work together, and returns the Application for the CLI, the demo, the
tests and the benchmarks to run.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseRateLimiter, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.config import Config
from bot.runtime import Runtime
from bot.services import cases as cases_service
from bot.services import upkeep
from bot.services.notices import rate_of
from bot.telegram.answered import AnsweredQueries
from bot.telegram.application import (
    ConfirmAfterHandled,
    GridApplication,
    HandledQueue,
    PerChatProcessor,
    job_queue_of,
)
from bot.telegram.delivery import Delivery
from bot.telegram.outgoing import Renderer
from bot.telegram.ratelimit import GridRateLimiter
from bot.telegram.webhook import run_webhook
from handlers import (
    cancel,
    card_full,
    case_actions,
    cases_list,
    duties,
    fallback,
    group_binding,
    invite,
    language,
    meeting_create,
    meetings,
    mycases,
    notice,
    report,
    shifts,
    start,
    todo,
)
from handlers import help as help_command
from handlers.common import errors
from handlers.common import gate as update_gate
from handlers.common.commands import register_default_commands
from handlers.common.context import GridContext
from handlers.common.flows import GROUP_GUARD, bind_flows
from handlers.messages import case_cards as case_alerts
from handlers.messages import digest as digest_jobs
from storage.persistence import SQLitePersistence

# A syntactically valid token for runs that never reach Telegram (demo, tests).
OFFLINE_TOKEN = "7000000001:OFFLINE-gridbot-demo-token-0000000"

# Within a group, python-telegram-bot gives an update to the first handler that wants it;
# every group gets its chance. All of gridbot's handlers share one group, in this order:
# conversations, then commands and menu buttons, then the catch-alls. Before it, the
# guard keeps a member in one conversation at a time (see handlers/common/flows.py).
GROUP_MAIN = 0

# The feature modules, each exposing build_handlers(), in the order their handlers are
# tried: conversations first (while one runs, its state decides what a message means),
# then plain commands and buttons, then the catch-alls, which must stay last.
HANDLER_MODULES: tuple[Any, ...] = (
    start,
    invite,
    report,
    case_actions,
    meeting_create,
    meetings,
    shifts,
    # The notice conversation, then its plain buttons (/notice, progress, answers).
    notice,
    # Plain commands and buttons. duties takes any private location outside a
    # conversation (a patrol's place), so it comes after every conversation.
    mycases,
    cases_list,
    todo,
    group_binding,
    card_full,
    duties,
    help_command,
    language,
    cancel,
    fallback,
)

# Modules with RENDERERS: outbox kinds they turn into Telegram messages.
RENDERER_MODULES: tuple[Any, ...] = (case_alerts, report, meetings, shifts, digest_jobs, notice)


@dataclass(frozen=True)
class Sweep:
    """A job run every ``seconds(config)`` seconds, named ``sweep:<what>``.

    A sweep asks the clock and the database what is due, so a restart or a missed run
    loses nothing, and being named, a restart replaces it rather than doubling it.
    """

    name: str
    callback: Callable[[GridContext], Coroutine[Any, Any, None]]
    seconds: Callable[[Config], float]


async def sweep_cases(context: GridContext) -> None:
    """Supervise overdue cases (督办), close unanswered resolved ones, send reminders."""
    runtime = context.application.runtime  # type: ignore[attr-defined]
    await cases_service.sweep(runtime.db, runtime.clock, runtime.config)


async def sweep_upkeep(context: GridContext) -> None:
    """Delete sent outbox rows past ``delivery.keep_sent_days`` and give free pages back."""
    runtime = context.application.runtime  # type: ignore[attr-defined]
    await upkeep.prune(runtime.db, runtime.clock, runtime.config.delivery.keep_sent_days)


# The features' sweeps, besides the outbox's and the update log's.
SWEEPS: tuple[Sweep, ...] = (
    # Abandoned /report drafts: ended with a message once idle past the timeout.
    Sweep("sweep:drafts", report.expire_drafts, seconds=lambda config: 60),
    Sweep("sweep:cases", sweep_cases, seconds=lambda config: config.cases.sweep_seconds),
    Sweep("sweep:meetings", meetings.sweep, lambda config: 30),
    Sweep("sweep:shifts", shifts.sweep, lambda config: 30),
    Sweep("sweep:digest", digest_jobs.sweep, lambda config: 60),
    # Bounded size: sent outbox rows pruned after delivery.keep_sent_days, pages freed.
    Sweep("sweep:upkeep", sweep_upkeep, lambda config: 3600),
    # Notices: hand out the next rows, update progress messages, recall, remind.
    Sweep("sweep:notices", notice.sweep, lambda config: config.notices.progress_seconds),
)


def build_application(
    runtime: Runtime,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> GridApplication:
    """Assemble gridbot's Application.

    ``request`` replaces the HTTP client (the offline stand-in in tests and the demo);
    ``rate_limiter`` replaces the default :class:`AIORateLimiter`.
    """
    # Opt in now to python-telegram-bot 23's behaviour: durations (RetryAfter.retry_after
    # and the like) are timedeltas. The code handles both; this silences the deprecation
    # warning. Set here, once an Application is built, not as a side effect of an import.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    config = runtime.config
    queue = HandledQueue()
    builder = (
        ApplicationBuilder()
        .application_class(GridApplication, {"runtime": runtime})
        .token(config.telegram.token or OFFLINE_TOKEN)
        .base_url(config.telegram.base_url)
        .base_file_url(config.telegram.base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=config.tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=GridContext))
        .persistence(SQLitePersistence(runtime.db))
        .rate_limiter(
            AnsweredQueries(
                rate_limiter
                # notices.paid_broadcast: up to 1000 a second (paid in Telegram Stars above 30)
                or production_rate_limiter(overall_max_rate=rate_of(config.notices.paid_broadcast))
            )
        )
        .post_init(on_startup)
        .update_queue(queue)
        # Updates of different chats at once, each chat's in order (bot/telegram/application.py).
        .concurrent_updates(PerChatProcessor())
    )
    if request is not None:
        builder = builder.request(request)
    # The next batch is asked for (confirming the last) only once the last is handled.
    updates_request = request or HTTPXRequest(connection_pool_size=1)
    builder = builder.get_updates_request(ConfirmAfterHandled(updates_request, queue))
    app = builder.build()
    assert isinstance(app, GridApplication)
    with warnings.catch_warnings():
        # ConversationHandlers with CallbackQueryHandlers warn that buttons are tracked per
        # chat, not per message; that is what we want: a flow id in each button does the
        # rest. Silenced only while they are built, not for the whole process.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        handlers = [h for module in HANDLER_MODULES for h in module.build_handlers()]
    for handler in update_gate.build_handlers():
        app.add_handler(handler, update_gate.GROUP_GATE)
    # Every conversation learns where the flow record is; the guard reads it too.
    app.add_handler(bind_flows(app, handlers), GROUP_GUARD)
    for handler in handlers:
        app.add_handler(handler, GROUP_MAIN)
    app.add_error_handler(errors.on_error)
    renderers: dict[str, Renderer] = {}
    for module in RENDERER_MODULES:
        renderers.update(module.RENDERERS)
    app.delivery = Delivery(runtime, app.bot, renderers)
    return app


def production_rate_limiter(time_scale: float = 1.0, overall_max_rate: int = 30) -> AIORateLimiter:
    """Telegram's flood limits, enforced before Telegram has to (see bot/telegram/ratelimit.py).

    At most 30 messages in any second overall (a sliding window, which makes up for a
    late wake-up instead of losing it), and 19.9 a minute per group with
    python-telegram-bot's leaky bucket of one. ``time_scale`` speeds the limits up for
    benchmarks whose stand-in runs on scaled time.
    """
    return GridRateLimiter(
        overall_max_rate=overall_max_rate,
        time_scale=time_scale,
        group_max_rate=1,
        group_time_period=60 / (19.9 * time_scale),
        max_retries=2,
    )


async def on_startup(app: Any) -> None:
    """Work done once the bot is initialised and before updates flow."""
    assert isinstance(app, GridApplication)
    await register_default_commands(app.bot)
    config = app.runtime.config
    jobs = job_queue_of(app)
    # Sweeps: each asks the clock what is due. Named so a restart replaces, never doubles.
    jobs.run_repeating(_sweep_outbox, interval=config.delivery.poll_seconds, name="sweep:outbox")
    jobs.run_repeating(_forget_old_updates, interval=6 * 3600, name="sweep:updates")
    for sweep in SWEEPS:
        seconds = sweep.seconds(config)
        jobs.run_repeating(sweep.callback, interval=seconds, first=seconds, name=sweep.name)
    # Jobs built from the schedules in the database (the next meeting reminder's timer).
    await meetings.build_jobs(app)


async def _sweep_outbox(context: GridContext) -> None:
    app = context.application
    assert isinstance(app, GridApplication) and app.delivery is not None
    # Start a pass in the background and return: a long pass must not hold up the job.
    app.delivery.kick()


async def _forget_old_updates(context: GridContext) -> None:
    app = context.application
    assert isinstance(app, GridApplication)
    await app.forget_old_updates()


async def start_offline(app: GridApplication) -> None:
    """Start an application that is fed updates directly (tests, demo, benchmarks).

    The same steps as ``run_polling`` takes, without the updater.
    """
    await app.initialize()
    await on_startup(app)
    await app.start()


async def stop_offline(app: GridApplication) -> None:
    """Stop what :func:`start_offline` started, saving what must be saved."""
    if app.running:
        await app.stop()
    await app.shutdown()


def run(app: GridApplication) -> None:
    """Run until SIGINT or SIGTERM: long polling, or a webhook if the config says so.

    python-telegram-bot's run_* methods stop cleanly on those signals: they finish the
    update in hand, write persistence, and then the database is closed.
    """
    telegram = app.runtime.config.telegram
    app.confirm_on_stop = telegram.mode != "webhook"
    if telegram.mode == "webhook":
        # gridbot's own server: the secret is checked before the body is read, the body
        # is capped, and Telegram is answered once the update is handled (bot/telegram/webhook.py).
        run_webhook(app)
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
