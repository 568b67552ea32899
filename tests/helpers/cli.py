"""Running the operator commands in-process, as the CLI tests do."""

from __future__ import annotations

import io

import pytest

from bot.cli import main


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(args), out=out)
    return status, out.getvalue()


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The error the last command printed, checked to be a single line without a traceback."""
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err
