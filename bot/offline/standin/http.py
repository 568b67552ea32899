"""``StandInServer``: the offline Bot API stand-in served over real HTTP on 127.0.0.1.

``StandInRequest`` plugs a ``FakeTelegram`` into a bot in the same process. This module
serves one to a bot in *another* process (``python -m bot run`` with ``telegram.base_url``
and ``telegram.base_file_url`` pointed here), which then talks to it exactly as to Telegram,
through python-telegram-bot's real HTTP client::

    api = FakeTelegram()
    async with StandInServer(api) as server:
        # config: base_url = server.base_url, base_file_url = server.base_file_url
        ...

It answers

- ``GET|POST /bot<token>/<method>``: a Bot API call. Parameters come from the query string
  and the body: ``application/x-www-form-urlencoded`` or ``multipart/form-data`` (what
  python-telegram-bot's ``HTTPXRequest`` sends), or ``application/json``;
- ``GET /file/bot<token>/<file_path>``: a download of a file ``getFile`` described;

and 404 with Telegram's JSON to anything else. The server runs in the event loop that
starts it (a test's), over tornado, with HTTP/1.1 keep-alive as httpx's pool expects.

Form fields are text. python-telegram-bot writes a parameter's value as is when it is a
string and JSON-encodes it otherwise, so a text "123" and a chat_id 123 look the same on the
wire. :func:`decode_form` undoes that faithfully by knowing, from the annotations of
python-telegram-bot's own ``Bot`` methods, which parameters are sent as plain strings
(see :func:`text_fields`); every other field is JSON. Uploaded files become ``Upload``
objects in their places, by the same code as in ``StandInRequest``; their filenames are
as the HTTP client wrote them (httpx writes a ``"`` in a filename as ``%22``).

An injected timeout fault (``api.fail_next("timeout")``) closes the connection without an
answer, which the bot sees as a ``NetworkError`` (the base of ``TimedOut``): a real timeout
would keep it waiting for its whole read timeout. A long poll whose client hangs up is
abandoned, as Telegram does.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import inspect
import json
import logging
import socket
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from http.client import responses
from typing import Any

import telegram
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import TimedOut
from telegram.request import BaseRequest
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.offline.standin.api import FakeTelegram
from bot.offline.standin.records import JSON, Upload
from bot.offline.standin.request import attach_uploads

__all__ = ["StandInServer", "decode_form", "text_fields"]

log = logging.getLogger(__name__)

# Values python-telegram-bot always JSON-encodes: a field that may hold one of these is
# JSON on the wire whenever it does (chat_id: int | str).
_JSON_ONLY = (int, float, dict, list, tuple, dtm.datetime, dtm.timedelta)
# How tornado marks a multipart file part that had no Content-Type.
_NO_CONTENT_TYPE = "application/unknown"
_NOT_FOUND: JSON = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED: JSON = {"ok": False, "error_code": 401, "description": "Unauthorized"}
# python-telegram-bot's "not given" marker class (``DefaultValue``) has no public name;
# its public instance BaseRequest.DEFAULT_NONE gives it.
DefaultValue = type(BaseRequest.DEFAULT_NONE)
# Names that Bot's annotations use but that python-telegram-bot exports under no public
# module (they are imported there only for type checkers): defined here as PTB does.
_ANNOTATION_NAMES: dict[str, object] = {
    "ReplyMarkup": InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply,
}


# ---------------------------------------------------------------------- decoding


def _leaves(annotation: object) -> Iterator[object]:
    """The alternatives of an annotation, unions and ``DefaultValue[...]`` flattened."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType or origin is DefaultValue:
        for argument in typing.get_args(annotation):
            yield from _leaves(argument)
    elif annotation is not type(None) and annotation is not DefaultValue:
        yield annotation


