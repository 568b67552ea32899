"""The HTML parser agrees with Telegram (tdlib) on what is valid and what the user sees."""

from __future__ import annotations

import pytest

from bot.offline.standin.html import HtmlError, parse_html, utf16_len


def test_tags_render_to_plain_text_with_entities() -> None:
    rendered = parse_html("<b>粗</b> <i>斜</i> &lt;tag&gt; &amp; &quot;q&quot; &#20013;&#x6587;")
    assert rendered.text == '粗 斜 <tag> & "q" 中文'
    assert rendered.entities == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "italic", "offset": 2, "length": 1},
    ]


def test_links_spoilers_quotes_and_code() -> None:
    source = (
        '<a href="https://example.org/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler> '
        "<blockquote expandable>quote</blockquote> "
        '<pre><code class="language-python">x = 1</code></pre> <code>c</code>'
    )
    rendered = parse_html(source)
    assert rendered.text == "link st quote x = 1 c"
    types = [e["type"] for e in rendered.entities]
    assert types == ["text_link", "spoiler", "spoiler", "expandable_blockquote", "pre", "code"]
    assert rendered.entities[0]["url"] == "https://example.org/?a=1&b=2"
    assert rendered.entities[4]["language"] == "python"


def test_offsets_count_utf16_code_units() -> None:
    rendered = parse_html("😀<b>x</b>")
    assert rendered.entities == [{"type": "bold", "offset": 2, "length": 1}]
    assert utf16_len("😀a") == 3


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("中<br>", 'Unsupported start tag "br" at byte offset 3'),
        ("AT&T", 'Unescaped "&" at byte offset 2'),
    ],
)
def test_invalid_html_is_rejected_with_tdlib_wording(source: str, message: str) -> None:
    with pytest.raises(HtmlError) as caught:
        parse_html(source)
    assert str(caught.value).startswith(message)


def test_bare_ampersand_passes_when_not_strict() -> None:
    assert parse_html("AT&T", strict=False).text == "AT&T"


def test_text_is_trimmed_and_cleaned_like_telegram() -> None:
    rendered = parse_html("\n  <b>a\tb</b>\r\n  ")
    assert rendered.text == "a b"
    assert rendered.entities == [{"type": "bold", "offset": 0, "length": 3}]
