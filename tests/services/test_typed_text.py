"""clean_text: characters that hide or reorder text are removed; emoji sequences kept."""

from __future__ import annotations

import pytest

from bot.services.typed_text import clean_text

FAMILY = "👨\u200d👩\u200d👧"  # a ZWJ sequence: one emoji
RAINBOW_FLAG = "🏳\ufe0f\u200d🌈"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("楼上\x00漏水", "楼上漏水"),
        ("a\x07b\x1bc\x7fd\x85e", "abcde"),
        ("第一行\r\n第二行\r第三行\u2028第四行", "第一行\n第二行\n第三行\n第四行"),
        ("保留\t制表符\n和换行", "保留\t制表符\n和换行"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("\u2066隔离\u2069\u200e\u200f\u061c", "隔离"),
        ("零\u200b宽\u200c字\u200d符\u2060\ufeff", "零宽字符"),
        (FAMILY, FAMILY),
        (RAINBOW_FLAG, RAINBOW_FLAG),
        ("张\u200d👍", "张👍"),  # a ZWJ that joins no emoji
        ("\u200d👍", "👍"),
        ("普通的中文，English, 123 ✅", "普通的中文，English, 123 ✅"),
    ],
)
def test_clean_text(typed: str, kept: str) -> None:
    assert clean_text(typed) == kept
