"""The in-process pair counted in instructions: ``python -m bench.instructions SUBJECT PAIRS``.

CPU time on a shared 2-core machine moves by a fifth from one run to the next, more than the
margin of the per-call target, so the same pair as ``sdk_calls`` (a GAPIC create + get, routed in
process) is also counted in instructions, which do not depend on the machine's moment: each
subject runs under valgrind's cachegrind twice, with ``small`` and ``large`` pairs, and the
difference divided by the extra pairs is what one pair costs, start-up and first use cancelled.

What keeps the count repeatable (to about 1%): a fixed hash seed, and the cyclic garbage collector
off during the pairs (whether a full collection falls inside a run depends on where the run
starts, and one of them costs as much as ten pairs). Instructions are not time: the emulator's
code retires fewer of them per cycle than the SDK's and Flask's, so its CPU ratio to the floor runs
a few hundredths above this one (the README quotes both).

Run as a module, it is the measured child: ``SUBJECT`` (``emulator`` or ``floor``) answers
``PAIRS`` pairs, and nothing is printed.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import floor, sdk_calls, workload
from bench.stats import Row
from vertex_emulator.http.app import make_app

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = ("emulator", "floor")
MEASURE = f"{sdk_calls.PAIR}, instructions (cachegrind)"
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def valgrind() -> str | None:
    return shutil.which("valgrind")


def count(command: Sequence[str]) -> int:
    """Instructions ``command`` executes under cachegrind (user space, every thread)."""
    tool = valgrind()
    if tool is None:
        raise RuntimeError("valgrind is not installed")
    done = subprocess.run(
        [tool, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0", "NO_GCE_CHECK": "True"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{command!r} under cachegrind failed ({done.returncode}): {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def per_pair(subject: str, small: int, large: int) -> float:
    """Instructions one create + get pair costs ``subject``: two counted runs, two processes at once."""
    commands = [[sys.executable, "-m", "bench.instructions", subject, str(pairs)] for pairs in (small, large)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        fewer, more = pool.map(count, commands)
    return (more - fewer) / (large - small)


def measure(small: int, large: int) -> list[Row]:
    """The pair's instructions, emulator against the floor; no row without valgrind or pairs to count."""
    if not large or valgrind() is None:
        if large:
            print("bench: valgrind is not installed; the instruction counts are left out", file=sys.stderr)
        return []
    mine, theirs = (per_pair(subject, small, large) for subject in SUBJECTS)
    ratio = mine / theirs
    target = sdk_calls.FLOOR_RATIO
    return [
        Row(
            sdk_calls.SECTION,
            MEASURE,
            mine,
            "instructions",
            f"do-nothing Flask app, same bodies ({small} and {large} pairs)",
            theirs,
            ratio,
            f"<= {target}x floor",
            ratio <= target,
        )
    ]


def answer(subject: str, pairs: int) -> None:
    """The measured child: ``pairs`` pairs against a fresh ``subject``, the collector off."""
    app = make_app(workload.service()) if subject == "emulator" else floor.app(floor.canned(workload.job_body()))
    gc.disable()
    sdk_calls.pairs_against(app, pairs)


if __name__ == "__main__":
    answer(sys.argv[1], int(sys.argv[2]))
