"""Per-test setup: entering and leaving a fresh in-process mock, ``mock_vertex()`` vs moto's ``mock_aws()``.

Every test on the ``vertex_emulator`` fixture (or decorated with ``@mock_vertex()``) pays this once
before its body runs, as every ``@mock_aws`` test pays moto's; a suite of hundreds of tests pays it
hundreds of times. Measured as CPU time per mock, over a batch of mocks, after one untimed mock of
each (the process's first mock also compiles the URL rules, once: that is not per-test cost).
"""

from __future__ import annotations

from collections.abc import Callable

from bench import moto_peer
from bench.stats import Row, cpu, median_of, paired

RATIO = 0.5
LIMIT_SECONDS = 0.003
"""Without moto to compare with: half of what moto 5.2 costs on this machine."""
SECTION = "per-test setup (in-process)"
MEASURE = "enter and leave a fresh mock_vertex()"


def enter_and_leave() -> None:
    from vertex_emulator.client.inprocess import mock_vertex

    with mock_vertex():
        pass


def per_mock(action: Callable[[], None], mocks: int) -> Callable[[], float]:
    """A measure: CPU seconds per call of ``action``, over ``mocks`` calls."""

    def batch() -> None:
        for _ in range(mocks):
            action()

    return lambda: cpu(batch) / mocks


def measure(mocks: int, repeats: int, moto: bool, warm: bool = True) -> list[Row]:
    if not moto:
        if warm:
            enter_and_leave()
        alone = median_of(per_mock(enter_and_leave, mocks), repeats)
        return [Row(SECTION, MEASURE, alone, "s", target=f"<= {LIMIT_SECONDS * 1e3:g} ms", met=alone <= LIMIT_SECONDS)]
    result = paired(per_mock(enter_and_leave, mocks), per_mock(moto_peer.enter_and_leave, mocks), repeats, warm)
    return [
        result.row(
            SECTION, MEASURE, "s", "enter and leave a fresh mock_aws()", f"<= {RATIO}x moto", result.ratio <= RATIO
        )
    ]
