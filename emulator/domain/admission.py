"""The rule that decides whether a custom job may run on a persistent resource, and where.

This is the one implementation of the documented rules: the emulator calls it when a job is
created (and again when a queued job retries), and ``client``'s offline check calls it on files.
It is pure: it reads canonical proto3-JSON dicts and the replicas other jobs hold, and either
returns a placement or raises the error the service answers with.

Choices where the documentation is silent (see README, "Documented choices"):
- the whole ``machineSpec`` and the effective ``diskSpec`` must be equal, not only the machine
  and disk types the gcloud page names;
- worker pools are placed in order, each on the first matching resource pool that still has room
  for it, trying the other matching pools when that leaves a later worker pool without room;
  worker pools of one job that land on the same pool add up;
- a job that could never fit is INVALID_ARGUMENT; one that fits but not in the replicas free now
  is FAILED_PRECONDITION (:class:`NoFreeReplicas`), which the caller may turn into a queued job.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from vertex_emulator.domain import specs
from vertex_emulator.domain.pool_rules import replicas_held
from vertex_emulator.errors import ApiError, Code, FieldViolation

Spec = Mapping[str, Any]
Held = Mapping[str, Mapping[str, int]]
"""Replicas held on each resource pool: pool id -> {job name: replicas}."""


RUNNING = "RUNNING"
MAX_HOLDERS_NAMED = 10
"""A refusal names this many of the jobs holding a pool, so the message stays readable."""


class Placement(NamedTuple):
    """Where a job's worker pools run: a pool id per worker pool index (None for a skipped slot).

    This and ``_WorkerPool`` are named tuples: immutable, made faster than a frozen dataclass's
    instance, and without the decorator's generated methods to compile as ``serve`` starts.
    """

    pools: tuple[str | None, ...]
    demand: Mapping[str, int]


class NoFreeReplicas(ApiError):
    """The job fits the resource's pools, but not in the replicas that are free right now."""


class _WorkerPool(NamedTuple):
    index: int
    replicas: int
    hardware: dict[str, Any]


def _path(index: int, field: str = "") -> str:
    base = f"job_spec.worker_pool_specs[{index}]"
    return f"{base}.{specs.snake(field)}" if field else base


def _worker_pools(job: Spec) -> list[_WorkerPool]:
    pools = []
    for index, spec in enumerate(job.get("jobSpec", {}).get("workerPoolSpecs", [])):
        if specs.worker_pool_is_empty(spec):
            continue
        pools.append(
            _WorkerPool(
                index=index,
                replicas=int(spec.get("replicaCount") or 0),
                hardware=specs.hardware(spec.get("machineSpec", {}), spec.get("diskSpec")),
            )
        )
    return pools


def _check_state(resource: Spec) -> None:
    state = resource.get("state", "STATE_UNSPECIFIED")
    if state != RUNNING:
        raise ApiError(
            Code.FAILED_PRECONDITION,
            f'Persistent resource "{resource.get("name")}" is {state}; '
            "jobs can run only on a RUNNING persistent resource.",
        )


def _check_settings(job: Spec, resource: Spec) -> None:
    """Network and CMEK "should be consistent with those on the PersistentResource"."""
    job_spec = job.get("jobSpec", {})
    pairs = (
        ("job_spec.network", "network", job_spec.get("network", ""), resource.get("network", "")),
        (
            "encryption_spec.kms_key_name",
            "encryptionSpec.kmsKeyName",
            (job.get("encryptionSpec") or {}).get("kmsKeyName", ""),
            (resource.get("encryptionSpec") or {}).get("kmsKeyName", ""),
        ),
    )
    violations = [
        FieldViolation(
            path,
            f"{path} is {specs.show(mine or None)} but the persistent resource's {label} "
            f"is {specs.show(theirs or None)}; they must be the same.",
        )
        for path, label, mine, theirs in pairs
        if mine != theirs
    ]
    violations += _service_account(job_spec, resource)
    if violations:
        raise ApiError(
            Code.INVALID_ARGUMENT,
            " ".join(v.description for v in violations),
            violations,
        )


def _service_account(job_spec: Spec, resource: Spec) -> list[FieldViolation]:
    """A resource with ``enableCustomServiceAccount`` "enforces" a custom service account on every job,
    so a job naming none is refused; without it, a job naming one is refused too (the emulator's
    choice, documented: the workloads of such a resource run as Vertex AI's own service agent)."""
    runtime = (resource.get("resourceRuntimeSpec") or {}).get("serviceAccountSpec") or {}
    enforced = bool(runtime.get("enableCustomServiceAccount"))
    named = job_spec.get("serviceAccount", "")
    path = "job_spec.service_account"
    if enforced and not named:
        return [
            FieldViolation(
                path,
                f'{path} is required: persistent resource "{resource.get("name")}" enforces a custom service '
                "account (resource_runtime_spec.service_account_spec.enable_custom_service_account is true).",
            )
        ]
    if named and not enforced:
        return [
            FieldViolation(
                path,
                f'{path} is {specs.show(named)}, but persistent resource "{resource.get("name")}" does not '
                "accept custom service accounts: create it with "
                "resource_runtime_spec.service_account_spec.enable_custom_service_account true, or leave "
                "job_spec.service_account unset.",
            )
        ]
    return []


