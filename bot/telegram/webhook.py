"""Webhook mode: Telegram posts each update here, and is answered once it is handled.

python-telegram-bot's own webhook server reads the whole body before it looks at the
secret token and has no limit on the body's size; this one (on tornado, which the
``webhooks`` extra brings) checks the ``X-Telegram-Bot-Api-Secret-Token`` header
before a byte of the body is read (403), refuses bodies over :data:`MAX_BODY` (413),
and answers 200 only once the update is handled and saved, so Telegram sends again
whatever a crash interrupted. A body that is not an update is logged and answered
200 (Telegram would otherwise resend it forever); a usable update_id of it is
recorded as handled with an error.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as Routes
from tornado.web import RequestHandler, stream_request_body

from bot.telegram.application import GridApplication, HandledQueue

log = logging.getLogger(__name__)

# An update is a few kilobytes; a megabyte leaves room for the longest text and entities.
MAX_BODY = 1 << 20
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@stream_request_body
class UpdateEndpoint(RequestHandler):
    """The one URL Telegram posts updates to."""

    def initialize(self, app: GridApplication, secret: str) -> None:
        """Called by tornado for each request, with the arguments of the route."""
        self.app = app
        self.secret = secret
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        """Judge a post by its headers, before any of its body is read."""
        self.refused: int | None = None
        if self.request.method != "POST":
            self.send_error(405)
            return
        length = self.request.headers.get("Content-Length", "")
        oversized = bool(length) and (not length.isdigit() or int(length) > MAX_BODY)
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: a post with a wrong secret token refused")
            self.refused = 403
        elif oversized:
            self.refused = 413
        if self.refused is not None and oversized:
            self.send_error(self.refused)  # at once: the connection closes unread
        # A small refused body is let through and thrown away unread (closing on it
        # unread would reset the connection before the client sees the answer).

    def data_received(self, chunk: bytes) -> None:
        """Collect the body of an accepted post; drop that of a refused one."""
        if self.refused is not None:
            return
        self.size += len(chunk)
        if self.size > MAX_BODY:  # more than Content-Length said
            self.refused = 413
            self.chunks.clear()
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        """Hand the update to the Application; answer when it is handled."""
        if self.refused is not None:
            self.send_error(self.refused)
            return
        body = b"".join(self.chunks)
        data: Any = None
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError(f"an update is a JSON object, not {type(data).__name__}")
            update = Update.de_json(data, self.app.bot)
        except Exception as error:
            log.error("webhook: a body that is not an update was dropped: %r", body[:2000])
            update_id = data.get("update_id") if isinstance(data, dict) else None
            await self.app.record_failed_update(update_id, error)
            self.set_status(200)
            return
        queue = self.app.update_queue
        if isinstance(queue, HandledQueue):
            await queue.wait_handled(update)
        else:
            await queue.put(update)
        self.set_status(200)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """No page: a status is all Telegram reads."""
        self.finish()


def run_webhook(app: GridApplication) -> None:
    """Serve the webhook until SIGINT or SIGTERM, then stop cleanly."""
    asyncio.run(serve(app))


async def serve(app: GridApplication, stop: asyncio.Event | None = None) -> None:
    """Start the bot, listen for Telegram's posts, and stop when ``stop`` is set (or a signal)."""
    hook = app.runtime.config.telegram.webhook
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    path = "/" + urlsplit(hook.url).path.lstrip("/")
    routes = Routes([(path, UpdateEndpoint, {"app": app, "secret": hook.secret_token})])
    # tornado's own cap is a backstop (it drops the connection); prepare() answers 413.
    server = HTTPServer(routes, max_body_size=4 * MAX_BODY)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        server.listen(hook.port, hook.listen)
        await app.bot.set_webhook(
            url=hook.url, secret_token=hook.secret_token, allowed_updates=Update.ALL_TYPES
        )
        log.info("webhook: listening on %s:%s%s", hook.listen, hook.port, path)
        await stop.wait()
        log.info("webhook: stopping")
    finally:
        server.stop()  # no new connections; posts in hand finish as the app stops
        if app.running:
            await app.stop()
        await server.close_all_connections()
        await app.shutdown()
