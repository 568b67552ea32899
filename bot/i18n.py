"""The texts users read, from the locale catalogues, in their language.

Catalogues live in ``bot/locales/<language>/*.toml``: one file per feature, nested
tables flattened to dotted keys (``join.welcome``). Placeholders are ``{name}``.
Every value put into a placeholder is HTML-escaped (the bot sends HTML), unless it is
an :class:`Html` fragment that was built from escaped parts already.
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")


class Html(str):
    """A string that is already safe HTML: inserted into a text as it is."""

    __slots__ = ()


def escape(text: object) -> Html:
    """User text made safe for an HTML message."""
    return Html(html.escape(str(text), quote=False))


def _flatten(table: Mapping[str, Any], prefix: str, out: dict[str, str], origin: str) -> None:
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, f"{dotted}.", out, origin)
        elif isinstance(value, str):
            if dotted in out:
                raise ValueError(f"{origin}: key {dotted} defined twice")
            out[dotted] = value
        else:
            raise ValueError(f"{origin}: {dotted} must be a string")


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """Every text of one language, by dotted key."""
    texts: dict[str, str] = {}
    folder = resources.files("bot.locales").joinpath(language)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            _flatten(data, "", texts, f"{language}/{entry.name}")
    return texts


def placeholders(template: str) -> set[str]:
    """The names of the ``{placeholders}`` of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def normalize_language(language: str | None) -> str:
    """A supported language code for ``language`` (default zh-CN)."""
    if language in LANGUAGES:
        return language
    return DEFAULT_LANGUAGE


def t(language: str | None, key: str, /, **values: object) -> str:
    """The text ``key`` in ``language``, its placeholders filled and escaped."""
    template = catalogue(normalize_language(language)).get(key)
    if template is None:
        template = catalogue(DEFAULT_LANGUAGE)[key]
    if not values:
        return template
    safe = {
        name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
        for name, value in values.items()
    }
    return template.format_map(safe)


def join_list(language: str | None, items: Iterable[str]) -> str:
    """``items`` as one list in ``language`` (``甲、乙`` in Chinese, ``a, b`` in English).

    Every list a user reads is joined here. The result is :class:`Html` if every item is.
    """
    parts = list(items)
    joined = t(language, "list.separator").join(parts)
    return Html(joined) if parts and all(isinstance(p, Html) for p in parts) else joined


def has(key: str) -> bool:
    """Whether the default catalogue has ``key``."""
    return key in catalogue(DEFAULT_LANGUAGE)
