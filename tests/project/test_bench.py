"""The benchmarks still run (a smoke test on tiny sizes; figures are not asserted).

Benchmarks are run by hand (``python -m bench``); this keeps them from rotting as the
bot changes under them: each part runs end to end and returns its figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import delivery, dispatch, durability, flood, notices, scale
from bench.report import Figure, table


def names(figures: list[Figure]) -> set[str]:
    return {figure.name for figure in figures}


async def test_dispatch_and_durability_run() -> None:
    figures = await dispatch.measure(leaders=2, rounds=1, repeat=1)
    figures += await durability.measure(reports=5)
    assert {
        "dispatch: gridbot / echo",
        "dispatch: gridbot / floor (c)",
        "dispatch: database hops per update",
        "dispatch: Bot API calls in the member's chat per tap",
        "durability: confirm / insert",
        "durability: WAL pages written per confirm",
    } <= names(figures)
    assert "| dispatch: gridbot / echo" in table(figures)


async def test_delivery_runs_and_loses_nothing() -> None:
    figures = {f.name: f for f in await delivery.measure(messages=40, recipients=10, scale=50)}
    # Not timing: these two are correctness, whatever the machine.
    assert figures["delivery: lost"].value == 0
    assert figures["delivery: duplicates"].value == 0
    # The limiter counts a message once its request is done, after the stand-in counted it.
    assert figures["delivery: 429 answers received"].value == 0


async def test_scale_generates_and_measures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDBOT_BENCH_CACHE", str(tmp_path))
    tiny = scale.Size(
        cases=3_000, members=300, streets=2, communities_per_street=2, buildings_per_community=5
    )
    figures = await scale.measure(size=tiny)
    assert {
        "scale: /cases page, street admin",
        "scale: last /cases page, district admin",
        "scale: the whole digest sweep",
        "scale: longest one statement held the writer",
        "scale: RSS of python -m bot run",
    } <= names(figures)
    assert "scale: generating the database" in names(figures)
    again = await scale.measure(size=tiny)  # the cached file is used
    assert "scale: generating the database" not in names(again)


async def test_flood_runs() -> None:
    figures = names(await flood.measure(messages=20))
    assert "flood: a member's /help behind a stranger's 20 messages" in figures


async def test_notices_broadcast_runs_and_loses_nothing() -> None:
    figures = {f.name: f for f in await notices.broadcast(recipients=60, scale=20)}
    assert figures["notices: lost"].value == 0
    assert figures["notices: duplicates"].value == 0
    assert "notices: coverage page of the notice" in figures
