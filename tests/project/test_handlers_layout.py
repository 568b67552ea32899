"""The layout of handlers/ (issue 11): a diagram beside every conversation, and the
outbox renderers in handlers/messages/, which never import a conversation module."""

from __future__ import annotations

import ast
import inspect
import warnings
from pathlib import Path

from telegram.ext import ConversationHandler

from bot.main import HANDLER_MODULES, RENDERER_MODULES

ROOT = Path(__file__).resolve().parents[2]


def test_every_conversation_has_a_diagram_beside_its_module() -> None:
    found: dict[str, Path] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # per_message, as when the Application is built
        for module in HANDLER_MODULES:
            for handler in module.build_handlers():
                if isinstance(handler, ConversationHandler) and handler.name:
                    found[handler.name] = Path(inspect.getfile(module)).parent
    assert len(found) >= 10, found
    missing = [name for name, folder in found.items() if not (folder / f"{name}.mmd").is_file()]
    assert not missing, f"conversations without a .mmd diagram: {missing}"
    for name, folder in found.items():
        text = (folder / f"{name}.mmd").read_text(encoding="utf-8")
        assert "stateDiagram" in text, name


def test_renderers_live_in_handlers_messages_and_import_no_conversation() -> None:
    for module in RENDERER_MODULES:
        assert module.__name__.startswith("handlers.messages."), module.__name__
    for module in HANDLER_MODULES:
        assert not hasattr(module, "RENDERERS"), module.__name__
    for path in sorted((ROOT / "handlers" / "messages").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("handlers."):
                    inside = name.split(".")[1]
                    assert inside in ("common", "messages"), f"{path.name} imports {name}"
