"""The demo played from a script, as ``python -m bot demo`` plays it."""

from __future__ import annotations

import io
from pathlib import Path

from bot.config import load_config
from bot.offline.demo.runner import run_demo

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "bot" / "offline" / "demo" / "scripts"


def play(script: str | Path, tmp_path: Path) -> str:
    """Play ``script`` (a name under the demo's scripts, or a path) on a demo database in
    ``tmp_path``; what the demo printed."""
    out = io.StringIO()
    status = run_demo(
        load_config(None, environ={}),
        db_path=str(tmp_path / "demo.sqlite3"),
        script=str(SCRIPTS / script),
        out=out,
    )
    assert status == 0
    return out.getvalue()