def _sent_as_text(annotation: object) -> bool:
    """Whether python-telegram-bot sends a parameter so annotated as a plain string.

    It sends a value as is when it is a ``str`` and JSON-encoded otherwise. A file input
    (``InputFile`` among the alternatives) always goes as a string: a file_id, a URL or an
    ``attach://`` reference. A field that admits ``str`` goes as a string unless it also
    admits something always JSON-encoded (a number, a list ...): the other alternatives
    (a ``Sticker``, a ``Gift``, a ``ChatInviteLink``) are replaced by their string ids.
    """
    leaves = list(_leaves(annotation))
    if InputFile in leaves:
        return True
    if not any(isinstance(leaf, type) and issubclass(leaf, str) for leaf in leaves):
        return False
    return all(isinstance(leaf, type) and not issubclass(leaf, _JSON_ONLY) for leaf in leaves)


@cache
def _bot_methods() -> dict[str, Callable[..., Any]]:
    """python-telegram-bot's ``Bot`` methods by lower-case Bot API name (sendmessage ...)."""
    return {
        name.replace("_", "").lower(): function
        for name, function in vars(Bot).items()
        if not name.startswith("_") and inspect.isfunction(function)
    }


@cache
def text_fields(method: str) -> frozenset[str]:
    """The parameters of a Bot API method that python-telegram-bot sends as plain strings.

    Read from the annotations of its ``Bot`` method (``sendMessage`` -> ``send_message``);
    empty for a method it does not know. Method names are case-insensitive, as Telegram's.
    """
    function = _bot_methods().get(method.lower())
    if function is None:
        return frozenset()
    namespace = {**vars(telegram), **_ANNOTATION_NAMES}
    hints = typing.get_type_hints(function, localns=namespace)
    return frozenset(
        name for name, hint in hints.items() if name != "return" and _sent_as_text(hint)
    )


def _json_or_text(value: str) -> Any:
    """A JSON-encoded value; a bare string where it is not JSON (chat_id "@channel")."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode_form(
    method: str, fields: Mapping[str, str], uploads: Mapping[str, Upload] | None = None
) -> JSON:
    """The parameters of a call sent as form fields (and file parts), decoded as Telegram does.

    Fields python-telegram-bot sends as plain strings (see :func:`text_fields`) stay strings,
    so a text "123" or "true" is not turned into a number or a boolean; every other field
    is JSON (a field that is not valid JSON, like chat_id "@channel", stays a string). Files
    take their places as ``Upload`` objects, as with ``StandInRequest``.
    """
    strings = text_fields(method)
    params: JSON = {
        name: value if name in strings else _json_or_text(value) for name, value in fields.items()
    }
    return attach_uploads(params, uploads or {})


# ---------------------------------------------------------------------- the web handlers


class _Handler(RequestHandler):
    """What every handler here shares: the server, JSON answers, quiet errors."""

    def initialize(self, server: StandInServer) -> None:
        """Tornado's per-request set-up: remember the server."""
        self.server = server

    def answer(self, status: int, body: JSON) -> None:
        """Send a JSON answer with this status."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors in Telegram's shape (a stand-in crash is a 500; the api noted it)."""
        self.answer(
            status_code,
            {
                "ok": False,
                "error_code": status_code,
                "description": responses.get(status_code, "Error"),
            },
        )


class _NotFound(_Handler):
    """Any path that is neither a method nor a file."""

    def prepare(self) -> None:
        """Answer 404 whatever the HTTP method."""
        self.answer(404, _NOT_FOUND)


class _FileHandler(_Handler):
    """``GET /file/bot<token>/<file_path>``."""

    async def get(self, token: str, file_path: str) -> None:
        """Serve the file's bytes, or 404."""
        if not self.server.accepts(token):
            self.answer(401, _UNAUTHORIZED)
            return
        content = self.server.api.download(file_path)
        if content is None:
            self.answer(404, _NOT_FOUND)
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(content)


