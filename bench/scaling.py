"""Scaling with state: admitting a job, getting one, listing a page, at growing numbers of jobs.

State is filled through :class:`Service` directly (no HTTP, no proto parsing: those cost the same
at any size), half the jobs active and holding replicas, half ended (``workload.fill``). Each operation at each size
is paired with the same operation at the smallest size, so the ratio says how the cost grows;
admission and get must not grow with the number of jobs, and an unfiltered page must cost the
page, not the list. Calls are timed against the service as the HTTP views call it, with the
rendering of what they return (what every read costs before JSON encoding).

A get reads one record picked at random among all stored: warm in the cache at 10^2 jobs, cold in
DRAM at 10^5 (hundreds of MB), whatever the code does. Its baseline therefore adds what the memory
hierarchy costs the least a get must do: the same stored jobs, looked up in a plain dict and their
fields read and copied (``_plain_get``), measured in the same repeat; that plain read's own growth
is reported beside, without a target. It reads the emulator's own objects, where they lie in
memory: a copy made for it would lie closer together than records built call by call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench import workload
from bench.stats import Row, cpu, paired
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.service import Service

PAGE_SIZE = "100"


@dataclass(frozen=True)
class State:
    service: Service
    names: list[str]
    stored: dict[str, CustomJob]
    """Every stored job by name, in a plain dict: what a get's memory floor reads."""


Run = Callable[[State, int, int], float]
"""(state, pools, calls) -> CPU seconds per call."""


@dataclass(frozen=True)
class Operation:
    name: str
    limit: float
    run: Run
    scale: float = 1.0
    """Calls per timing, as a multiple of the plan's: each timing should last tens of milliseconds,
    whether one call costs 20 µs (a get) or 2 ms (a page)."""
    floor: Run | None = None
    """The least the same operation must do (``_plain_get``), whose growth with the state the baseline adds."""


def _admit(state: State, pools: int, calls: int) -> float:
    """Admission on the last pool: the worst case of the search over the resource's pools."""
    bodies = [workload.job_body(pools - 1) for _ in range(calls)]

    def run() -> None:
        for body in bodies:
            state.service.create_job(workload.PARENT, body, "v1")

    return cpu(run) / calls


def _chosen(state: State, calls: int) -> list[str]:
    return random.Random(calls).choices(state.names, k=calls)


def _get(state: State, pools: int, calls: int) -> float:
    chosen = _chosen(state, calls)
    get_job = state.service.get_job

    def run() -> None:
        for name in chosen:
            get_job(name).render()

    return cpu(run) / calls


def _plain_get(state: State, pools: int, calls: int) -> float:
    """The least a get must do: find the job in a dict and copy what it shows (its spec, name,
    state and times; no caller may be handed the stored dict), the same names in the same order
    as ``_get``, without the service's locking, formatting or checks."""
    chosen = _chosen(state, calls)
    stored = state.stored

    def run() -> object:
        shown = None
        for name in chosen:
            job = stored[name]
            shown = {
                "name": job.name,
                **job.spec,
                "state": job.state,
                "times": (job.create_time, job.update_time, job.start_time),
            }
        return shown

    return cpu(run) / calls


def _page(state: State, pools: int, calls: int) -> float:
    service = state.service

    def run() -> None:
        for _ in range(calls):
            found, _token = service.list_jobs(workload.PARENT, None, PAGE_SIZE, None)
            for job in found:
                job.render()

    return cpu(run) / calls


OPERATIONS = (
    Operation("admit a job (create)", 1.2, _admit),
    Operation("get a job (and render it)", 1.2, _get, scale=5, floor=_plain_get),
    Operation(f"list a page of {PAGE_SIZE} (and render it)", 1.5, _page, scale=0.1),
)


def _timer(run: Run, state: State, pools: int, calls: int, scale: float) -> Callable[[], float]:
    return lambda: run(state, pools, max(1, round(calls * scale)))


def _filled(size: int, pools: int) -> State:
    service = workload.service(pools)
    names = workload.fill(service, size, pools)
    return State(service, names, {name: service.get_job(name) for name in names})


def _with_floor(
    operation: Operation, large: State, small: State, pools: int, calls: int
) -> tuple[Callable[[], float], str]:
    """The baseline of ``operation`` at ``large`` and its name: the cost at ``small``, plus what
    the plain read grows by between the two, when it has a floor."""
    at_small = _timer(operation.run, small, pools, calls, operation.scale)
    if operation.floor is None:
        return at_small, ""
    plain_large = _timer(operation.floor, large, pools, calls, operation.scale)
    plain_small = _timer(operation.floor, small, pools, calls, operation.scale)
    return lambda: at_small() + plain_large() - plain_small(), ", plus a plain read's growth"


def measure(
    sizes: tuple[int, ...], pool_counts: tuple[int, ...], calls: int, repeats: int, warm: bool = True
) -> list[Row]:
    rows = []
    smallest = sizes[0]
    for pools in pool_counts:
        section = f"scaling, {pools} pool{'s' if pools > 1 else ''}"
        states = {size: _filled(size, pools) for size in sizes}
        for operation in OPERATIONS:
            for size in sizes[1:]:
                baseline, allowance = _with_floor(operation, states[size], states[smallest], pools, calls)
                result = paired(
                    _timer(operation.run, states[size], pools, calls, operation.scale), baseline, repeats, warm
                )
                rows.append(
                    result.row(
                        section,
                        f"{operation.name} at {size:,} jobs",
                        "s",
                        f"at {smallest:,} jobs{allowance}",
                        f"<= {operation.limit}x",
                        result.ratio <= operation.limit,
                    )
                )
            if operation.floor is not None and pools == pool_counts[0]:
                rows += _floor_rows(operation.floor, operation.scale, section, states, calls, repeats, warm)
    return rows


def _floor_rows(
    floor: Run, scale: float, section: str, states: dict[int, State], calls: int, repeats: int, warm: bool
) -> list[Row]:
    """How much the plain read grows with the state: the memory hierarchy's share, shown
    once (on the first pool count), with no target."""
    sizes = sorted(states)
    rows = []
    for size in sizes[1:]:
        result = paired(
            _timer(floor, states[size], 1, calls, scale),
            _timer(floor, states[sizes[0]], 1, calls, scale),
            repeats,
            warm,
        )
        rows.append(
            Row(
                section,
                f"a plain read of the same jobs (dict lookup, fields copied), at {size:,} jobs",
                result.subject,
                "s",
                f"at {sizes[0]:,} jobs",
                result.baseline,
                result.ratio,
            )
        )
    return rows
