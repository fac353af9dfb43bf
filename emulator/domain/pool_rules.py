"""Pools: the one home of the field checks of a pool's hardware and replicas, and of the replicas
each job holds on a resource pool.

Resource create, resource update and job create all check pools with these functions, so a rule
(and its message) is written once. ``where`` is the field path of the pool in the request, e.g.
``resource_pools[0]`` or ``job_spec.worker_pool_specs[1]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vertex_emulator.domain import specs
from vertex_emulator.domain.validation import to_int
from vertex_emulator.errors import bad_field


def check_machine_type(machine: Mapping[str, Any], where: str) -> None:
    if not machine.get("machineType"):
        raise bad_field(f"{where}.machine_spec.machine_type", f"{where}.machine_spec.machine_type is required.")


def check_accelerator(machine: Mapping[str, Any], where: str) -> None:
    """An accelerator type and a positive count go together."""
    if machine.get("acceleratorType") and not machine.get("acceleratorCount"):
        raise bad_field(
            f"{where}.machine_spec.accelerator_count",
            f"{where}.machine_spec.accelerator_count must be positive when accelerator_type is set.",
        )
    if machine.get("acceleratorCount") and not machine.get("acceleratorType"):
        raise bad_field(
            f"{where}.machine_spec.accelerator_type",
            f"{where}.machine_spec.accelerator_type is required when accelerator_count is set.",
        )


def check_disk(disk: Mapping[str, Any], where: str) -> None:
    kind = disk.get("bootDiskType")
    if kind and kind not in specs.BOOT_DISK_TYPES:
        raise bad_field(
            f"{where}.boot_disk_type",
            f'{where}.boot_disk_type "{kind}" is not one of {", ".join(specs.BOOT_DISK_TYPES)}.',
        )
    if disk.get("bootDiskSizeGb", 0) < 0:
        raise bad_field(f"{where}.boot_disk_size_gb", f"{where}.boot_disk_size_gb must not be negative.")


def check_replicas(count: int, path: str, label: str, bounds: tuple[int, int] | None = None) -> None:
    """A replica count: positive, and within an autoscaled pool's ``bounds`` (min, max).

    ``path`` is the field blamed, ``label`` how the message names it.
    """
    if bounds is None:
        if count <= 0:
            raise bad_field(path, f"{label} must be greater than 0.")
        return
    low, high = bounds
    if not low <= count <= high:
        raise bad_field(
            path,
            f"{label} ({count}) must be between min_replica_count ({low}) and max_replica_count ({high}).",
        )


def check_autoscaling(autoscaling: Mapping[str, Any], where: str) -> tuple[int, int]:
    """An autoscaling spec's bounds (min, max), checked: 0 < min < max."""
    path = f"{where}.autoscaling_spec"
    low = to_int(autoscaling.get("minReplicaCount"), f"{path}.min_replica_count")
    high = to_int(autoscaling.get("maxReplicaCount"), f"{path}.max_replica_count")
    if low <= 0:
        raise bad_field(f"{path}.min_replica_count", f"{path}.min_replica_count must be greater than 0.")
    if high <= low:
        raise bad_field(
            f"{path}.max_replica_count",
            f"{path}.max_replica_count ({high}) must be greater than min_replica_count ({low}).",
        )
    return low, high


class Holding(dict[str, int]):
    """The replicas each job holds on one pool, with their total kept up to date as jobs take and
    give back replicas, so free replicas cost O(1) however many jobs run on the pool.

    Only item assignment, ``del`` and ``pop`` change it (all the replica accounting uses).
    """

    __slots__ = ("total",)

    def __init__(self, held: Mapping[str, int] | None = None) -> None:
        super().__init__(held or {})
        self.total = sum(self.values())

    def __setitem__(self, job: str, count: int) -> None:
        self.total += count - self.get(job, 0)
        super().__setitem__(job, count)

    def __delitem__(self, job: str) -> None:
        self.total -= self[job]
        super().__delitem__(job)

    def pop(self, job: str, *default: int) -> int:  # type: ignore[override]
        if job not in self:
            return super().pop(job, *default)
        count = self[job]
        del self[job]
        return count

    def __reduce__(self) -> tuple[type[Holding], tuple[dict[str, int]]]:
        return Holding, (dict(self),)


def replicas_held(holding: Mapping[str, int]) -> int:
    """Replicas held on one pool: a :class:`Holding` knows its total, any other mapping is summed."""
    return holding.total if isinstance(holding, Holding) else sum(holding.values())
