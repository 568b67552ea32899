"""The composition root: the one place where the Application is assembled.

It reads nothing and decides nothing; it wires the runtime (config, database,
clock), the persistence, the handlers in their groups, the error handler and the
start-up work together, and returns the Application for the CLI, the demo, the
tests and the benchmarks to run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseRateLimiter, ContextTypes, Defaults
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.application import GridApplication, HandledQueue, job_queue_of
from bot.config import Config
from bot.delivery import Delivery
from bot.outgoing import Renderer
from bot.ratelimit import GridRateLimiter
from bot.runtime import Runtime
from bot.services import cases as cases_service
from handlers import (
    cancel,
    case_actions,
    case_alerts,
    cases_list,
    duties,
    errors,
    fallback,
    group_binding,
    invite,
    language,
    meeting_create,
    meetings,
    mycases,
    report,
    shifts,
    start,
)
from handlers import digest as digest_jobs
from handlers import export as export_handlers
from handlers import help as help_command
from handlers import stats as stats_handlers
from handlers.commands import register_default_commands
from handlers.context import GridContext
from handlers.flows import GROUP_GUARD, ConversationGuard, conversations_in
from storage.persistence import SQLitePersistence

# A syntactically valid token for runs that never reach Telegram (demo, tests).
OFFLINE_TOKEN = "7000000001:OFFLINE-gridbot-demo-token-0000000"

# Within a group, python-telegram-bot gives an update to the first handler that wants it;
# every group gets its chance. All of gridbot's handlers share one group, in this order:
# conversations, then commands and menu buttons, then the catch-alls. Before it, the
# guard keeps a member in one conversation at a time (see handlers/flows.py).
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
    # Plain commands and buttons. duties takes any private location outside a
    # conversation (a patrol's place), so it comes after every conversation.
    mycases,
    cases_list,
    group_binding,
    # /stats and /export; stats also takes two typed dates from an admin (a period).
    stats_handlers,
    export_handlers,
    duties,
    help_command,
    language,
    cancel,
    fallback,
)

# Modules with RENDERERS: outbox kinds they turn into Telegram messages.
RENDERER_MODULES: tuple[Any, ...] = (case_alerts, report, meetings, shifts, digest_jobs)


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
    """Escalate overdue cases (督办), close unanswered resolved ones, send reminders."""
    runtime = context.application.runtime  # type: ignore[attr-defined]
    await cases_service.sweep(runtime.db, runtime.clock, runtime.config)


# The features' sweeps, besides the outbox's and the update log's.
SWEEPS: tuple[Sweep, ...] = (
    # Abandoned /report drafts: ended with a message once idle past the timeout.
    Sweep("sweep:drafts", report.expire_drafts, seconds=lambda config: 60),
    Sweep("sweep:cases", sweep_cases, seconds=lambda config: config.cases.sweep_seconds),
    Sweep("sweep:meetings", meetings.sweep, lambda config: 30),
    Sweep("sweep:shifts", shifts.sweep, lambda config: 30),
    Sweep("sweep:digest", digest_jobs.sweep, lambda config: 60),
)

# ConversationHandlers with CallbackQueryHandlers warn that buttons are tracked per
# chat, not per message; that is what we want: a flow id in each button does the rest.
warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)


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
    config = runtime.config
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
        .rate_limiter(rate_limiter or production_rate_limiter())
        .post_init(on_startup)
        .update_queue(HandledQueue())
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    assert isinstance(app, GridApplication)
    handlers = [handler for module in HANDLER_MODULES for handler in module.build_handlers()]
    app.add_handler(ConversationGuard(conversations_in(handlers)), GROUP_GUARD)
    for handler in handlers:
        app.add_handler(handler, GROUP_MAIN)
    app.add_error_handler(errors.on_error)
    renderers: dict[str, Renderer] = {}
    for module in RENDERER_MODULES:
        renderers.update(module.RENDERERS)
    app.delivery = Delivery(runtime, app.bot, renderers)
    return app


def production_rate_limiter(time_scale: float = 1.0) -> AIORateLimiter:
    """Telegram's flood limits, enforced before Telegram has to (see bot/ratelimit.py).

    At most 30 messages in any second overall (a sliding window, which makes up for a
    late wake-up instead of losing it), and 19.9 a minute per group with
    python-telegram-bot's leaky bucket of one. ``time_scale`` speeds the limits up for
    benchmarks whose stand-in runs on scaled time.
    """
    return GridRateLimiter(
        overall_max_rate=30,
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
        hook = telegram.webhook
        app.run_webhook(
            listen=hook.listen,
            port=hook.port,
            url_path=urlsplit(hook.url).path.lstrip("/"),
            webhook_url=hook.url,
            secret_token=hook.secret_token,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
