"""The refusal that services raise when something cannot be done for this member.

``key`` names the catalogue text that says why; the handler shows it. Meetings and
shifts share this base so handlers (handlers/common/text_question.py) can treat them alike.
"""

from __future__ import annotations


class KeyedError(Exception):
    """Something that cannot be done; ``key`` names the text to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
