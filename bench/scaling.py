"""Scaling with state: admitting a job, getting one, listing a page, at growing numbers of jobs.

State is filled through :class:`Service` directly (no HTTP, no proto parsing: those cost the same
at any size), half the jobs active and holding replicas, half ended (``workload.fill``). Each operation at each size
is paired with the same operation at the smallest size, so the ratio says how the cost grows;
admission and get must not grow with the number of jobs, and an unfiltered page must cost the
page, not the list. Calls are timed against the service as the HTTP views call it, with the
rendering of what they return (what every read costs before JSON encoding).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench import workload
from bench.stats import Row, cpu, paired
from vertex_emulator.service import Service

PAGE_SIZE = "100"


@dataclass(frozen=True)
class Operation:
    name: str
    limit: float
    run: Callable[[Service, list[str], int, int], float]
    """(service, stored job names, pools, calls) -> CPU seconds per call."""
    scale: float = 1.0
    """Calls per timing, as a multiple of the plan's: each timing should last tens of milliseconds,
    whether one call costs 20 µs (a get) or 2 ms (a page)."""


def _admit(service: Service, names: list[str], pools: int, calls: int) -> float:
    """Admission on the last pool: the worst case of the search over the resource's pools."""
    bodies = [workload.job_body(pools - 1) for _ in range(calls)]

    def run() -> None:
        for body in bodies:
            service.create_job(workload.PARENT, body, "v1")

    return cpu(run) / calls


def _get(service: Service, names: list[str], pools: int, calls: int) -> float:
    chosen = random.Random(calls).choices(names, k=calls)

    def run() -> None:
        for name in chosen:
            service.get_job(name).render()

    return cpu(run) / calls


def _page(service: Service, names: list[str], pools: int, calls: int) -> float:
    def run() -> None:
        for _ in range(calls):
            found, _token = service.list_jobs(workload.PARENT, None, PAGE_SIZE, None)
            for job in found:
                job.render()

    return cpu(run) / calls


OPERATIONS = (
    Operation("admit a job (create)", 1.2, _admit),
    Operation("get a job (and render it)", 1.2, _get, scale=5),
    Operation(f"list a page of {PAGE_SIZE} (and render it)", 1.5, _page, scale=0.1),
)


State = tuple[Service, list[str]]


def _timer(operation: Operation, state: State, pools: int, calls: int) -> Callable[[], float]:
    service, names = state
    return lambda: operation.run(service, names, pools, max(1, round(calls * operation.scale)))


def _filled(size: int, pools: int) -> State:
    service = workload.service(pools)
    return service, workload.fill(service, size, pools)


def measure(
    sizes: tuple[int, ...], pool_counts: tuple[int, ...], calls: int, repeats: int, warm: bool = True
) -> list[Row]:
    rows = []
    smallest = sizes[0]
    for pools in pool_counts:
        states = {size: _filled(size, pools) for size in sizes}
        for operation in OPERATIONS:
            for size in sizes[1:]:
                result = paired(
                    _timer(operation, states[size], pools, calls),
                    _timer(operation, states[smallest], pools, calls),
                    repeats,
                    warm,
                )
                rows.append(
                    result.row(
                        f"scaling, {pools} pool{'s' if pools > 1 else ''}",
                        f"{operation.name} at {size:,} jobs",
                        "s",
                        f"at {smallest:,} jobs",
                        f"<= {operation.limit}x",
                        result.ratio <= operation.limit,
                    )
                )
    return rows
