"""Figures and how they are printed: the machine, each figure, its target, met or not."""

from __future__ import annotations

import asyncio
import os
import platform
import selectors
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a benchmark on an event loop whose timers are precise to the microsecond.

    The default loop waits with epoll, whose timeout is whole milliseconds, rounded up:
    a rate limiter spacing messages a few milliseconds apart on scaled time would lose
    up to a millisecond per message to that rounding. select() takes a float timeout.
    """
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


@dataclass(frozen=True)
class Figure:
    """One measured number with its target."""

    name: str
    value: float
    unit: str
    target: str
    met: bool | None  # None: informative, no target
    note: str = ""


def machine() -> str:
    """The CPU, core count, Python and SQLite versions of this run."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}"
        f" ({sys.implementation.name}); SQLite {sqlite3.sqlite_version}; {platform.system()}"
    )


def fmt(value: float) -> str:
    """A number with sensible precision."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: list[Figure]) -> str:
    """A Markdown table of figures (it reads well in a terminal and in the README)."""
    rows = ["| figure | value | target | met |", "| --- | ---: | --- | --- |"]
    for figure in figures:
        met = "—" if figure.met is None else ("yes" if figure.met else "**no**")
        note = f" ({figure.note})" if figure.note else ""
        rows.append(
            f"| {figure.name}{note} | {fmt(figure.value)} {figure.unit} | {figure.target} | {met} |"
        )
    return "\n".join(rows)


def print_report(title: str, figures: list[Figure], out: Callable[[str], None] = print) -> None:
    """Print the machine line and the table."""
    out(f"## {title}\n")
    out(f"machine: {machine()}\n")
    out(table(figures))
    out("")
