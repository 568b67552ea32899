"""The notices demo script: the town sends the demolition notice, a leader relays it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.demo import play


def test_notice_script(tmp_path: Path) -> None:
    out = play("notice.txt", tmp_path)
    assert "将发送给 6 人" in out
    assert "📨 to 刘长河: 📣 姚庄子市场拆迁通知" in out
    assert "▓▓▓▓▓▓▓▓ 100% · 6 / 6" in out
    assert "✅ 已传达，约 20 户" in out
    coverage = out.split("赵建国> [刘舒庄村]")[1]
    assert "• 第一村民小组：送达 2/2 · 已读 1 · 已传达 1 · 约 20 户" in coverage
    assert "还没确认（5 人）：刘桂芝（第一村民小组）、张德明（第二村民小组）" in coverage
    assert "[file notice-1.csv]" in out
