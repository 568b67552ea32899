"""The rules of the house about imports (DESIGN.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_services_know_no_channel() -> None:
    for path in modules("bot/services"):
        bad = {m for m in imports(path) if m.split(".")[0] in ("telegram", "handlers")}
        assert not bad, f"{path.name} imports {bad}"


def test_storage_imports_neither_services_nor_handlers_and_repositories_no_telegram() -> None:
    for path in modules("storage"):
        found = imports(path)
        assert not {m for m in found if m.split(".")[0] in ("bot", "handlers")}, path.name
        if path.name != "persistence.py":  # the one adapter to python-telegram-bot
            assert not {m for m in found if m.startswith("telegram")}, path.name


def test_only_the_composition_root_and_the_cli_import_handlers() -> None:
    allowed = {"app.py"}
    for path in modules("bot"):
        uses = {m for m in imports(path) if m.split(".")[0] == "handlers"}
        if path.name not in allowed:
            assert not uses, f"{path.relative_to(ROOT)} imports {uses}"


def test_handlers_never_import_the_composition_root_nor_write_sql() -> None:
    for path in modules("handlers"):
        found = imports(path)
        assert "bot.app" not in found and "bot.cli" not in found, path.name
        assert not {m for m in found if m.split(".")[0] == "storage"}, path.name
        text = path.read_text(encoding="utf-8")
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE "):
            assert keyword not in text, f"{path.name} holds SQL"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    command = ci[-1]
    assert f"```sh\n{command}\n```" in readme
    assert "-e '.[test]'" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
