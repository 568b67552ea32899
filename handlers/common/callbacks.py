"""Callback data: short versioned strings such as ``v1:lang:set:en`` or ``v1:inv:3fa2:role:x``.

Every button's data is built by :func:`pack` and read by :func:`unpack` (or
:func:`fields`, :func:`is_for`), and every handler receives its buttons through
:func:`pattern` or :func:`exact`: here and nowhere else. Data are ``:``-separated
parts after the version (``v1``), the first naming the feature; a conversation's
buttons carry the id of the draft they belong to, so a button from an older
message is recognised as stale. A button from before versioning (no ``v1:``), or
one that does not parse, matches no handler's pattern or raises
:class:`BadCallback`, and is answered by :func:`answer_stale`. Telegram allows 64
bytes; :func:`pack` refuses more.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from telegram import CallbackQuery

from bot.i18n import t

MAX_BYTES = 64
VERSION = "v1"
_SEP = ":"


@dataclass(frozen=True)
class _Wild:
    """A part of :func:`exact` that stands for any part of a kind."""

    regex: str


ANY = _Wild(f"[^{_SEP}]+")  # any one part
NUMBER = _Wild("[0-9]+")  # any one non-negative integer part


class BadCallback(ValueError):
    """Callback data that gridbot did not make, or no longer understands."""


def pack(*parts: str | int) -> str:
    """Callback data from parts; raises ValueError if a part contains ':' or it is too long."""
    texts = [str(p) for p in parts]
    if not texts or any(_SEP in p for p in texts):
        raise ValueError(f"no parts, or ':' inside a callback part: {texts}")
    data = _SEP.join([VERSION, *texts])
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def versioned(data: str | None) -> bool:
    """Whether ``data`` is of this version (made by :func:`pack` since ``v1``)."""
    return bool(data) and str(data).split(_SEP, 1)[0] == VERSION


def fields(data: str | None, prefix: str) -> list[str]:
    """All the parts of ``data`` after ``prefix`` (any number); :class:`BadCallback` if
    ``data`` is not of this version or not ``prefix``'s."""
    if not data:
        raise BadCallback("no data")
    parts = data.split(_SEP)
    if len(parts) < 2 or parts[0] != VERSION or parts[1] != prefix:
        raise BadCallback(data)
    return parts[2:]


def unpack(data: str | None, prefix: str, size: int) -> list[str]:
    """The parts of ``data`` after ``prefix``; :class:`BadCallback` unless exactly ``size``."""
    parts = fields(data, prefix)
    if len(parts) != size:
        raise BadCallback(data)
    return parts


def is_for(data: str | None, *parts: str) -> bool:
    """Whether ``data`` is of this version and begins with ``parts`` (a prefix and more)."""
    try:
        found = fields(data, parts[0])
    except BadCallback:
        return False
    return found[: len(parts) - 1] == list(parts[1:])


def number(text: str) -> int:
    """A part that must be a non-negative integer; :class:`BadCallback` otherwise."""
    if not text.isdigit() or len(text) > 18:
        raise BadCallback(text)
    return int(text)


def new_flow_id() -> str:
    """A short random id for one run of a conversation (6 hex characters)."""
    return secrets.token_hex(3)


def pattern(*parts: str) -> str:
    """The regex a CallbackQueryHandler uses to receive the buttons whose data begin
    with ``parts`` (a prefix, and optionally its next parts), followed by more or not."""
    return "^" + re.escape(_SEP.join([VERSION, *parts])) + f"({_SEP}|$)"


def exact(*parts: str | int | _Wild) -> str:
    """The regex of exactly ``parts`` (a prefix and more); :data:`ANY` stands for any one
    part, :data:`NUMBER` for any number."""
    pieces = [p.regex if isinstance(p, _Wild) else re.escape(str(p)) for p in parts]
    return "^" + _SEP.join([VERSION, *pieces]) + "$"


def any_of(*patterns: str) -> str:
    """The regex matching any of ``patterns`` (made by :func:`pattern` or :func:`exact`)."""
    return "|".join(f"(?:{p})" for p in patterns)


async def answer_stale(query: CallbackQuery, lang: str) -> None:
    """Tell the presser the button is out of date (or not ours); nothing changes."""
    await query.answer(t(lang, "common.stale_button"), show_alert=True)
