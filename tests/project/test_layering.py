"""The rules of the house about imports (DESIGN.md), checked on the source."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from bot.offline.harness import OfflineBot

ROOT = Path(__file__).resolve().parents[2]


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


# What a service may not import: a channel (telegram, gridbot's Telegram side, the
# stand-in), the handlers, or what assembles them.
NOT_FOR_SERVICES = ("telegram", "handlers", "bot.telegram", "bot.offline", "bot.main", "bot.cli")


def test_services_know_no_channel() -> None:
    checked = 0
    for path in modules("bot/services"):
        checked += 1
        bad = {
            m
            for m in imports(path)
            if any(m == banned or m.startswith(banned + ".") for banned in NOT_FOR_SERVICES)
        }
        assert not bad, f"{path.name} imports {bad}"
    assert checked > 10


def test_storage_imports_neither_services_nor_handlers_and_repositories_no_telegram() -> None:
    for path in modules("storage"):
        found = imports(path)
        assert not {m for m in found if m.split(".")[0] in ("bot", "handlers")}, path.name
        if path.name != "persistence.py":  # the one adapter to python-telegram-bot
            assert not {m for m in found if m.startswith("telegram")}, path.name


def test_only_the_composition_root_and_the_cli_import_handlers() -> None:
    allowed = {"bot/main.py", "bot/cli.py", "bot/jobs.py"}
    checked = 0
    for folder in ("bot", "storage"):
        for path in modules(folder):
            name = path.relative_to(ROOT).as_posix()
            uses = {m for m in imports(path) if m.split(".")[0] == "handlers"}
            checked += 1
            if name not in allowed:
                assert not uses, f"{name} imports {uses}"
    assert checked > 30


# The repositories' way in: a call of one of these runs SQL.
SQL_CALLS = frozenset(
    {"execute", "executemany", "executescript", "execute_rowcount", "fetchone", "fetchall"}
    | {"fetchval", "execute_fetchall"}
)
# A statement's opening words (prose such as "Delete the copies" does not match).
SQL_TEXT = re.compile(
    r"^\s*(SELECT\s.*\bFROM\s|SELECT\s+(count|coalesce|max|min|changes)\(|"
    r"(INSERT|REPLACE)\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|"
    r"(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW|TRIGGER)\s|PRAGMA\s+\w+|BEGIN(\s+IMMEDIATE)?\s*$|"
    r"WITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE | re.DOTALL,
)
# SQL may be written in storage/ only; the stand-in, the demo and the benchmarks are
# outside the application (bench/ measures the database itself).
SQL_ALLOWED = ("storage/", "bot/offline/", "bench/")


def sql_uses(path: Path) -> list[str]:
    """Statements in string literals, and calls that run SQL, in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_TEXT.match(node.value):
                found.append(f"line {node.lineno}: {node.value[:40]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}()")
    return found


def test_no_sql_outside_storage() -> None:
    checked = 0
    bad: dict[str, list[str]] = {}
    for folder in ("bot", "handlers"):
        for path in modules(folder):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith(SQL_ALLOWED):
                continue
            checked += 1
            uses = sql_uses(path)
            if uses:
                bad[name] = uses
    assert checked > 50
    assert not bad, f"SQL outside storage/: {bad}"


def test_the_sql_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'await db.execute("UPDATE outbox SET status = ?", ("sent",))\n'
        "rows = await tx.fetchall(QUERY)\n"
        'text = "select a district"\n'
        'QUERY = """\n    select id FROM cases"""\n'
        "await outbox.finish(db, 1)\n",
        encoding="utf-8",
    )
    assert sorted(use.split(":")[0] for use in sql_uses(sample)) == [
        "line 1",
        "line 1",
        "line 2",
        "line 4",
    ]


def test_handlers_never_import_the_composition_root_nor_write_sql() -> None:
    for path in modules("handlers"):
        found = imports(path)
        assert "bot.main" not in found and "bot.cli" not in found, path.name
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


