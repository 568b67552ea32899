"""What members type, made safe to keep and to show: no characters that hide or reorder text.

Every typed text passes :func:`clean_text` before it is checked, stored or shown
(names at join, report fields, answers to the bot's questions, notes and reasons).
It removes what a reader cannot see but that changes what they read:

- control characters (NUL and the other C0 and C1 controls, DEL), except the
  newline and the tab; a carriage return becomes a newline;
- the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E,
  U+200F, U+202A-U+202E, U+2066-U+2069), with which "txt.exe" can be shown as
  "exe.txt";
- zero-width and invisible characters (U+200B-U+200D, U+2060-U+2064, U+FEFF and
  a few more), except the zero-width joiner inside an emoji sequence such as 👨‍👩‍👧,
  which is how those emoji are written.

Line and paragraph separators (U+2028, U+2029) become newlines. Everything else,
Chinese, emoji and all, is kept as typed.
"""

from __future__ import annotations

import re

ZWJ = "\u200d"

# Removed wherever they are (ZWJ is handled apart: kept inside emoji sequences).
_HIDDEN = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # controls, but \t (09) and \n (0a); \r apart
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and controls
    "\u200b\u200c\u2060-\u2064\u206a-\u206f\ufeff"  # zero-width and invisible
    "\u180e\ufff9-\ufffb"  # Mongolian vowel separator, interlinear annotation marks
    "]"
)
_NEWLINES = re.compile("\r\n?|[\u2028\u2029]")


def _emoji_part(char: str) -> bool:
    """Whether ``char`` can stand next to a ZWJ in an emoji sequence."""
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FAFF  # pictographs, faces, people, skin tones
        or 0x2190 <= code <= 0x21FF  # arrows
        or 0x2300 <= code <= 0x23FF  # technical (⌚ ⏰)
        or 0x2460 <= code <= 0x27BF  # symbols and dingbats (♀ ♂ ⚕ ✈ ❤)
        or 0x2B00 <= code <= 0x2BFF  # arrows and shapes (⬛ ⭐)
        or code in (0xFE0F, 0x20E3, 0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x3030, 0x303D)
        or 0xE0020 <= code <= 0xE007F  # tag characters (flags of regions)
    )


def _joiners(text: str) -> str:
    """``text`` with each ZWJ kept only between two parts of an emoji sequence."""
    if ZWJ not in text:
        return text
    out: list[str] = []
    for i, char in enumerate(text):
        if char == ZWJ:
            before = text[i - 1] if i > 0 else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if not (before and after and _emoji_part(before) and _emoji_part(after)):
                continue
        out.append(char)
    return "".join(out)


def clean_text(text: str) -> str:
    """``text`` without the characters that hide or reorder text (see the module doc)."""
    text = _NEWLINES.sub("\n", text)
    text = _HIDDEN.sub("", text)
    return _joiners(text)
