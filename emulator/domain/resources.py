"""Persistent resources: validation of what a user may ask for, and the record the emulator keeps.

The record owns its pools' replica accounting: which job holds how many replicas of which pool.
``usedReplicaCount`` is never stored, it is read off the holders, so it cannot drift from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vertex_emulator.domain import admission, pool_rules, specs
from vertex_emulator.domain.pool_rules import Holding, replicas_held
from vertex_emulator.domain.queue import Queue
from vertex_emulator.domain.record import Record
from vertex_emulator.domain.validation import (
    check_display_name,
    check_labels,
    check_resource_id,
    strip,
    to_int,
)
from vertex_emulator.errors import bad_field, failed_precondition

PROVISIONING = "PROVISIONING"
RUNNING = "RUNNING"
STOPPING = "STOPPING"
ERROR = "ERROR"
REBOOTING = "REBOOTING"
UPDATING = "UPDATING"
STATES = ("STATE_UNSPECIFIED", PROVISIONING, RUNNING, STOPPING, ERROR, REBOOTING, UPDATING)

OUTPUT_ONLY = (
    "name",
    "state",
    "error",
    "createTime",
    "startTime",
    "updateTime",
    "resourceRuntime",
    "satisfiesPzs",
    "satisfiesPzi",
)
UPDATE_MASK_PATHS = ("resource_pools.replica_count", "resourcePools.replicaCount")


FAILING = (PROVISIONING, UPDATING, REBOOTING)
"""The transient states a test may make end in ERROR instead of RUNNING."""
FAILURE_MESSAGE = "An internal error occurred on your cluster. Please try recreating one in a few minutes."
"""The real service's text for a provisioning that failed, verbatim (the default of a set outcome)."""


