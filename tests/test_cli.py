"""The operator's command line: init, invite, areas, outbox, backup, check-config."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import DEMO_AREAS


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\nusername = "yunhe_grid_bot"\n[database]\npath = "{tmp_path / "g.sqlite3"}"\n',
        encoding="utf-8",
    )
    return path


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(args), out=out)
    return status, out.getvalue()


def test_init_creates_the_tree_and_the_first_admin_invite(config_file: Path) -> None:
    status, out = cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    assert status == 0
    assert "areas: 26 created, 0 already there" in out
    assert "role:     district_admin" in out
    assert "link:     https://t.me/yunhe_grid_bot?start=" in out
    assert "█" in out  # the QR code, drawn in the terminal
    status, out = cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    assert "areas: 0 created, 26 already there" in out
    assert "district_admin" in out  # nobody has joined yet: a fresh invite


def test_init_with_a_bad_file(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "areas.csv"
    bad.write_text("district,运河区\nplanet,运河区/火星\n", encoding="utf-8")
    assert cli("init", "--areas", str(bad), "--config", str(config_file))[0] == 1
    assert "line 2: unknown kind 'planet'" in capsys.readouterr().err
    assert cli("init", "--areas", str(tmp_path / "none.csv"), "--config", str(config_file))[0] == 1
    assert "cannot be read" in capsys.readouterr().err


def test_invite_by_name_path_and_ambiguity(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    qr = tmp_path / "qr.png"
    status, out = cli(
        "invite", "--role", "community_admin", "--area", "光明街社区",
        "--qr", str(qr), "--config", str(config_file),
    )  # fmt: skip
    assert status == 0
    assert "area:     运河区/光明街道/光明街社区" in out
    assert qr.read_bytes().startswith(b"\x89PNG")
    status, _ = cli(
        "invite", "--role", "group_leader", "--area", "第一村民小组", "--config", str(config_file)
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "is ambiguous; did you mean:" in err
    assert "运河区/南陈屯镇/姚庄子村/第一村民小组" in err
    status, _ = cli(
        "invite", "--role", "group_leader", "--area", "光明社区", "--config", str(config_file)
    )
    assert status == 1
    assert "光明街社区" in capsys.readouterr().err
    status, _ = cli(
        "invite", "--role", "group_leader", "--area", "光明街社区", "--config", str(config_file)
    )
    assert status == 1
    assert "not appointed to a community" in capsys.readouterr().err


def test_areas_backup_and_outbox(config_file: Path, tmp_path: Path) -> None:
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    status, out = cli("areas", "--config", str(config_file))
    assert status == 0
    assert "  光明街道  (street)" in out
    target = tmp_path / "copy.sqlite3"
    assert cli("backup", "--to", str(target), "--config", str(config_file))[0] == 0
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT count(*) FROM areas").fetchone()[0] == 26
    copy.close()
    assert cli("backup", "--to", str(target), "--config", str(config_file))[0] == 1
    status, out = cli("outbox", "--config", str(config_file))
    assert status == 0
    assert out.startswith("outbox: 0 pending, 0 sent, 0 failed, 0 cancelled")
    db = sqlite3.connect(tmp_path / "g.sqlite3")
    db.execute(
        "INSERT INTO outbox (recipient, kind, status, attempts, next_try_at, created_at,"
        " last_error) VALUES ('5', 'case.new', 'failed', 10, 'x', 'x', 'Timed out')"
    )
    db.commit()
    db.close()
    status, out = cli("outbox", "--config", str(config_file))
    assert "#1 case.new to telegram:5 after 10 tries" in out
    assert cli("outbox", "--retry", "all", "--config", str(config_file))[1].startswith("1 message")
    assert "1 pending" in cli("outbox", "--config", str(config_file))[1]


def test_check_config(config_file: Path, tmp_path: Path) -> None:
    assert cli("check-config", "--config", str(config_file)) == (0, f"{config_file}: ok\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid]\ncode = 7\n", encoding="utf-8")
    assert cli("check-config", "--config", str(bad))[0] == 2


def test_newer_database_is_refused_with_one_line(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("areas", "--config", str(config_file))
    db = sqlite3.connect(tmp_path / "g.sqlite3")
    db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    db.commit()
    db.close()
    assert cli("areas", "--config", str(config_file))[0] == 1
    err = capsys.readouterr().err.strip()
    assert "newer than this gridbot" in err
    assert len(err.splitlines()) == 1
