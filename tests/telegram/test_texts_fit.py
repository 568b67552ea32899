"""The fitting of texts to Telegram's limits: shortened with "…", split whole, escaped once.

Each result is checked with the stand-in's own HTML parser, the one that refuses what
Telegram refuses, so "fits" means what Telegram would count.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import escape
from bot.offline.standin.html import parse_html, utf16_len
from bot.telegram.texts_fit import (
    CAPTION_LIMIT,
    ELLIPSIS,
    TEXT_LIMIT,
    fit,
    rendered_length,
    shorten,
    split,
)


def shown(text: str) -> str:
    return parse_html(text, strict=True).text


def test_short_text_is_left_alone() -> None:
    text = "<b>案件 YH-1</b>\n情况：" + escape("a < b & c")
    fitted = fit(text)
    assert fitted == type(fitted)(text, False)
    assert rendered_length(text) == utf16_len(shown(text))


def test_long_lines_are_cut_short_lines_kept() -> None:
    title = "🆕 <b>案件 YH-20260613-0012</b>（紧急）· 待受理"
    lines = [
        title,
        "情况：" + escape("漏<水>&" * 700),
        *("📝 备注：" + "字" * 1500 for _ in range(3)),
    ]
    fitted = fit("\n".join(lines))
    assert fitted.shortened
    rendered = shown(fitted.text)
    assert utf16_len(rendered) <= TEXT_LIMIT
    assert rendered.startswith("🆕 案件 YH-20260613-0012（紧急）· 待受理\n")  # the title whole
    assert rendered.count(ELLIPSIS) == 4  # every long line says it was cut
    assert "&amp;amp;" not in fitted.text  # escaped once, never again
    assert "&lt;水&gt;" in fitted.text  # entities are never cut in half


def test_tags_are_closed_at_a_cut() -> None:
    text = "<b>" + "粗" * 5000 + "</b> 尾"
    cut = shorten(text, 100)
    assert cut.endswith(ELLIPSIS + "</b>")
    assert utf16_len(shown(cut)) == 100


def test_astral_characters_count_twice() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    fitted = fit(text)
    assert utf16_len(shown(fitted.text)) <= TEXT_LIMIT
    assert "\ud83d" not in fitted.text


def test_many_short_lines_leave_out_the_middle() -> None:
    lines = [f"第{i}条 " + "事" * 100 for i in range(200)]
    fitted = fit("\n".join(lines))
    rendered = shown(fitted.text)
    assert utf16_len(rendered) <= TEXT_LIMIT
    assert rendered.startswith("第0条") and "第199条" in rendered
    assert f"\n{ELLIPSIS}\n" in rendered


@pytest.mark.parametrize("limit", [CAPTION_LIMIT, TEXT_LIMIT])
def test_caption_limit(limit: int) -> None:
    fitted = fit("扫码加入：楼门长（" + "很长的区域名/" * 400 + "）", limit)
    assert utf16_len(shown(fitted.text)) <= limit


def test_split_keeps_everything_in_order() -> None:
    lines = ["<b>标题</b>", "情况：" + escape("<&>" * 3000), *(f"事件{i}" for i in range(500))]
    text = "\n".join(lines)
    parts = split(text)
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(shown(part)) <= TEXT_LIMIT
    whole = "".join(shown(p) + ("\n" if not shown(p).endswith("\n") else "") for p in parts)
    assert whole.replace("\n", "") == shown(text).replace("\n", "")


def test_split_reopens_a_tag_broken_inside() -> None:
    text = "<i>" + "斜" * 9000 + "</i>"
    parts = split(text)
    assert len(parts) == 3
    assert all(p.startswith("<i>") and p.endswith("</i>") for p in parts)
    assert sum(len(shown(p)) for p in parts) == 9000


pieces = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300).map(escape),
    st.sampled_from(["<b>标题</b>", "<i>斜</i>", '<a href="https://t.me/x">链接</a>', "\n"]),
    st.text(alphabet="漏水😀&<>\n ", max_size=2000).map(escape),
)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(pieces, max_size=12), limit=st.sampled_from([CAPTION_LIMIT, TEXT_LIMIT]))
def test_any_text_fits_and_splits_back_whole(parts: list[str], limit: int) -> None:
    text = "".join(parts)
    fitted = fit(text, limit)
    assert utf16_len(parse_html(fitted.text, strict=True).text) <= limit
    assert fitted.shortened == (rendered_length(text) > limit)
    whole = "".join(shown(part) for part in split(text, limit))
    for part in split(text, limit):
        assert utf16_len(shown(part)) <= limit
    assert "".join(whole.split()) == "".join(shown(text).split())