# python-telegram-bot's private names: each breaks silently on a minor PTB release.
PRIVATE_ATTRIBUTES = frozenset({"_conversations", "_get_key", "_update_state", "_base_limiter"})


def private_ptb_uses(path: Path) -> list[str]:
    """Imports of a private name from telegram, and uses of PTB's private attributes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "telegram" and any(p.startswith("_") for p in parts):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "telegram":
                continue
            names = [alias.name for alias in node.names]
            if any(p.startswith("_") for p in parts) or any(n.startswith("_") for n in names):
                found.append(f"line {node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_no_private_python_telegram_bot_names() -> None:
    checked = 0
    bad: dict[str, list[str]] = {}
    for folder in ("bot", "handlers", "storage", "bench", "tests"):
        for path in modules(folder):
            name = path.relative_to(ROOT).as_posix()
            checked += 1
            uses = private_ptb_uses(path)
            if uses:
                bad[name] = uses
    assert checked > 50
    assert not bad, f"private python-telegram-bot names used: {bad}"


def test_the_private_name_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import telegram._utils.types\n"
        "from telegram._utils.defaultvalue import DEFAULT_NONE\n"
        "from telegram.ext import _utils\n"
        "from telegram.ext import ConversationHandler\n"
        "from ._private import fine\n"
        "handler._conversations.get(key)\n"
        "handler._update_state(-1, key)\n",
        encoding="utf-8",
    )
    assert sorted(use.split(":")[0] for use in private_ptb_uses(sample)) == [
        "line 1",
        "line 2",
        "line 3",
        "line 6",
        "line 7",
    ]


def test_importing_gridbot_changes_no_process_wide_state() -> None:
    """PTB_TIMEDELTA and the warnings filter are set when the Application is built."""
    env = {k: v for k, v in os.environ.items() if k not in ("PTB_TIMEDELTA", "PYTHONWARNINGS")}
    probe = (
        "import os, warnings\n"
        "before = list(warnings.filters)\n"
        "import bot, bot.main, bot.cli, bot.offline.harness\n"
        "assert 'PTB_TIMEDELTA' not in os.environ, 'PTB_TIMEDELTA set at import'\n"
        "assert warnings.filters == before, 'warnings filter set at import'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


async def test_building_the_application_opts_in_to_timedeltas(gridbot: OfflineBot) -> None:
    assert os.environ.get("PTB_TIMEDELTA") == "1"


def test_no_test_module_imports_another_test_module() -> None:
    """Shared test helpers live in tests/helpers (or fixtures in a conftest), so that a test
    module can be moved, renamed or run alone without breaking another."""
    bad: dict[str, set[str]] = {}
    checked = 0
    for path in modules("tests"):
        checked += 1
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # a relative import: "from .test_x import y"
                    found.add("." * node.level + (node.module or ""))
                    found.update(f".{alias.name}" for alias in node.names if not node.module)
                elif node.module:
                    found.add(node.module)
                    found.update(f"{node.module}.{alias.name}" for alias in node.names)
        uses = {m for m in found if is_test_module(m)}
        if uses:
            bad[path.relative_to(ROOT).as_posix()] = uses
    assert checked > 50
    assert not bad, f"test modules imported by other test modules: {bad}"


def is_test_module(name: str) -> bool:
    """Whether an imported name is (in) a test module rather than a helper or a conftest."""
    return any(part.startswith("test_") for part in name.lstrip(".").split("."))


def test_the_test_import_check_finds_what_it_looks_for() -> None:
    assert is_test_module("tests.handlers.test_join")
    assert is_test_module("tests.handlers.test_join.make_invite")
    assert is_test_module(".test_demo")
    assert not is_test_module("tests.helpers.people")
    assert not is_test_module("tests.conftest")
    assert not is_test_module("tests.helpers.process.TOKEN")
