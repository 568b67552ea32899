"""The evaluation demo: the street admin's /stats for 本月 with a chart, and the Excel export."""

from __future__ import annotations

import re
from pathlib import Path

from tests.offline.test_demo import play


def test_stats_script(tmp_path: Path) -> None:
    out = play("stats.txt", tmp_path)
    assert "请选择统计时段" in out
    assert "📊 <b>运河区/光明街道</b> 统计" in out or "运河区/光明街道 统计" in out
    assert "上报 2 件，受理 1 件，不予受理 0 件，办结 1 件" in out
    assert "🔴 红榜" in out and "滨河社区" in out
    assert "[photo] 📈 光明街道" in out
    assert re.search(r"\[file 光明街道_\d{4}-\d\d-01_\d{4}-\d\d-\d\d\.xlsx\] 📥 光明街道", out)
