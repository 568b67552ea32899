"""``python -m bench``: every benchmark, one table of figures against their targets.

Each part is also runnable on its own (``python -m bench.dispatch`` and so on).
``--quick`` runs every part smaller (a smoke run, figures rougher); ``--only`` picks
parts. A part that fails is reported as such and the others still run.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bench import delivery, dispatch, durability, evaluation, flood, notices, scale
from bench.report import Figure, machine, run, table


@dataclass(frozen=True)
class Part:
    """One benchmark: how to run it in full and quick."""

    name: str
    full: Callable[[], Coroutine[Any, Any, list[Figure]]]
    quick: Callable[[], Coroutine[Any, Any, list[Figure]]]


PARTS: tuple[Part, ...] = (
    Part(
        "dispatch",
        lambda: dispatch.measure(),
        lambda: dispatch.measure(leaders=10, rounds=1, repeat=1),
    ),
    Part("durability", lambda: durability.measure(), lambda: durability.measure(reports=60)),
    Part(
        "delivery",
        lambda: delivery.measure(),
        lambda: delivery.measure(messages=600, recipients=200, scale=5.0),
    ),
    Part("scale", lambda: scale.measure(), lambda: scale.measure(quick=True)),
    Part("flood", lambda: flood.measure(), lambda: flood.measure(messages=50)),
    Part(
        "notices",
        lambda: notices.measure(),
        lambda: notices.measure(recipients=600, killed_recipients=100),
    ),
    Part("evaluation", lambda: evaluation.measure(), lambda: evaluation.measure(quick=True)),
)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts and print one table; exit 1 if a part crashed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, rougher figures")
    parser.add_argument(
        "--only", action="append", choices=[p.name for p in PARTS], help="run only this part"
    )
    args = parser.parse_args(argv)
    chosen = [p for p in PARTS if not args.only or p.name in args.only]
    figures: list[Figure] = []
    crashed = False
    began = time.monotonic()
    for part in chosen:
        print(f"running {part.name}...", flush=True)
        part_began = time.monotonic()
        try:
            figures += run(part.quick() if args.quick else part.full())
        except Exception:
            crashed = True
            traceback.print_exc()
            figures.append(Figure(f"{part.name}: crashed", 0, "", "runs", False))
        print(f"  {part.name} took {time.monotonic() - part_began:.1f} s", flush=True)
    print()
    print("## gridbot benchmarks" + (" (quick)" if args.quick else ""))
    print()
    print(f"machine: {machine()}")
    print()
    print(table(figures))
    missed = [f.name for f in figures if f.met is False]
    print()
    print(f"{len(figures)} figures, {len(missed)} targets missed; {time.monotonic() - began:.0f} s")
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
