"""The config file: defaults, the example file, and every kind of bad config."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config, schema_keys

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    config = load_config(None, environ={})
    assert config.locale.timezone == "Asia/Shanghai"
    assert config.locale.default_language == "zh-CN"
    assert config.telegram.mode == "polling"
    assert config.invites.ttl_days == 14
    assert str(config.tz) == "Asia/Shanghai"


def test_example_file_loads_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    config = load_config(example, environ={})
    defaults = load_config(None, environ={})
    # The one difference: the example's relative database path is taken from its folder.
    assert config.database.path == str(ROOT / defaults.database.path)
    assert config.replace(**{"database.path": defaults.database.path}) == defaults, (
        "the example shows the defaults"
    )
    text = example.read_text(encoding="utf-8")
    lines = text.splitlines()
    for key in schema_keys():
        table, _, name = key.rpartition(".")
        assert f"[{table}]" in text, key
        index = next((i for i, line in enumerate(lines) if re.match(rf"^{name}\s*=", line)), None)
        assert index is not None, f"{key} is not in config.example.toml"
        above = index - 1
        while above >= 0 and re.match(r"^\w+\s*=", lines[above]):
            above -= 1  # keys documented by one comment together
        assert lines[above].startswith("#"), f"{key} has no comment above it"


def test_token_from_environment_wins(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "1:short"\n')
    config = load_config(path, need_token=True, environ={"GRIDBOT_TOKEN": TOKEN})
    assert config.telegram.token == TOKEN


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[telegram]\nmood = 1\n", "telegram.mood", "unknown key"),
        ("colour = 'red'\n", "colour", "unknown key"),
        ("[database]\nbusy_timeout_ms = 'soon'\n", "database.busy_timeout_ms", "whole number"),
        ("[database]\nbusy_timeout_ms = true\n", "database.busy_timeout_ms", "whole number"),
        ("[invites]\nttl_days = 0\n", "invites.ttl_days", "at least 1"),
        ("[telegram]\nmode = 'poll'\n", "telegram.mode", "one of"),
        ("[locale]\ntimezone = 'Mars/Olympus'\n", "locale.timezone", "unknown timezone"),
        ("[locale]\ndefault_language = 'fr'\n", "locale.default_language", "one of"),
        ("telegram = 3\n", "telegram", "must be a table"),
        ("[grid]\ncode = 'yh'\n", "grid.code", "must be 1 to 6 capital letters, like YH"),
        ("[digest]\ntime = '25:00'\n", "digest.time", "must be a time of day like 08:00"),
        ("[telegram]\nusername = 'x'\n", "telegram.username", "must be a bot username"),
        ("[telegram]\ntoken = 'nonsense'\n", "telegram.token", "does not look like"),
        (
            f"[telegram]\ntoken = '{TOKEN}'\nmode = 'webhook'\n",
            "telegram.webhook.url",
            "https",
        ),
        (
            f"[telegram]\ntoken = '{TOKEN}'\nmode = 'webhook'\n"
            "[telegram.webhook]\nurl = 'https://example.org/hook'\n",
            "telegram.webhook.secret_token",
            "1-256",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_every_pattern_is_explained_in_words() -> None:
    def walk(value: object) -> list[dataclasses.Field[object]]:
        out: list[dataclasses.Field[object]] = []
        for spec in dataclasses.fields(value):  # type: ignore[arg-type]
            nested = getattr(value, spec.name)
            out.extend(walk(nested) if dataclasses.is_dataclass(nested) else [spec])
        return out

    patterned = [spec for spec in walk(Config()) if "pattern" in spec.metadata]
    assert len(patterned) >= 3
    for spec in patterned:
        assert spec.metadata.get("pattern_words"), spec.name


def test_relative_database_path_is_beside_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\npath = 'data/g.sqlite3'\n")
    assert load_config(path, environ={}).database.path == str(tmp_path / "data" / "g.sqlite3")
    path = write(tmp_path, "[database]\npath = '/srv/g.sqlite3'\n")
    assert load_config(path, environ={}).database.path == "/srv/g.sqlite3"
    path = write(tmp_path, "[database]\npath = ':memory:'\n")
    assert load_config(path, environ={}).database.path == ":memory:"
    assert load_config(None, environ={}).database.path == "gridbot.sqlite3"  # no file: cwd


def test_missing_token_only_matters_for_run(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    load_config(path, environ={})
    with pytest.raises(ConfigError) as caught:
        load_config(path, need_token=True, environ={})
    assert caught.value.key == "telegram.token"


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[telegram\n"), environ={})


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "no such file"),
        ("", "telegram.token: missing"),
        ("[telegram]\nfoo = 1\n", "telegram.foo: unknown key"),
        ("[database]\npath = 5\n", "database.path: must be a string"),
        ("[locale]\ntimezone = 'Asia/Nowhere'\n", "locale.timezone: unknown timezone"),
    ],
)
def test_run_with_bad_config_exits_2_with_one_line(
    tmp_path: Path, text: str | None, expected: str
) -> None:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    result = run_cli("run", "--config", str(path))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
