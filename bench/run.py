"""``python -m bench.run [--quick]``: every benchmark, a table on stdout, the same figures as JSON.

``make bench`` runs the full plan (installs the ``bench`` extra for moto first), ``make
bench-quick`` the quick one; ``tests/test_bench.py`` runs the same code paths on the tiny plan.
Without moto installed, the comparisons with moto are left out and the JSON says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import coldstart, instructions, job_kinds, memory, mock_setup, scaling, sdk_calls, throughput
from bench.stats import Row, table

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass(frozen=True)
class Plan:
    """How much of each benchmark to run: sizes, calls per timing, repeats per median."""

    coldstart_repeats: int
    sdk_calls: int
    sdk_repeats: int
    clients: int
    http_calls: int
    http_repeats: int
    sizes: tuple[int, ...]
    pools: tuple[int, ...]
    scaling_calls: int
    scaling_repeats: int
    memory_jobs: int
    memory_repeats: int
    mocks: int = 100
    """Mocks entered and left per timing of the per-test setup."""
    warm: bool = True
    """An untimed round of each side before the repeats (off only for the test's smoke run)."""
    instruction_pairs: tuple[int, int] = (0, 0)
    """The pairs of the two counted runs of each side (``bench.instructions``); (0, 0): not counted."""


PLANS = {
    "full": Plan(
        5, 100, 7, 8, 100, 7, (100, 10_000, 100_000), (1, 10, 100), 200, 5, 100_000, 3, instruction_pairs=(100, 200)
    ),
    "quick": Plan(3, 40, 3, 4, 20, 3, (100, 10_000), (1, 10), 100, 3, 10_000, 1),
    "tiny": Plan(1, 2, 1, 2, 2, 1, (10, 20), (1, 2), 2, 1, 50, 1, mocks=2, warm=False),
}

SECTIONS: dict[str, Callable[[Plan, bool], list[Row]]] = {
    "coldstart": lambda plan, moto: coldstart.measure(plan.coldstart_repeats, moto, plan.warm),
    "setup": lambda plan, moto: mock_setup.measure(plan.mocks, plan.sdk_repeats, moto, plan.warm),
    "sdk": lambda plan, moto: sdk_calls.measure(plan.sdk_calls, plan.sdk_repeats, moto, plan.warm),
    "kinds": lambda plan, moto: job_kinds.measure(plan.sdk_calls, plan.sdk_repeats, plan.warm),
    "instructions": lambda plan, moto: instructions.measure(*plan.instruction_pairs),
    "http": lambda plan, moto: throughput.measure(plan.clients, plan.http_calls, plan.http_repeats, moto, plan.warm),
    "scaling": lambda plan, moto: scaling.measure(
        plan.sizes, plan.pools, plan.scaling_calls, plan.scaling_repeats, plan.warm
    ),
    "memory": lambda plan, moto: memory.measure(plan.memory_jobs, plan.memory_repeats),
}


def moto_installed() -> bool:
    return importlib.util.find_spec("moto") is not None


def run(plan_name: str, sections: Sequence[str], moto: bool) -> dict[str, Any]:
    """Every section of ``sections`` on the named plan; the results as the JSON file holds them."""
    plan = PLANS[plan_name]
    began_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    rows: list[Row] = []
    for name in sections:
        began = time.perf_counter()
        rows += SECTIONS[name](plan, moto)
        print(f"bench: {name} done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return {
        "started": began_at,
        "seconds": round(time.perf_counter() - started, 1),
        "plan": plan_name,
        "sizes": asdict(plan),
        "moto": moto,
        "machine": {
            "python": platform.python_version(),
            "system": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "rows": [row.to_dict() for row in rows],
    }


def report(results: dict[str, Any]) -> str:
    """A run as Markdown: how and where it ran, the table, and the targets missed."""
    machine = results["machine"]
    load = ", ".join(f"{value:.1f}" for value in machine["load_average_at_end"])
    rows = [Row(**row) for row in results["rows"]]
    missed = sum(row.met is False for row in rows)
    return (
        f"Plan `{results['plan']}`, {results['started']}, {results['seconds']} s; Python {machine['python']} on "
        f"{machine['system']}, {machine['cpus']} CPUs, load average at the end {load}; moto "
        f"{'compared' if results['moto'] else 'not installed'}.\n\n{table(rows)}\n\n"
        f"{len(rows)} figures, {missed} targets missed.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_const", const="quick", dest="plan", default="full")
    parser.add_argument("--plan", choices=sorted(PLANS), help="a named plan (tiny is what the test runs)")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS), metavar="SECTION")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"where the figures go (default {RESULTS})")
    parser.add_argument("--report", type=Path, metavar="JSON", help="print the report of a saved run, run nothing")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(args.report.read_text(encoding="utf-8"))), end="")
        return 0
    moto = moto_installed()
    if not moto:
        print(
            "bench: moto is not installed (pip install -e '.[bench]'); comparisons with it are left out",
            file=sys.stderr,
        )
    results = run(args.plan, args.only, moto)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report(results), end="")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
