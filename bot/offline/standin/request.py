"""``StandInRequest``: python-telegram-bot's HTTP seam, wired to ``FakeTelegram``.

PTB turns every Bot API call into ``BaseRequest.do_request(url, method, request_data)`` and
reads back ``(HTTP status, JSON bytes)``. This class answers those calls from the in-memory
API instead of the network, so everything above it (``Bot``, ``ExtBot``, ``Application``,
error mapping to ``BadRequest``/``Forbidden``/``RetryAfter``/``TimedOut``) runs unchanged.

Usage::

    api = FakeTelegram()
    app = (
        Application.builder().token("123:TEST")
        .request(StandInRequest(api)).get_updates_request(StandInRequest(api)).build()
    )
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.offline.standin.api import FakeTelegram
from bot.offline.standin.records import JSON, Upload

__all__ = ["StandInRequest", "attach_uploads", "decode_parameters"]

_ATTACH = "attach://"
DEFAULT_NONE = BaseRequest.DEFAULT_NONE
# A timeout argument: seconds, None, or DEFAULT_NONE ("not given"). python-telegram-bot
# calls this ODVInput[float] but gives the alias no public name; ``object`` is wider, which
# an override may be.
Timeout = object


def _replace_attachments(value: Any, uploads: Mapping[str, Upload], used: set[str]) -> Any:
    """Swap ``attach://name`` references (e.g. inside sendMediaGroup's media) for uploads."""
    if isinstance(value, str):
        if value.startswith(_ATTACH) and value[len(_ATTACH) :] in uploads:
            name = value[len(_ATTACH) :]
            used.add(name)
            return uploads[name]
        return value
    if isinstance(value, list):
        return [_replace_attachments(v, uploads, used) for v in value]
    if isinstance(value, dict):
        return {k: _replace_attachments(v, uploads, used) for k, v in value.items()}
    return value


def attach_uploads(params: JSON, uploads: Mapping[str, Upload]) -> JSON:
    """Put uploaded files in their places among decoded parameters, as Telegram does.

    ``uploads`` maps multipart part names to files. A part referred to as ``attach://name``
    (anywhere, e.g. inside sendMediaGroup's media) replaces that reference; a part nobody
    refers to is the parameter of its name (sendPhoto's ``photo``). Shared by
    :class:`StandInRequest` and the HTTP server in ``bot.offline.standin.http``.
    """
    if not uploads:
        return params
    used: set[str] = set()
    params = _replace_attachments(params, uploads, used)
    for name, upload in uploads.items():
        # A file sent without attach:// goes in the part named like the parameter.
        if name not in used and name not in params:
            params[name] = upload
    return params


def decode_parameters(request_data: RequestData | None) -> JSON:
    """The call's parameters, with uploaded files as ``Upload`` objects in their place."""
    if request_data is None:
        return {}
    params: JSON = dict(request_data.parameters)
    if not request_data.contains_files:
        return params
    uploads: dict[str, Upload] = {}
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        uploads[name] = Upload(filename, data, mime_type)
    return attach_uploads(params, uploads)


class StandInRequest(BaseRequest):
    """A ``BaseRequest`` that talks to a ``FakeTelegram`` in the same process.

    Give one instance to ``.request(...)`` and another to ``.get_updates_request(...)``
    (PTB requires two objects); both may share the same ``api``.
    """

    __slots__ = ("_api", "_read_timeout")

    def __init__(self, api: FakeTelegram, read_timeout: float | None = 5.0) -> None:
        self._api = api
        self._read_timeout = read_timeout

    @property
    def api(self) -> FakeTelegram:
        """The stand-in Telegram this request talks to."""
        return self._api

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout; PTB adds it to getUpdates' long-poll timeout."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = DEFAULT_NONE,
        write_timeout: Timeout = DEFAULT_NONE,
        connect_timeout: Timeout = DEFAULT_NONE,
        pool_timeout: Timeout = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one call as Telegram would: ``(status, JSON body)``.

        Raises:
            telegram.error.TimedOut: when a timeout fault is injected.
        """
        if "/file/bot" in url:
            # A file download (File.download_*): the path follows the token.
            file_path = url.split("/file/bot", 1)[1].split("/", 1)[-1]
            content = self._api.download(file_path)
            if content is None:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, content
        api_method = url.rsplit("/", 1)[-1]
        status, body = await self._api.handle(api_method, decode_parameters(request_data))
        return status, json.dumps(body, ensure_ascii=False).encode("utf-8")
