"""Every conversation has its state diagram beside its module (STYLE.md, issue 11)."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

from telegram.ext import ConversationHandler

from bot.main import HANDLER_MODULES


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
