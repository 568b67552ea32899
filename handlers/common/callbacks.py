"""Callback data: short strings such as ``lang:set:en`` or ``inv:3fa2:role:group_leader``.

Every button's data is built by :func:`pack` and read by :func:`unpack`, here and
nowhere else; a button that does not parse is answered by :func:`answer_stale`.
Data are ``:``-separated parts, the first naming the feature; a conversation's
buttons carry the id of the draft they belong to, so a button from an older
message is recognised as stale. Telegram allows 64 bytes.
"""

from __future__ import annotations

import secrets

from telegram import CallbackQuery

from bot.i18n import t

MAX_BYTES = 64
SEP = ":"


class BadCallback(ValueError):
    """Callback data that gridbot did not make, or no longer understands."""


def pack(*parts: str | int) -> str:
    """Callback data from parts; raises ValueError if a part contains ':' or it is too long."""
    texts = [str(p) for p in parts]
    if any(SEP in p for p in texts):
        raise ValueError(f"':' inside a callback part: {texts}")
    data = SEP.join(texts)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str | None, prefix: str, size: int) -> list[str]:
    """The parts of ``data`` after ``prefix``; :class:`BadCallback` unless exactly ``size``."""
    if not data:
        raise BadCallback("no data")
    parts = data.split(SEP)
    if parts[0] != prefix or len(parts) != size + 1:
        raise BadCallback(data)
    return parts[1:]


def number(text: str) -> int:
    """A part that must be a non-negative integer; :class:`BadCallback` otherwise."""
    if not text.isdigit() or len(text) > 18:
        raise BadCallback(text)
    return int(text)


def new_flow_id() -> str:
    """A short random id for one run of a conversation (6 hex characters)."""
    return secrets.token_hex(3)


def pattern(prefix: str) -> str:
    """The regex a CallbackQueryHandler uses to receive ``prefix``'s buttons."""
    return f"^{prefix}{SEP}"


async def answer_stale(query: CallbackQuery, lang: str) -> None:
    """Tell the presser the button is out of date (or not ours); nothing changes."""
    await query.answer(t(lang, "common.stale_button"), show_alert=True)
