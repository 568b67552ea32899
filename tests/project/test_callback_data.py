"""Callback data are built, parsed and matched in handlers/common/callbacks.py only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLBACKS = ROOT / "handlers" / "common" / "callbacks.py"
# What may build a handler's pattern, or a button's data.
PATTERN_MAKERS = frozenset({"pattern", "exact", "any_of"})


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


def callback_data_misuse(path: Path) -> list[str]:
    """Where a module splits, tests or builds callback data itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "handlers.common.callbacks":
            for alias in node.names:
                if alias.name in ("SEP", "_SEP", "VERSION"):
                    found.append(f"line {node.lineno}: imports {alias.name}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _source(node.func.value)
            if method in ("split", "rsplit", "partition") and node.args:
                separator = _source(node.args[0])
                if separator in ("':'", "SEP", "_SEP") or separator.endswith(".SEP"):
                    found.append(f"line {node.lineno}: {receiver}.{method}({separator})")
            if method in ("startswith", "endswith") and "data" in receiver:
                found.append(f"line {node.lineno}: {receiver}.{method}(...)")
        if isinstance(node, ast.keyword) and node.arg in ("pattern", "callback_data"):
            value = node.value
            if isinstance(value, ast.Constant | ast.JoinedStr | ast.BinOp):
                found.append(f"line {value.lineno}: {node.arg}={_source(value)}")
            elif node.arg == "pattern" and isinstance(value, ast.Call):
                name = value.func.attr if isinstance(value.func, ast.Attribute) else ""
                name = value.func.id if isinstance(value.func, ast.Name) else name
                if name not in PATTERN_MAKERS:
                    found.append(f"line {value.lineno}: pattern={_source(value)}")
    return found


def test_no_module_outside_callbacks_handles_callback_data_itself() -> None:
    checked = 0
    bad: dict[str, list[str]] = {}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        if path == CALLBACKS:
            continue
        checked += 1
        uses = callback_data_misuse(path)
        if uses:
            bad[path.relative_to(ROOT).as_posix()] = uses
    assert checked > 30
    assert not bad, f"callback data handled outside callbacks.py: {bad}"


def test_the_callback_data_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from handlers.common.callbacks import SEP, pack\n"
        "parts = (query.data or '').split(':')\n"
        "ok = query.data.startswith('ca:')\n"
        "h = CallbackQueryHandler(f, pattern=f'^{PREFIX}:new$')\n"
        "b = InlineKeyboardButton('x', callback_data='ntn')\n"
        "c = CallbackQueryHandler(f, pattern=re.compile('^ca:'))\n"
        "fine = CallbackQueryHandler(f, pattern=pattern(PREFIX))\n"
        "also = InlineKeyboardButton('x', callback_data=pack(PREFIX, 1))\n"
        "time = text.split(':')\n",
        encoding="utf-8",
    )
    assert sorted(use.split(":")[0] for use in callback_data_misuse(sample)) == [
        "line 1",
        "line 2",
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 9",
    ]
