"""The demo: it runs offline from a script and shows what a person would see."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.config import load_config
from bot.demo.runner import run_demo

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "bot" / "demo" / "scripts"


def play(script: str, tmp_path: Path) -> str:
    out = io.StringIO()
    status = run_demo(
        load_config(None, environ={}),
        db_path=str(tmp_path / "demo.sqlite3"),
        script=str(SCRIPTS / script),
        out=out,
    )
    assert status == 0
    return out.getvalue()


def test_join_script(tmp_path: Path) -> None:
    out = play("join.txt", tmp_path)
    assert "欢迎！您受邀以 楼门长助理 身份加入" in out
    assert "[1] 刘芳" in out  # the name button, numbered
    assert "🎉 加入成功！" in out
    assert "Switched to English." in out
    assert "You are a building leader's assistant" in out
    assert "✅ Invite ready" not in out  # the admin still speaks Chinese
    assert "✅ 邀请已生成" in out


def test_demo_runs_as_a_command_with_no_token_and_no_network(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--script", str(SCRIPTS / "join.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "http_proxy": "http://127.0.0.1:9"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "🎉 加入成功！" in result.stdout
    assert "Traceback" not in result.stderr


def test_every_demo_script_runs(tmp_path: Path) -> None:
    for script in sorted(SCRIPTS.glob("*.txt")):
        out = play(script.name, tmp_path / script.stem)
        assert "Traceback" not in out
        assert "(unknown:" not in out, script.name
        assert "(there is no button" not in out, script.name


def test_report_script(tmp_path: Path) -> None:
    out = play("report.txt", tmp_path)
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (5,)
        assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'case.new'").fetchone() == (5,)
    assert out.count("✅ 已提交，编号 YH-") == 5
    assert out.count("📨 to 李敏: 🆕 案件 YH-") == 5
    assert "📋 我的上报（共 5 件，第 1/1 页）" in out
    assert "✅ 已记录政策宣讲：反诈宣传，约 30 户" in out
    assert "📍 位置已附到" in out
    assert "未完成的上报（环境卫生）超过 30 分钟没有继续" in out
