"""The evaluation benchmark still runs (tiny sizes; figures are printed, never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import evaluation, scale


async def test_evaluation_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_BENCH_CACHE", str(tmp_path))
    tiny = scale.Size(
        cases=3_000, members=300, streets=2, communities_per_street=2, buildings_per_community=5
    )
    figures = {f.name: f for f in await evaluation.measure(size=tiny, roster_rows=20, repeat=1)}
    assert "evaluation: /stats SQL, district, year" in figures
    assert "evaluation: export, peak memory of the process" in figures
    assert "evaluation: import a 20-row roster with its PDF" in figures
    assert "evaluation: preparing its database copy" in figures