class _MethodHandler(_Handler):
    """``GET|POST /bot<token>/<method>``."""

    _call: asyncio.Future[tuple[int, JSON]] | None = None
    _method = ""

    async def get(self, token: str, method: str) -> None:
        """A call with its parameters in the query string."""
        await self._answer_call(token, method)

    async def post(self, token: str, method: str) -> None:
        """A call with its parameters in the body (and perhaps the query string)."""
        await self._answer_call(token, method)

    def _parameters(self, method: str) -> JSON:
        request = self.request
        fields = {name: values[-1].decode() for name, values in request.query_arguments.items()}
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            return {**decode_form(method, fields), **body}
        fields.update(
            (name, values[-1].decode()) for name, values in request.body_arguments.items()
        )
        uploads = {
            name: Upload(
                part.filename,
                part.body,
                None if part.content_type == _NO_CONTENT_TYPE else part.content_type,
            )
            for name, parts in request.files.items()
            for part in parts[-1:]
        }
        return decode_form(method, fields, uploads)

    async def _answer_call(self, token: str, method: str) -> None:
        if not self.server.accepts(token):
            self.answer(401, _UNAUTHORIZED)
            return
        self._method = method.lower()
        try:
            params = self._parameters(method)
        except ValueError as error:  # bad JSON or UTF-8
            self.answer(
                400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            )
            return
        call = self._call = self.server.start_call(method, params)
        try:
            status, body = await call
        except asyncio.CancelledError:
            if not call.cancelled():
                raise
            self._hang_up()  # the server stops, or the client of a long poll hung up
            return
        except TimedOut:
            self._hang_up()  # an injected timeout: the bot never sees an answer
            return
        self.answer(status, body)

    def _hang_up(self) -> None:
        """Close the connection without an answer."""
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.close()

    def on_connection_close(self) -> None:
        """The client hung up: a long poll in progress is abandoned, as Telegram does."""
        if self._call is not None and self._method == "getupdates":
            self._call.cancel()


# ---------------------------------------------------------------------- the server


class StandInServer:
    """Serves a ``FakeTelegram`` over HTTP on ``host`` (see the module docstring).

    ``port=0`` picks a free port; ``token`` (if given) is the only bot token accepted,
    others get 401 as from Telegram. Use it as an async context manager, or call
    :meth:`start` and :meth:`stop`, inside the event loop the api lives in.
    """

    def __init__(
        self,
        api: FakeTelegram,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        self.api = api
        self.host = host
        self.token = token
        self._wanted_port = port
        self._port: int | None = None
        self._http: HTTPServer | None = None
        self._calls: set[asyncio.Future[tuple[int, JSON]]] = set()

    @property
    def port(self) -> int:
        """The port the server listens on (once started)."""
        if self._port is None:
            raise RuntimeError("the stand-in server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The value for ``telegram.base_url`` (python-telegram-bot appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for ``telegram.base_file_url``."""
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def calls_in_progress(self) -> int:
        """How many calls are being answered now (long polls waiting, mostly)."""
        return len(self._calls)

    def accepts(self, token: str) -> bool:
        """Whether requests with this bot token are answered (else 401)."""
        return self.token is None or token == self.token

    def start_call(self, method: str, params: JSON) -> asyncio.Future[tuple[int, JSON]]:
        """Start answering one call; :meth:`stop` cancels the calls still running."""
        call = asyncio.ensure_future(self.api.handle(method, params))
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)
        return call

    async def start(self) -> StandInServer:
        """Listen (on a free port if ``port`` was 0) and serve in the running event loop."""
        if self._http is not None:
            raise RuntimeError("the stand-in server is running already")
        settings: JSON = {"server": self}
        app = Application(
            [
                (r"/bot([^/]+)/([A-Za-z0-9_]+)", _MethodHandler, settings),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, settings),
            ],
            default_handler_class=_NotFound,
            default_handler_args=settings,
            log_function=_log_request,
        )
        sockets = bind_sockets(self._wanted_port, self.host, family=socket.AF_INET)
        self._http = HTTPServer(app)
        self._http.add_sockets(sockets)
        self._port = int(sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Stop listening, abandon the calls in progress (long polls) and close connections."""
        http, self._http = self._http, None
        if http is None:
            return
        http.stop()
        calls = list(self._calls)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        await http.close_all_connections()

    async def __aenter__(self) -> StandInServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _log_request(handler: RequestHandler) -> None:
    request = handler.request
    log.debug("%s %s -> %s", request.method, request.path, handler.get_status())