def check_resource_outcome(state: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """An outcome a test may choose for a resource's transition: ERROR, with a google.rpc.Status."""
    if state != ERROR:
        raise bad_field("state", f"state must be {ERROR}, not {state!r}.")
    failure = dict(error or {"code": 13, "message": FAILURE_MESSAGE})
    failure["code"] = to_int(failure.get("code", 13), "error.code")
    if not 1 <= failure["code"] <= 16:
        raise bad_field("error.code", "error.code must be a google.rpc.Code number between 1 and 16.")
    failure.setdefault("message", FAILURE_MESSAGE)
    return {"state": state, "error": failure}


def duplicate_id_message(resource_id: str) -> str:
    """The real service's text for a create with an id in use (409 ALREADY_EXISTS), verbatim."""
    return (
        f'There is an existing PersistentResource with the same ID "{resource_id}" created or being created. '
        "Please use a different ID."
    )


def being_created_message(name: str) -> str:
    """The real service's text for a delete while PROVISIONING (400 FAILED_PRECONDITION), verbatim."""
    return (
        f'PersistentResource "{name}" is being created thus can not be deleted now. '
        "Please try again later after it's active."
    )


def _pool_id(machine_spec: dict[str, Any], taken: set[str]) -> str:
    """The id the real service gives a pool created without one: ``{machine}-{accelerator}-{count}``
    (``n1-highmem-2-nvidia-tesla-t4-1``), or ``{machine}`` for a CPU pool. A pool that would get an
    id already taken gets ``-2``, ``-3``, ... after it (the emulator's choice: the real one is not known)."""
    base = str(machine_spec.get("machineType", "pool")).lower()
    accelerator = machine_spec.get("acceleratorType")
    if accelerator:
        base += f"-{str(accelerator).lower().replace('_', '-')}-{machine_spec.get('acceleratorCount') or 1}"
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _check_pool(pool: dict[str, Any], index: int, ray: bool) -> None:
    where = f"resource_pools[{index}]"
    machine = pool.get("machineSpec") or {}
    pool_rules.check_machine_type(machine, where)
    pool_rules.check_accelerator(machine, where)
    pool_rules.check_disk(pool.get("diskSpec") or {}, f"{where}.disk_spec")
    replicas = to_int(pool.get("replicaCount"), f"{where}.replica_count")
    autoscaling = pool.get("autoscalingSpec")
    bounds = None if autoscaling is None else pool_rules.check_autoscaling(autoscaling, where, ray)
    if bounds is not None and "replicaCount" not in pool:
        pool["replicaCount"] = str(bounds[0])
        replicas = bounds[0]
    pool_rules.check_replicas(replicas, f"{where}.replica_count", f"{where}.replica_count", bounds)


def normalize(spec: dict[str, Any], resource_id: str) -> dict[str, Any]:
    """Check a create request's PersistentResource and fill what the server fills (ids, disks)."""
    check_resource_id(resource_id, "persistent_resource_id")
    strip(spec, OUTPUT_ONLY)
    check_display_name(spec, required=False)
    check_labels(spec)
    pools = spec.get("resourcePools") or []
    if not pools:
        raise bad_field("resource_pools", "resource_pools is required and must not be empty.")
    taken = {pool["id"] for pool in pools if pool.get("id")}
    if len(taken) != len([pool for pool in pools if pool.get("id")]):
        raise bad_field("resource_pools.id", "Resource pool ids must be unique.")
    for index, pool in enumerate(pools):
        pool.pop("usedReplicaCount", None)
        _check_pool(pool, index, ray="raySpec" in (spec.get("resourceRuntimeSpec") or {}))
        if not pool.get("id"):
            pool["id"] = _pool_id(pool["machineSpec"], taken)
            taken.add(pool["id"])
        pool["diskSpec"] = specs.effective_disk_spec(pool["machineSpec"], pool.get("diskSpec"))
    return spec


@dataclass(slots=True)
class PersistentResource(Record):
    """What the emulator keeps of one persistent resource."""

    state: str = PROVISIONING
    start_time: float | None = None
    error: dict[str, Any] | None = None
    holders: dict[str, dict[str, int]] = field(default_factory=dict)
    provisioned: dict[str, int] = field(default_factory=dict)
    queue: Queue = field(default_factory=Queue)
    next_at: float | None = None
    operations: list[str] = field(default_factory=list)
    outcome: dict[str, Any] | None = None
    """How the transition under way ends when it is not RUNNING: ``{"state": "ERROR", "error": ...}``
    (``:setOutcome`` of the control API); ``at`` when set for an instant."""
    pool_hardware: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False)
    """``admission.pool_hardware`` of the pools, made once: no update changes a pool's hardware."""

    def __post_init__(self) -> None:
        self.pool_hardware = admission.pool_hardware(self.pools)
        self.holders = {pool_id: Holding(held) for pool_id, held in self.holders.items()}
        for pool in self.pools:
            self.holders.setdefault(pool["id"], Holding())
            self.provisioned.setdefault(pool["id"], int(pool.get("replicaCount") or 0))

    @property
    def pools(self) -> list[dict[str, Any]]:
        return self.spec["resourcePools"]

    def pool(self, pool_id: str) -> dict[str, Any]:
        for pool in self.pools:
            if pool["id"] == pool_id:
                return pool
        raise KeyError(pool_id)

    def used(self, pool_id: str) -> int:
        return replicas_held(self.holders[pool_id])

    @property
    def busy(self) -> bool:
        return any(self.holders.values())

    def hold(self, job: str, demand: dict[str, int]) -> bool:
        """Take replicas for a job; autoscaled pools grow to meet demand, up to their maximum.
        True when a pool grew: ``provisioned`` is stored, the holders are not (they follow from the jobs)."""
        grew = False
        for pool_id, count in demand.items():
            self.holders[pool_id][job] = self.holders[pool_id].get(job, 0) + count
            used = self.used(pool_id)
            if used > self.provisioned[pool_id]:
                self.provisioned[pool_id] = used
                grew = True
        return grew

    def release(self, job: str) -> dict[str, int]:
        """Give back everything a job holds; autoscaled pools shrink back toward their minimum."""
        released = {}
        for pool_id, holders in self.holders.items():
            if job in holders:
                released[pool_id] = holders.pop(job)
                pool = self.pool(pool_id)
                if specs.is_autoscaled(pool):
                    self.provisioned[pool_id] = max(specs.pool_minimum(pool), self.used(pool_id))
        return released

    def begin(self, state: str, at: float, delay: float, operation: str) -> float:
        """Enter a transient state with its operation; returns when it ends."""
        self.state = state
        self.update_time = at
        self.operations.append(operation)
        return at + delay

    def settle(self, at: float) -> None:
        """A transient state other than STOPPING ends: the resource is RUNNING."""
        self.state = RUNNING
        self.update_time = at
        if self.start_time is None:
            self.start_time = at

    @property
    def jobs(self) -> list[str]:
        """Every job holding replicas or queued here."""
        return [*{job for held in self.holders.values() for job in held}, *self.queue]

    def rebooted(self) -> None:
        """Autoscaled pools "reboot with the minimum replica count"."""
        for pool in self.pools:
            if specs.is_autoscaled(pool):
                self.provisioned[pool["id"]] = specs.pool_minimum(pool)

    def admission_view(self) -> dict[str, Any]:
        """The resource as the admission rule reads it (canonical dict with name and state)."""
        return {**self.spec, "name": self.name, "state": self.state}

    def apply_replica_counts(self, requested: dict[str, Any]) -> list[dict[str, Any]]:
        """Validate an update's new ``resourcePools[].replicaCount`` and return the new pools.

        Each entry names its pool by id, or by position when it has none; every entry must name a
        different pool, and the pools keep the resource's order. Nothing but the replica count may
        change, and never below what running jobs hold. The request is not changed.
        """
        wanted = requested.get("resourcePools") or []
        if not wanted:
            raise bad_field("persistent_resource.resource_pools", "resource_pools is required for this update mask.")
        if len(wanted) != len(self.pools):
            raise bad_field(
                "persistent_resource.resource_pools",
                f"The update has {len(wanted)} resource pools but the persistent resource has "
                f"{len(self.pools)}; pools cannot be added or removed.",
            )
        entries: dict[str, tuple[int, int]] = {}
        """Pool id -> (the update's entry for it, its new replica count)."""
        for index, asked in enumerate(wanted):
            where = f"persistent_resource.resource_pools[{index}]"
            pool_id = asked.get("id") or self.pools[index]["id"]
            if pool_id not in self.holders:
                raise bad_field(f"{where}.id", f'Resource pool "{pool_id}" does not exist in this persistent resource.')
            if pool_id in entries:
                raise bad_field(
                    f"{where}.id" if asked.get("id") else where,
                    f'{where} names resource pool "{pool_id}" (by {"id" if asked.get("id") else "position"}), '
                    "which an earlier entry of the update already names; each entry must name a different pool.",
                )
            entries[pool_id] = (index, to_int(asked.get("replicaCount"), f"{where}.replica_count"))
        new_pools = []
        for current in self.pools:
            position, count = entries[current["id"]]
            where = f"persistent_resource.resource_pools[{position}].replica_count"
            autoscaled = specs.is_autoscaled(current)
            bounds = (specs.pool_minimum(current), specs.pool_capacity(current)) if autoscaled else None
            pool_rules.check_replicas(count, where, "replica_count", bounds)
            pool = {**current, "replicaCount": str(count)}
            in_use = self.used(current["id"])
            if specs.pool_capacity(pool) < in_use:
                raise failed_precondition(
                    f'Resource pool "{current["id"]}" cannot shrink to {count} replicas: '
                    f"{in_use} are held by running jobs ({', '.join(self.holders[current['id']])})."
                )
            new_pools.append(pool)
        return new_pools

    def set_pools(self, pools: list[dict[str, Any]]) -> None:
        self.spec["resourcePools"] = pools
        for pool in pools:
            self.provisioned[pool["id"]] = max(int(pool["replicaCount"]), self.used(pool["id"]))

    def render(self) -> dict[str, Any]:
        """The resource as the API returns it (canonical form, before version conversion)."""
        body: dict[str, Any] = {"name": self.name, **self.spec}
        pools = []
        for pool in self.pools:
            shown = {**pool, "replicaCount": str(self.provisioned[pool["id"]])}
            used = self.used(pool["id"])
            if used:
                shown["usedReplicaCount"] = str(used)
            pools.append(shown)
        body["resourcePools"] = pools
        body["state"] = self.state
        if self.error:
            body["error"] = self.error
        body.update(self.stamps(self.start_time))
        return body


def check_update_mask(mask: str) -> None:
    paths = [path.strip() for path in mask.split(",") if path.strip()]
    if not paths:
        raise bad_field("update_mask", "update_mask is required.")
    for path in paths:
        if path not in UPDATE_MASK_PATHS:
            raise bad_field(
                "update_mask",
                f'Unrecognized path "{path}" in update_mask: only resource_pools.replica_count can be updated.',
            )
