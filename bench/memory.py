"""Resident memory per stored job, measured in a fresh process: ``python -m bench.memory COUNT``.

A fresh interpreter has nothing else on its heap, so the growth of its resident set while it
stores ``COUNT`` jobs (half active, half ended; every body decoded as from a request) is what
the jobs cost, allocator overhead included. The parent reads one JSON line.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import workload
from bench.stats import Row

ROOT = Path(__file__).resolve().parent.parent
LIMIT_BYTES = 4096
WARM_UP_JOBS = 200


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bytes_per_job(count: int) -> float:
    """In this process: resident growth per job stored, after a warm-up that allocates the rest."""
    service = workload.service()
    workload.fill(service, WARM_UP_JOBS, received=True)
    gc.collect()
    before = resident_bytes()
    workload.fill(service, count, received=True)
    gc.collect()
    return (resident_bytes() - before) / count


def measured(count: int, repeats: int) -> list[float]:
    """Bytes per job from ``repeats`` fresh processes, run side by side: each has its own heap."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.memory", str(count)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(repeats)
    ]
    results = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise RuntimeError(f"bench.memory {count} failed with exit code {child.returncode}")
        results.append(float(json.loads(out)["bytes_per_job"]))
    return results


def measure(count: int, repeats: int) -> list[Row]:
    value = statistics.median(measured(count, repeats))
    return [
        Row(
            "memory",
            f"resident memory per stored job at {count:,} jobs",
            value,
            "bytes",
            target=f"<= {LIMIT_BYTES / 1024:.0f} KB",
            met=value <= LIMIT_BYTES,
        )
    ]


if __name__ == "__main__":
    print(json.dumps({"bytes_per_job": bytes_per_job(int(sys.argv[1]))}))
