"""Fixtures of the CLI tests: a config file in the test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\nusername = "yunhe_grid_bot"\n[database]\npath = "{tmp_path / "g.sqlite3"}"\n',
        encoding="utf-8",
    )
    return path
