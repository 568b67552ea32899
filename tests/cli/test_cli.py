"""The operator's command line: init, invite, areas, outbox, backup, check-config.

Every error is one line on stderr, in words, with exit status 2 (1 for a database that
cannot be used); nothing is half done.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import SystemClock
from bot.config import load_config
from bot.services import members as member_service
from storage.db import Database
from tests.conftest import DEMO_AREAS
from tests.helpers.cli import cli, one_line_error


def count(db_file: Path, sql: str) -> int:
    with closing(sqlite3.connect(db_file)) as db:
        return int(db.execute(sql).fetchone()[0])


def join(config_file: Path, code: str) -> None:
    """Someone joins with ``code``, as /start would (the join flow has its own tests)."""

    async def register() -> None:
        config = load_config(config_file, environ={})
        db = await Database(config.database.path).open()
        try:
            await member_service.register(
                db, SystemClock(), code=code, tg_user_id=30_001, name="孙立新",
                phone="+8613800030001", language="zh-CN", grid_code="YH", tz=config.tz,
            )  # fmt: skip
        finally:
            await db.close()

    asyncio.run(register())


def test_init_creates_the_tree_and_the_first_admin_invite(config_file: Path) -> None:
    status, out = cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    assert status == 0
    assert "areas: 26 created, 0 already there" in out
    assert "role:     district_admin" in out
    assert "link:     https://t.me/yunhe_grid_bot?start=" in out
    assert "█" in out  # the QR code, drawn in the terminal
    code = re.search(r"code:     (\S+)", out)
    assert code is not None


def test_init_again_makes_no_second_district_admin_invite(
    config_file: Path, tmp_path: Path
) -> None:
    _, out = cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    code = re.search(r"code:     (\S+)", out)
    assert code is not None
    status, out = cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    assert status == 0
    assert "areas: 0 created, 26 already there" in out
    assert "An invite for the first district admin is still unused (it expires 20" in out
    assert "code:" not in out
    assert "gridbot invite --role district_admin --area 运河区" in out  # if it was lost
    invites = "SELECT count(*) FROM invites WHERE role = 'district_admin'"
    assert count(tmp_path / "g.sqlite3", invites) == 1
    join(config_file, code[1])
    status, out = cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    assert status == 0
    assert "A district admin has joined already: no new invite" in out
    assert count(tmp_path / "g.sqlite3", invites) == 1


def test_init_with_a_bad_file(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "areas.csv"
    bad.write_text("district,运河区\nplanet,运河区/火星\n", encoding="utf-8")
    assert cli("init", "--areas", str(bad), "--config", str(config_file))[0] == 2
    assert "line 2: unknown kind 'planet'" in one_line_error(capsys)
    assert cli("init", "--areas", str(tmp_path / "none.csv"), "--config", str(config_file))[0] == 2
    assert "cannot be read" in one_line_error(capsys)


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
    assert status == 2
    err = one_line_error(capsys)
    assert "is ambiguous; did you mean:" in err
    assert "运河区/南陈屯镇/姚庄子村/第一村民小组" in err
    status, _ = cli(
        "invite", "--role", "group_leader", "--area", "光明社区", "--config", str(config_file)
    )
    assert status == 2
    assert "光明街社区" in one_line_error(capsys)
    status, _ = cli(
        "invite", "--role", "group_leader", "--area", "光明街社区", "--config", str(config_file)
    )
    assert status == 2
    assert "not appointed to a community" in one_line_error(capsys)


def test_invite_qr_without_a_username_says_so_and_makes_no_invite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[database]\npath = 'g.sqlite3'\n", encoding="utf-8")  # no username
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config))
    capsys.readouterr()
    before = count(tmp_path / "g.sqlite3", "SELECT count(*) FROM invites")
    qr = tmp_path / "qr.png"
    status, out = cli(
        "invite", "--role", "community_admin", "--area", "光明街社区",
        "--qr", str(qr), "--config", str(config),
    )  # fmt: skip
    assert status == 2
    assert "--qr needs the bot's username" in one_line_error(capsys)
    assert out == ""
    assert not qr.exists()
    assert count(tmp_path / "g.sqlite3", "SELECT count(*) FROM invites") == before
    # Without --qr the invite is made, and the missing link is explained.
    status, out = cli(
        "invite", "--role", "community_admin", "--area", "光明街社区", "--config", str(config)
    )
    assert status == 0
    assert "link:     set telegram.username in the config to print the link" in out


def test_invite_qr_into_a_missing_folder(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    capsys.readouterr()
    status, _ = cli(
        "invite", "--role", "community_admin", "--area", "光明街社区",
        "--qr", str(tmp_path / "no" / "qr.png"), "--config", str(config_file),
    )  # fmt: skip
    assert status == 2
    assert "is not an existing folder" in one_line_error(capsys)


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
    assert cli("backup", "--to", str(target), "--config", str(config_file))[0] == 2
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


def test_outbox_retry_of_no_such_failed_message(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    with closing(sqlite3.connect(tmp_path / "g.sqlite3")) as db:
        db.execute(
            "INSERT INTO outbox (recipient, kind, status, attempts, next_try_at, created_at)"
            " VALUES ('5', 'case.new', 'sent', 1, 'x', 'x')"
        )
        db.commit()
    capsys.readouterr()
    status, out = cli("outbox", "--retry", "999", "--config", str(config_file))
    assert (status, out) == (2, "")
    assert one_line_error(capsys) == "gridbot: there is no message #999 in the outbox"
    status, out = cli("outbox", "--retry", "1", "--config", str(config_file))
    assert (status, out) == (2, "")
    assert "message #1 is sent, not failed" in one_line_error(capsys)
    status, out = cli("outbox", "--retry", "all", "--config", str(config_file))
    assert (status, out) == (0, "no failed messages: nothing to queue again\n")
    status, _ = cli("outbox", "--retry", "soon", "--config", str(config_file))
    assert status == 2
    assert "--retry takes a message id or 'all'" in one_line_error(capsys)


def test_backup_into_a_missing_folder(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    capsys.readouterr()
    status, out = cli("backup", "--to", "/missing/dir/x.sqlite3", "--config", str(config_file))
    assert (status, out) == (2, "")
    assert one_line_error(capsys) == (
        "gridbot: /missing/dir is not an existing folder; the copy cannot be written there"
    )


def test_a_relative_database_path_is_beside_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "srv"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text("[database]\npath = 'gridbot.sqlite3'\n", encoding="utf-8")
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli("init", "--areas", str(DEMO_AREAS), "--config", str(config))[0] == 0
    assert (folder / "gridbot.sqlite3").exists()
    status, out = cli("areas", "--config", str(config))
    assert status == 0
    assert "  光明街道  (street)" in out
    assert cli("backup", "--to", "copy.sqlite3", "--config", str(config))[0] == 0
    assert count(elsewhere / "copy.sqlite3", "SELECT count(*) FROM areas") == 26  # --to: cwd
    assert sorted(p.name for p in elsewhere.iterdir()) == ["copy.sqlite3"]


@pytest.mark.parametrize(
    "command",
    [
        ["areas"],
        ["backup", "--to", "copy.sqlite3"],
        ["outbox"],
        ["invite", "--role", "community_admin", "--area", "滨河社区"],
    ],
)
def test_no_new_empty_database_where_one_was_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:  # fmt: skip
    config = tmp_path / "config.toml"
    config.write_text("[database]\npath = 'data/gridbot.sqlite3'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, out = cli(*command, "--config", str(config))
    assert (status, out) == (2, "")
    err = one_line_error(capsys)
    assert f"there is no database at {tmp_path / 'data' / 'gridbot.sqlite3'}" in err
    assert "'gridbot init --areas FILE' creates it" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_check_config(config_file: Path, tmp_path: Path) -> None:
    status, out = cli("check-config", "--config", str(config_file))
    assert status == 0
    assert out.splitlines() == [
        f"{config_file}: ok",
        f"  database: {tmp_path / 'g.sqlite3'} (not there yet; 'init' creates it)",
        "  warning: telegram.token is empty: 'run' needs it (in the file or in GRIDBOT_TOKEN)",
    ]
    with_token = tmp_path / "token.toml"
    with_token.write_text(
        "[telegram]\ntoken = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef'\n", encoding="utf-8"
    )
    status, out = cli("check-config", "--config", str(with_token))
    assert status == 0
    assert "warning" not in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid]\ncode = 7\n", encoding="utf-8")
    assert cli("check-config", "--config", str(bad))[0] == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[digest]\ntime = '8am'\n", "digest.time: must be a time of day like 08:00"),
        ("[grid]\ncode = 'yh'\n", "grid.code: must be 1 to 6 capital letters, like YH, not 'yh'"),
        ("[telegram]\nusername = '@bot'\n", "telegram.username: must be a bot username"),
    ],
)
def test_config_errors_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    assert cli("check-config", "--config", str(bad))[0] == 2
    err = one_line_error(capsys)
    assert err.startswith(f"gridbot: config: {line}"), err
    assert "^" not in err and "\\d" not in err  # no regular expression


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["invite", "--role", "mayor", "--area", "x"])
    assert exited.value.code == 2
    err = one_line_error(capsys)
    assert err.startswith("gridbot invite: argument --role: invalid choice: 'mayor'")
    assert err.endswith("(see gridbot invite --help)")


def test_newer_database_is_refused_with_one_line(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))
    db = sqlite3.connect(tmp_path / "g.sqlite3")
    db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    db.commit()
    db.close()
    assert cli("areas", "--config", str(config_file))[0] == 2
    err = capsys.readouterr().err.strip()
    assert "newer than this gridbot" in err
    assert len(err.splitlines()) == 1


def test_a_database_path_below_a_file_and_a_missing_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plain").write_text("not a folder", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text("[database]\npath = 'plain/g.sqlite3'\n", encoding="utf-8")
    assert cli("init", "--areas", str(DEMO_AREAS), "--config", str(config))[0] == 2
    assert one_line_error(capsys) == (
        f"gridbot: database.path {tmp_path / 'plain' / 'g.sqlite3'}: "
        f"{tmp_path / 'plain'} is a file, not a folder"
    )
    assert cli("demo", "--script", str(tmp_path / "none.txt"))[0] == 2
    assert one_line_error(capsys) == f"gridbot: {tmp_path / 'none.txt'}: No such file or directory"


def test_areas_of_a_database_without_a_tree_says_so(config_file: Path, tmp_path: Path) -> None:
    (tmp_path / "g.sqlite3").touch()  # an empty SQLite file, as a first `run` leaves it
    status, out = cli("areas", "--config", str(config_file))
    assert (status, out) == (0, "no areas yet: 'gridbot init --areas FILE' creates the tree\n")


def test_a_locked_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[database]\npath = 'g.sqlite3'\nbusy_timeout_ms = 0\n", encoding="utf-8")
    cli("init", "--areas", str(DEMO_AREAS), "--config", str(config))
    capsys.readouterr()
    with closing(sqlite3.connect(tmp_path / "g.sqlite3", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        status, _ = cli("outbox", "--retry", "all", "--config", str(config))
        other.execute("ROLLBACK")
    assert status == 2
    assert one_line_error(capsys) == "gridbot: database: database is locked"
