"""python -m bot vacuum: compacts the file, says how much it freed; one line and 2 on error."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import DEMO_AREAS
from tests.helpers.cli import cli, one_line_error


def test_vacuum_frees_what_was_deleted_and_switches_to_incremental(
    config_file: Path, tmp_path: Path
) -> None:
    db_file = tmp_path / "g.sqlite3"
    # A database made before incremental auto-vacuum: its mode stays until a VACUUM.
    with closing(sqlite3.connect(db_file)) as old:
        old.execute("PRAGMA auto_vacuum = NONE")
        old.execute("CREATE TABLE filler (x)")
    assert cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))[0] == 0
    with closing(sqlite3.connect(db_file)) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
        conn.executemany("INSERT INTO filler VALUES (?)", [("长" * 4000,) for _ in range(500)])
        conn.commit()
        conn.execute("DELETE FROM filler")
        conn.commit()
    status, out = cli("vacuum", "--config", str(config_file))
    assert status == 0
    assert len(out.strip().splitlines()) == 1
    found = re.fullmatch(
        r"vacuumed .*g\.sqlite3: ([\d.,]+) MB -> ([\d.,]+) MB, ([\d.,]+) MB freed", out.strip()
    )
    assert found, out
    assert float(found[3]) >= 5.0
    with closing(sqlite3.connect(db_file)) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM areas").fetchone()[0] == 26


def test_vacuum_of_no_database_or_a_locked_one(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("vacuum", "--config", str(config_file))[0] == 2
    assert "there is no database" in one_line_error(capsys)
    assert cli("init", "--areas", str(DEMO_AREAS), "--config", str(config_file))[0] == 0
    config_file.write_text(
        config_file.read_text(encoding="utf-8").replace(
            "[database]\n", "[database]\nbusy_timeout_ms = 50\n"
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    with closing(sqlite3.connect(tmp_path / "g.sqlite3", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process writing
        status, _out = cli("vacuum", "--config", str(config_file))
        other.execute("ROLLBACK")
    assert status == 2
    assert "vacuum failed, nothing was changed" in one_line_error(capsys)