def _mismatch(worker: _WorkerPool, pools: Sequence[Spec], resource_name: str) -> ApiError:
    ranked = sorted(
        enumerate(pools),
        key=lambda item: (len(specs.differences(worker.hardware, _hardware(item[1]))), item[0]),
    )
    closest = ranked[0][1]
    diffs = specs.differences(worker.hardware, _hardware(closest))
    told = ", ".join(
        f"{specs.snake(path)} is {specs.show(mine)} in the job but {specs.show(theirs)}" for path, mine, theirs in diffs
    )
    message = (
        f"Worker pool {worker.index} ({_path(worker.index)}) matches no resource pool of "
        f'persistent resource "{resource_name}": {told} in the closest resource pool '
        f'"{closest.get("id")}". A worker pool\'s machine_spec and disk_spec must match a '
        "resource pool exactly."
    )
    violations = [
        FieldViolation(
            _path(worker.index, path),
            f'{specs.show(mine)} differs from {specs.show(theirs)} in resource pool "{closest.get("id")}"',
        )
        for path, mine, theirs in diffs
    ]
    return ApiError(Code.INVALID_ARGUMENT, message, violations)


def _hardware(pool: Spec) -> dict[str, Any]:
    return specs.hardware(pool.get("machineSpec", {}), pool.get("diskSpec"))


def pool_hardware(pools: Sequence[Spec]) -> dict[str, dict[str, Any]]:
    """Each resource pool's hardware by pool id. A pool's hardware never changes, so a resource
    keeps this (``PersistentResource.pool_hardware``) rather than have every admission make it
    again: with a hundred pools that was most of an admission."""
    return {pool["id"]: _hardware(pool) for pool in pools}


def _candidates(worker: _WorkerPool, pools: Sequence[Spec], hardware: Mapping[str, Spec]) -> list[Spec]:
    return [pool for pool in pools if hardware[pool["id"]] == worker.hardware]


def _place(
    workers: Sequence[_WorkerPool],
    candidates: Mapping[int, Sequence[Spec]],
    room: Mapping[str, int],
) -> tuple[dict[int, str], _WorkerPool | None]:
    """Place worker pools in order, each on the first matching pool with room, backtracking when
    a later one finds none; returns the placement and None, or the furthest partial placement and
    the worker pool that found no room there.

    First fit alone would refuse jobs that fit another way round: pools of 3 and 2 replicas of
    the same hardware take worker pools of 2 and 3 only if the 2 go to the smaller pool.

    The pools a worker pool may take all have its hardware, so two of them with the same room
    left are interchangeable: once one has failed at a position, its twins are not tried there.
    That keeps the search to the distinct room values, not every ordering of identical pools.
    """
    left = dict(room)
    placed: dict[int, str] = {}
    for worker in workers:  # first fit: the search's own first try, and almost always enough
        for pool in candidates[worker.index]:
            if left[pool["id"]] >= worker.replicas:
                left[pool["id"]] -= worker.replicas
                placed[worker.index] = pool["id"]
                break
        else:
            break
    else:
        return placed, None
    left = dict(room)
    placed = {}
    stuck: list[tuple[int, dict[int, str]]] = [(-1, {})]

    def search(position: int) -> bool:
        if position == len(workers):
            return True
        worker = workers[position]
        tried: set[int] = set()
        for pool in candidates[worker.index]:
            room = left[pool["id"]]
            if room >= worker.replicas and room not in tried:
                tried.add(room)
                left[pool["id"]] -= worker.replicas
                placed[worker.index] = pool["id"]
                if search(position + 1):
                    return True
                left[pool["id"]] += worker.replicas
                del placed[worker.index]
        if position > stuck[0][0]:
            stuck[0] = (position, dict(placed))
        return False

    if search(0):
        return placed, None
    position, partial = stuck[0]
    return partial, workers[position]


def _over_capacity(worker: _WorkerPool, options: Sequence[Spec], placed: Mapping[int, str]) -> ApiError:
    pool = options[0]
    shared = [index for index, pool_id in placed.items() if pool_id == pool["id"]]
    together = f" (worker pools {', '.join(map(str, shared))} already take part of it)" if shared else ""
    message = (
        f"Worker pool {worker.index} ({_path(worker.index)}) asks for {worker.replicas} replicas, "
        f'but resource pool "{pool["id"]}" has at most {specs.pool_capacity(pool)}{together}. '
        "replica_count must be at most the resource pool's replica_count, or its "
        "max_replica_count when it autoscales."
    )
    return ApiError(
        Code.INVALID_ARGUMENT,
        message,
        [FieldViolation(_path(worker.index, "replicaCount"), message)],
    )


