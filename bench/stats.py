"""Repeated measurements, medians, and comparisons measured pair by pair.

A machine's noise drifts over seconds (other processes, frequency scaling, the allocator's state),
so a comparison is only honest when both sides run next to each other: each repeat times the
subject and its baseline back to back, in alternating order, and the ratio reported is the median
of the per-repeat ratios, not the ratio of two medians taken minutes apart.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One line of the results table and of the JSON file.

    ``value`` is the subject's median, ``baseline`` the median of what it is compared with (None
    when the row stands alone), ``ratio`` the median of subject/baseline over the paired repeats.
    ``met`` is None where the row has no target.
    """

    section: str
    measure: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Paired:
    subject: float
    baseline: float
    ratio: float

    def row(self, section: str, measure: str, unit: str, baseline_name: str, target: str, met: bool) -> Row:
        return Row(section, measure, self.subject, unit, baseline_name, self.baseline, self.ratio, target, met)


def cpu(action: Callable[[], object]) -> float:
    """CPU seconds this thread spends in one call of ``action``.

    In-process figures are CPU time, not wall time: other processes on a shared machine then
    do not inflate them, and a benchmark running single-threaded loses nothing it should count.
    """
    started = time.thread_time()
    action()
    return time.thread_time() - started


def median_of(measure: Callable[[], float], repeats: int) -> float:
    return statistics.median(measure() for _ in range(repeats))


def paired(subject: Callable[[], float], baseline: Callable[[], float], repeats: int, warm: bool = True) -> Paired:
    """Medians of two measures taken side by side, and the median of their per-repeat ratios.

    ``warm`` runs each once first, untimed: first-time costs (imports, caches, the allocator's
    growth, the page cache) are not what a repeated measure should report.
    """
    if warm:
        subject()
        baseline()
    mine: list[float] = []
    theirs: list[float] = []
    for repeat in range(repeats):
        if repeat % 2:
            theirs.append(baseline())
            mine.append(subject())
        else:
            mine.append(subject())
            theirs.append(baseline())
    ratios = [a / b for a, b in zip(mine, theirs, strict=True) if b]
    return Paired(statistics.median(mine), statistics.median(theirs), statistics.median(ratios) if ratios else 0.0)


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s" and value < 0.01:
        return f"{value * 1e6:.1f} µs"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "req/s":
        return f"{value:.0f} req/s"
    if unit == "bytes":
        return f"{value / 1024:.2f} KB"
    if unit == "instructions":
        return f"{value / 1000:,.0f}k instr."
    return f"{value:.3g} {unit}"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table: readable in a terminal and pasteable into the README."""
    header = ["section", "measure", "value", "compared with", "its value", "ratio", "target", "met"]
    lines = [header]
    for row in rows:
        lines.append(
            [
                row.section,
                row.measure,
                format_value(row.value, row.unit),
                row.baseline_name,
                format_value(row.baseline, row.unit),
                "" if row.ratio is None else f"{row.ratio:.2f}x",
                row.target,
                {True: "yes", False: "NO", None: ""}[row.met],
            ]
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    rendered = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |" for line in lines
    ]
    rendered.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(rendered)
