"""The composition root: the one place where the Application is assembled.

It reads nothing and decides nothing; it wires the runtime (config, database,
clock), the persistence, the handlers in their groups, the error handler and the
start-up work together, and returns the Application for the CLI, the demo, the
tests and the benchmarks to run.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, BaseRateLimiter, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.jobs import start_jobs
from bot.runtime import Runtime
from bot.services import members, notify
from bot.telegram.answered import AnsweredQueries
from bot.telegram.application import (
    ConfirmAfterHandled,
    GridApplication,
    HandledQueue,
    PerChatProcessor,
)
from bot.telegram.delivery import Delivery
from bot.telegram.outgoing import BatchRead, Renderer
from bot.telegram.ratelimit import GridRateLimiter, Timeline
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
    notice_coverage,
    notice_progress,
    notice_receiving,
    report,
    shifts,
    start,
    todo,
)
from handlers import export as export_handlers
from handlers import help as help_command
from handlers import stats as stats_handlers
from handlers.common import errors
from handlers.common import gate as update_gate
from handlers.common.commands import register_default_commands
from handlers.common.context import GridContext
from handlers.common.flows import GROUP_GUARD, bind_flows
from handlers.messages import case_cards as case_alerts
from handlers.messages import digest as digest_jobs
from handlers.messages import meetings as meeting_messages
from handlers.messages import notices as notice_messages
from handlers.messages import report as report_messages
from handlers.messages import shifts as shift_messages
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
    notice_receiving,
    notice_progress,
    notice_coverage,
    # Plain commands and buttons. duties takes any private location outside a
    # conversation (a patrol's place), so it comes after every conversation.
    mycases,
    cases_list,
    todo,
    group_binding,
    card_full,
    # /stats and /export; stats also takes two typed dates from an admin (a period).
    stats_handlers,
    export_handlers,
    duties,
    help_command,
    language,
    cancel,
    fallback,
)

# Modules with RENDERERS: outbox kinds they turn into Telegram messages (and, if they say
# ahead what their renderers read, BATCH_READS: see bot/telegram/outgoing.py).
RENDERER_MODULES: tuple[Any, ...] = (
    case_alerts,
    report_messages,
    meeting_messages,
    shift_messages,
    digest_jobs,
    notice_messages,
)


def build_application(
    runtime: Runtime,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> GridApplication:
    """Assemble gridbot's Application.

    ``request`` replaces the HTTP client (the offline stand-in in tests and the demo);
    ``rate_limiter`` replaces :func:`production_rate_limiter`.
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
        .rate_limiter(AnsweredQueries(rate_limiter or production_rate_limiter()))
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
    batch_reads: dict[str, BatchRead] = {}
    for module in RENDERER_MODULES:
        renderers.update(module.RENDERERS)
        batch_reads.update(getattr(module, "BATCH_READS", {}))
    app.delivery = Delivery(runtime, app.bot, renderers, batch_reads)
    # The notifier marks a transaction that queued messages; its commit wakes delivery.
    runtime.db.on_commit(notify.QUEUED, app.outbox_written)
    # A commit that changed a member outdates the member of any update in hand.
    runtime.db.on_commit(members.CHANGED, app.members_changed)
    return app


def production_rate_limiter(
    time_scale: float = 1.0, *, time: Timeline | None = None
) -> GridRateLimiter:
    """Telegram's flood limits, enforced before Telegram has to (see bot/telegram/ratelimit.py).

    At most 30 messages in any second overall, 1000 for those sent with
    ``allow_paid_broadcast`` (notices.paid_broadcast), and 20 in any minute into one
    group: sliding windows, which make up for a late wake-up instead of losing it; two
    retries on a 429. ``time_scale`` speeds the limits up for benchmarks whose stand-in
    runs on scaled time; ``time`` is where the limiter waits (the tests' skipped time).
    """
    return GridRateLimiter(max_retries=2, time_scale=time_scale, time=time)


async def on_startup(app: Any) -> None:
    """Work done once the bot is initialised and before updates flow."""
    assert isinstance(app, GridApplication)
    await register_default_commands(app.bot)
    # Every sweep and timer, from the one table (bot/jobs.py).
    await start_jobs(app)


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
