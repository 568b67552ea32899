"""The locale catalogues: the same keys and placeholders in every language, valid HTML."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Html, catalogue, placeholders, t
from bot.offline.standin import HtmlError, parse_html

ROOT = Path(__file__).resolve().parents[2]


def test_same_keys_in_every_language() -> None:
    reference = set(catalogue(DEFAULT_LANGUAGE))
    for language in LANGUAGES:
        keys = set(catalogue(language))
        assert keys - reference == set(), f"only in {language}"
        assert reference - keys == set(), f"missing in {language}"


def test_same_placeholders_in_every_language() -> None:
    for key, template in catalogue(DEFAULT_LANGUAGE).items():
        for language in LANGUAGES:
            assert placeholders(catalogue(language)[key]) == placeholders(template), (
                f"{language}: {key}"
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_valid_telegram_html(language: str) -> None:
    for key, template in catalogue(language).items():
        filled = template.format_map(dict.fromkeys(placeholders(template), "x"))
        try:
            parse_html(filled)
        except HtmlError as error:
            pytest.fail(f"{language}: {key}: {error}")


def test_values_are_escaped_unless_marked_safe() -> None:
    text = t("en", "join.invited", role="<b>boss</b>", area="A & B")
    assert "&lt;b&gt;boss&lt;/b&gt;" in text
    assert "A &amp; B" in text
    assert "<b>x</b>" in t("en", "join.invited", role=Html("<b>x</b>"), area="a")


def test_unknown_language_falls_back_to_chinese() -> None:
    assert t("fr", "lang.name") == "中文"
    assert t(None, "lang.name") == "中文"


def _string_literals_with_cjk(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Docstrings (bare string statements) are for readers of the code, not users.
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and any("\u4e00" <= ch <= "\u9fff" for ch in node.value)
        ):
            found.append(node.value)
    return found


def test_handlers_hold_no_user_texts() -> None:
    """User-facing text lives in the catalogues; handlers may not spell it out."""
    # All of handlers/ (its subpackages too) and the renderers of outgoing cards under
    # bot/telegram/, which moved there from handlers/ (issue 11).
    paths = sorted((ROOT / "handlers").rglob("*.py")) + sorted(
        (ROOT / "bot/telegram").rglob("*.py")
    )
    assert len(paths) > 30 and any(p.parent.name == "common" for p in paths)
    for path in paths:
        assert _string_literals_with_cjk(path) == [], path.relative_to(ROOT).as_posix()