def _no_room(
    worker: _WorkerPool,
    options: Sequence[Spec],
    free: Mapping[str, int],
    held: Held,
    blocked: Collection[str],
) -> NoFreeReplicas:
    pool = options[0]
    holders = list(held.get(pool["id"], {}).items())
    holding = ", ".join(f"{name} ({count})" for name, count in holders[:MAX_HOLDERS_NAMED]) or "no job"
    if len(holders) > MAX_HOLDERS_NAMED:
        holding += f" and {len(holders) - MAX_HOLDERS_NAMED} more jobs"
    ahead = " and jobs are queued ahead for it" if pool["id"] in blocked else ""
    message = (
        f"Worker pool {worker.index} ({_path(worker.index)}) needs {replicas_text(worker.replicas)} of "
        f'resource pool "{pool["id"]}", but {free[pool["id"]]} of its '
        f"{specs.pool_capacity(pool)} are free{ahead}; the rest are held by {holding}."
    )
    return NoFreeReplicas(
        Code.FAILED_PRECONDITION,
        message,
        [FieldViolation(_path(worker.index, "replicaCount"), message)],
    )


def replicas_text(count: int) -> str:
    """``1 replica``, ``2 replicas``: the words of every message that counts replicas."""
    return f"{count} replica" if count == 1 else f"{count} replicas"


def admit(
    job: Spec,
    resource: Spec,
    held: Held,
    *,
    blocked: Collection[str] = (),
    hardware: Mapping[str, Spec] | None = None,
) -> Placement:
    """Place ``job`` on ``resource`` given the replicas other jobs hold, or raise why not.

    ``blocked`` names pools with jobs already queued for them: first in, first out means a new
    job finds no room there until those have started. ``hardware`` is :func:`pool_hardware` of
    the resource's pools, when the caller keeps it.
    """
    _check_state(resource)
    _check_settings(job, resource)
    pools = list(resource.get("resourcePools", []))
    name = str(resource.get("name", ""))
    workers = _worker_pools(job)
    hardware = pool_hardware(pools) if hardware is None else hardware
    candidates = {w.index: _candidates(w, pools, hardware) for w in workers}
    misfits = [_mismatch(w, pools, name) for w in workers if not candidates[w.index]]
    if misfits:
        raise ApiError(
            Code.INVALID_ARGUMENT,
            " ".join(error.message for error in misfits),
            [v for error in misfits for v in error.violations],
        )
    matching = {pool["id"]: pool for options in candidates.values() for pool in options}
    capacity = {pool_id: specs.pool_capacity(pool) for pool_id, pool in matching.items()}
    placed, misfit = _place(workers, candidates, capacity)
    if misfit is not None:
        raise _over_capacity(misfit, candidates[misfit.index], placed)
    free = {pool_id: room - replicas_held(held.get(pool_id, {})) for pool_id, room in capacity.items()}
    open_to_us = {pool_id: 0 if pool_id in blocked else room for pool_id, room in free.items()}
    placed, misfit = _place(workers, candidates, open_to_us)
    if misfit is not None:
        raise _no_room(misfit, candidates[misfit.index], free, held, blocked)
    slots = len(job.get("jobSpec", {}).get("workerPoolSpecs", []))
    chosen = tuple([placed.get(index) for index in range(slots)])
    return Placement(chosen, held_by(job, chosen))


def held_by(job: Spec, pools: Sequence[str | None]) -> dict[str, int]:
    """The replicas a job placed on ``pools`` (a pool id per worker pool, None for an empty one)
    holds on each resource pool: what admission takes, and what a restored state rebuilds."""
    held: dict[str, int] = {}
    for spec, pool in zip(job.get("jobSpec", {}).get("workerPoolSpecs", []), pools, strict=False):
        if pool is not None:
            held[pool] = held.get(pool, 0) + int(spec.get("replicaCount") or 0)
    return held


def wanted_replicas(job: Spec, resource: Spec) -> dict[str, int]:
    """Replicas a job could want of each resource pool: every pool any of its worker pools could
    run on, with the replicas of those worker pools (placement decides only when it starts)."""
    pools = list(resource.get("resourcePools", []))
    hardware = pool_hardware(pools)
    wanted: dict[str, int] = {}
    for worker in _worker_pools(job):
        for pool in _candidates(worker, pools, hardware):
            wanted[pool["id"]] = wanted.get(pool["id"], 0) + worker.replicas
    return wanted
