"""Machine and disk specs as the service compares them.

Everything works on the canonical proto3-JSON form that ``vertex_emulator.wire`` produces: camelCase
keys, enum names, int64 as strings, default values omitted. In that form two messages are equal
exactly when their dicts are equal, which is what "matches exactly" means.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

Spec = Mapping[str, Any]

DEFAULT_BOOT_DISK_TYPE = "pd-ssd"
A3_ULTRA_BOOT_DISK_TYPE = "hyperdisk-balanced"
DEFAULT_BOOT_DISK_SIZE_GB = 100
BOOT_DISK_TYPES = ("pd-ssd", "pd-standard", "hyperdisk-balanced")

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(path: str) -> str:
    """``machineSpec.acceleratorCount`` -> ``machine_spec.accelerator_count`` (proto field paths)."""
    return ".".join(_CAMEL.sub("_", part).lower() for part in path.split("."))


def is_a3_ultra(machine_type: str) -> bool:
    """A3 Ultra machines boot from hyperdisk, so their disk default differs (machine_resources.proto)."""
    return machine_type.startswith("a3-ultragpu")


def effective_disk_spec(machine_spec: Spec, disk_spec: Spec | None) -> dict[str, Any]:
    """The disk spec with the server defaults filled in, as it is echoed on read."""
    disk = dict(disk_spec or {})
    default_type = (
        A3_ULTRA_BOOT_DISK_TYPE if is_a3_ultra(str(machine_spec.get("machineType", ""))) else DEFAULT_BOOT_DISK_TYPE
    )
    disk.setdefault("bootDiskType", default_type)
    disk["bootDiskType"] = disk["bootDiskType"] or default_type
    disk["bootDiskSizeGb"] = int(disk.get("bootDiskSizeGb") or DEFAULT_BOOT_DISK_SIZE_GB)
    return disk


def flatten(spec: Spec, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf fields of a message as (dotted camelCase path, value); lists count as one leaf."""
    for key, value in spec.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            yield from flatten(value, path)
        else:
            yield path, value


def pruned(message: Spec) -> dict[str, Any]:
    """A message without its empty sub-messages.

    Proto3 JSON keeps ``{}`` for a sub-message that is set but holds nothing, yet it carries no
    value: ``reservationAffinity: {}`` on one side and none on the other must still match.
    """
    kept = {}
    for key, value in message.items():
        if isinstance(value, dict):  # canonical JSON: every message is a dict (Mapping's check is slow)
            value = pruned(value)
            if not value:
                continue
        kept[key] = value
    return kept


def hardware(machine_spec: Spec, disk_spec: Spec | None) -> dict[str, Any]:
    """What a worker pool and a resource pool must share: the whole machine spec, the effective disk."""
    return {
        "machineSpec": pruned(machine_spec),
        "diskSpec": effective_disk_spec(machine_spec, disk_spec),
    }


def differences(wanted: Spec, offered: Spec) -> list[tuple[str, Any, Any]]:
    """Fields in which two hardware dicts differ, as (camelCase path, wanted, offered); None = unset."""
    left = dict(flatten(wanted))
    right = dict(flatten(offered))
    return [
        (path, left.get(path), right.get(path))
        for path in sorted(left.keys() | right.keys())
        if left.get(path) != right.get(path)
    ]


def show(value: Any) -> str:
    """A field value as a message shows it; unset fields say so rather than printing None."""
    return "unset" if value is None else repr(value) if isinstance(value, str) else str(value)


def pool_capacity(pool: Spec) -> int:
    """The most replicas a pool can give: its autoscaling maximum, or its fixed replica count."""
    autoscaling = pool.get("autoscalingSpec") or {}
    if autoscaling.get("maxReplicaCount") not in (None, "", "0", 0):
        return int(autoscaling["maxReplicaCount"])
    return int(pool.get("replicaCount") or 0)


def pool_minimum(pool: Spec) -> int:
    """Replicas an autoscaled pool keeps when idle; a fixed pool keeps all of them."""
    autoscaling = pool.get("autoscalingSpec") or {}
    if autoscaling.get("minReplicaCount") not in (None, ""):
        return int(autoscaling["minReplicaCount"])
    return int(pool.get("replicaCount") or 0)


def is_autoscaled(pool: Spec) -> bool:
    return bool(pool.get("autoscalingSpec"))


def worker_pool_is_empty(worker_pool: Spec) -> bool:
    """An empty worker pool spec is a skipped slot: "can be skipped by providing an empty value"."""
    return not worker_pool
