"""The locale catalogues: the same keys and placeholders in every language, valid HTML."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Html, catalogue, placeholders, t
from bot.offline.harness import OfflineBot
from bot.offline.standin import HtmlError, parse_html
from handlers.common import text_keys
from handlers.common.flows import FlowConversation

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


# ---------------------------------------------------------------------- keys the code asks for

CODE_FOLDERS = ("bot", "handlers")
KEY_SHAPE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
# Strings of a key's shape that are not keys: an outbox kind, a file name, a config key.
NOT_KEYS = frozenset({"digest.daily", "invite.png", "stats.response_weight"})
# Modules outside handlers/ that still build keys by hand (merged from w-stats after the
# families were made; services cannot import handlers.common.text_keys). Until their keys
# move to families in a module services may import, their prefixes count as used.
BUILT_BY_HAND_KNOWN = frozenset(
    {
        "bot/services/exports.py",
        "bot/services/roster.py",
        "bot/documents/cards.py",
        "bot/documents/charts.py",
    }
)


def _code_files() -> list[Path]:
    return [
        path
        for folder in CODE_FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "standin" not in path.parts
    ]


def _tops() -> set[str]:
    return {key.split(".")[0] for key in catalogue(DEFAULT_LANGUAGE)}


def _key_literals() -> dict[str, str]:
    """Every string in the code shaped like a catalogue key, with where it is."""
    tops = _tops()
    found: dict[str, str] = {}
    for path in _code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY_SHAPE.match(node.value)
                and node.value.split(".")[0] in tops
                and node.value not in NOT_KEYS
            ):
                found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_built_at_run_time_exists(language: str) -> None:
    """Each family (status.*, category.*, ...) over all its values, in every language."""
    assert len(text_keys.FAMILIES) >= 30
    missing = [key for key in text_keys.all_keys() if key not in catalogue(language)]
    assert missing == [], f"{language}: {missing}"


def test_every_literal_key_in_the_code_exists() -> None:
    """t(lang, "x.y"), has("x.y") and keys handed to helpers or raised by services."""
    found = _key_literals()
    assert len(found) > 300
    missing = {key: where for key, where in found.items() if key not in catalogue(DEFAULT_LANGUAGE)}
    assert missing == {}


def _built_by_hand() -> dict[str, list[str]]:
    """Keys made with an f-string, by module: {module: [the constant head of each]}."""
    tops = _tops()
    built: dict[str, list[str]] = {}
    for path in _code_files():
        if path.name == "text_keys.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr) or not node.values:
                continue
            head = node.values[0]
            text = str(head.value) if isinstance(head, ast.Constant) else ""
            if "." in text and text.split(".")[0] in tops:
                built.setdefault(path.relative_to(ROOT).as_posix(), []).append(text)
    return built


def test_no_key_is_built_by_hand() -> None:
    """A key made of a prefix and a value goes through its family in text_keys."""
    built = {m: heads for m, heads in _built_by_hand().items() if m not in BUILT_BY_HAND_KNOWN}
    assert built == {}


def test_every_key_is_used() -> None:
    """No text in the catalogues that nothing shows (dead keys go)."""
    used = set(_key_literals()) | set(text_keys.all_keys())
    heads = tuple(h for m, hs in _built_by_hand().items() if m in BUILT_BY_HAND_KNOWN for h in hs)
    unused = sorted(k for k in set(catalogue(DEFAULT_LANGUAGE)) - used if not k.startswith(heads))
    assert unused == []


async def test_every_conversation_has_its_name_in_the_catalogues(gridbot: OfflineBot) -> None:
    """The busy guard names a running flow by flow.<name>: each conversation has one."""
    names = {
        handler.name
        for handlers in gridbot.app.handlers.values()
        for handler in handlers
        if isinstance(handler, FlowConversation)
    }
    assert len(names) >= 10
    assert {text_keys.FLOW(name) for name in names} <= set(text_keys.FLOW.keys())
