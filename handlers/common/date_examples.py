"""Example dates in the prompts that ask for one: tomorrow, never a fixed day.

A prompt such as "请按 2026-06-20 19:30 的格式输入" read after that day shows a date
that would be refused as past; someone who copies the example must get a valid answer.
Templates say ``{example_date}`` or ``{example_time}``; :func:`dated` fills them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import catalogue, normalize_language, placeholders, t
from bot.runtime import Runtime

EXAMPLE_HOUR = "19:30"  # an evening meeting, as the grid holds them


def dated(runtime: Runtime, lang: str | None, key: str, /, **values: object) -> str:
    """The text ``key`` with ``values``, and tomorrow's date wherever it shows an example."""
    template = catalogue(normalize_language(lang)).get(key, "")
    wanted = placeholders(template)
    if wanted & {"example_date", "example_time"}:
        tomorrow = (runtime.clock.now().astimezone(runtime.config.tz) + timedelta(days=1)).date()
        values = {
            **values,
            "example_date": tomorrow.isoformat(),
            "example_time": f"{tomorrow.isoformat()} {EXAMPLE_HOUR}",
        }
    return t(lang, key, **values) if values else t(lang, key)
