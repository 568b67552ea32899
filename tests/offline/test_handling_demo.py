"""The handling demo: report, accept, assign, resolve, confirm, rate; an urgent case escalates."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.demo import play


def test_handling_script(tmp_path: Path) -> None:
    out = play("handling.txt", tmp_path)
    assert "📨 to 李敏: 🆕 案件" in out
    assert "✅ 您上报的" in out and "已被受理" in out
    assert "问题解决了吗？" in out
    assert "感谢您的评价：满意。" in out
    assert "超过时限未处理，已由 运河区/光明街道 督办" in out
    assert "📨 to 王强: 🆕 案件" in out
    assert "+86138****0001" in out  # the street office sees the phone masked
    assert "共 1 件" in out
