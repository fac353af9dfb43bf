"""Hypothesis strategies for what the scheduling rules read, built from the official messages.

Every strategy yields canonical proto3-JSON dicts, the form ``vertex_emulator.wire.parse`` gives the
domain (camelCase keys, enum names, int64 as strings, default values omitted): the dicts are
run through the official ``google.cloud.aiplatform_v1`` types, so a field or an enum value the
API does not have cannot slip in. The enum values come from the official enums, and the fields
a "one field differs" change may touch are read off the ``MachineSpec`` / ``DiskSpec`` message
descriptors, so a field added to those messages shows up here (see ``test_rules_properties``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud.aiplatform_v1 import types
from hypothesis import strategies as st

from vertex_emulator import wire

Dict = dict[str, Any]

ACCELERATORS: tuple[str, ...] = tuple(
    accelerator.name for accelerator in types.AcceleratorType if accelerator.value != 0
)
RESERVATION_TYPES: tuple[str, ...] = tuple(kind.name for kind in types.ReservationAffinity.Type if kind.value != 0)
MACHINE_TYPES = (
    "n1-standard-4",
    "n1-highmem-8",
    "a2-highgpu-1g",
    "g2-standard-8",
    "a3-ultragpu-8g",
    "ct5lp-hightpu-4t",
)
BOOT_DISK_TYPES = ("pd-ssd", "pd-standard", "hyperdisk-balanced")
"""The boot disk types ``machine_resources.proto`` allows."""
ACCELERATOR_COUNTS = (1, 2, 4, 8)
TPU_TOPOLOGIES = ("1x1", "2x2", "2x2x1", "4x4")
GPU_PARTITIONS = ("1g.5gb", "2g.10gb", "3g.20gb")
RESERVATION_NAMES = ("r-alpha", "r-beta")
DISK_SIZES = (100, 200, 500, 2000, 64000)
"""Within the documented limits (100-64000 GB); the limits themselves are tested in test_fidelity."""
IMAGE = "us-docker.pkg.dev/p/trainers/train:1"


def canonical(message: str, body: Dict) -> Dict:
    """``body`` as the official ``message`` type reads and writes it back (defaults dropped)."""
    return wire.parse("v1", message, body)


def documented_disk(machine_spec: Dict, disk_spec: Dict | None) -> Dict:
    """The boot disk the server fills in, from the proto comments, written out independently.

    ``boot_disk_type`` defaults to ``hyperdisk-balanced`` on A3 Ultra machines and ``pd-ssd``
    on every other machine; ``boot_disk_size_gb`` defaults to 100.
    """
    given = disk_spec or {}
    a3_ultra = machine_spec.get("machineType", "").startswith("a3-ultragpu")
    return {
        "bootDiskType": given.get("bootDiskType") or ("hyperdisk-balanced" if a3_ultra else "pd-ssd"),
        "bootDiskSizeGb": given.get("bootDiskSizeGb") or 100,
    }


# ----------------------------------------------------------------------------- machines and disks


@st.composite
def reservation_affinities(draw: st.DrawFn) -> Dict:
    kind = draw(st.sampled_from(RESERVATION_TYPES))
    affinity: Dict = {"reservationAffinityType": kind}
    if kind == "SPECIFIC_RESERVATION":
        affinity["key"] = "compute.googleapis.com/reservation-name"
        affinity["values"] = draw(st.lists(st.sampled_from(RESERVATION_NAMES), min_size=1, max_size=2, unique=True))
    return affinity


@st.composite
def machine_specs(draw: st.DrawFn, machine_types: st.SearchStrategy[str] | None = None) -> Dict:
    """A ``MachineSpec`` a resource pool accepts: an accelerator type always comes with a count.

    The optional fields (GPU partitions, TPU topology, reservation affinity) are drawn rarely;
    an empty ``reservationAffinity`` message, which means the same as none, is drawn too.
    """
    spec: Dict = {"machineType": draw(st.sampled_from(MACHINE_TYPES) if machine_types is None else machine_types)}
    if draw(st.booleans()):
        spec["acceleratorType"] = draw(st.sampled_from(ACCELERATORS))
        spec["acceleratorCount"] = draw(st.sampled_from(ACCELERATOR_COUNTS))
    extras = draw(st.sets(st.sampled_from(("tpuTopology", "gpuPartitionSize", "reservationAffinity", "empty"))))
    if "tpuTopology" in extras:
        spec["tpuTopology"] = draw(st.sampled_from(TPU_TOPOLOGIES))
    if "gpuPartitionSize" in extras:
        spec["gpuPartitionSize"] = draw(st.sampled_from(GPU_PARTITIONS))
    if "reservationAffinity" in extras:
        spec["reservationAffinity"] = draw(reservation_affinities())
    elif "empty" in extras:
        spec["reservationAffinity"] = {}
    return canonical("MachineSpec", spec)


@st.composite
def disk_specs(draw: st.DrawFn) -> Dict | None:
    """A ``DiskSpec`` as a user writes it: absent, empty, or with any of its two fields omitted."""
    if draw(st.booleans()):
        return None
    body: Dict = {}
    if draw(st.booleans()):
        body["bootDiskType"] = draw(st.sampled_from(BOOT_DISK_TYPES))
    if draw(st.booleans()):
        body["bootDiskSizeGb"] = draw(st.sampled_from(DISK_SIZES))
    return canonical("DiskSpec", body)


@st.composite
def same_disk_written_differently(draw: st.DrawFn, machine_spec: Dict, disk_spec: Dict | None) -> Dict | None:
    """Another way to write the same effective disk: a default value may be spelt out or omitted."""
    effective = documented_disk(machine_spec, disk_spec)
    default = documented_disk(machine_spec, None)
    body: Dict = {}
    for key, value in effective.items():
        if value != default[key] or draw(st.booleans()):
            body[key] = value
    if not body and draw(st.booleans()):
        return None
    return canonical("DiskSpec", body)


@dataclass(frozen=True)
class Hardware:
    """What a worker pool must share with a resource pool: a machine spec and a disk spec."""

    machine: Dict
    disk: Dict | None

    def effective(self) -> Dict:
        """The spec as compared, empty messages dropped and disk defaults filled in."""
        return {"machineSpec": _without_empty(self.machine), "diskSpec": documented_disk(self.machine, self.disk)}


def _without_empty(message: Dict) -> Dict:
    return {key: value for key, value in message.items() if value != {}}


@st.composite
def written_differently(draw: st.DrawFn, spec: Hardware) -> Hardware:
    """The same effective spec written another way: an empty message dropped or added, and the
    disk's default values spelt out or omitted."""
    machine = dict(spec.machine)
    if machine.get("reservationAffinity") == {}:
        if draw(st.booleans()):
            del machine["reservationAffinity"]
    elif "reservationAffinity" not in machine and draw(st.booleans()):
        machine["reservationAffinity"] = {}
    return Hardware(machine, draw(same_disk_written_differently(spec.machine, spec.disk)))


def hardware(machine_types: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Hardware]:
    return st.builds(Hardware, machine_specs(machine_types), disk_specs())


# ------------------------------------------------------------------- one field of a spec changed


def _field_values() -> dict[str, tuple[Any, ...]]:
    """Values each leaf field of ``MachineSpec`` / ``DiskSpec`` may take; None means unset.

    The boot disk fields are never unset here: unset means the default, which may be no change.
    """
    values: dict[str, tuple[Any, ...]] = {
        "machineType": MACHINE_TYPES,
        "acceleratorType": ACCELERATORS,
        "acceleratorCount": ACCELERATOR_COUNTS,
        "gpuPartitionSize": GPU_PARTITIONS,
        "tpuTopology": TPU_TOPOLOGIES,
        "reservationAffinity.reservationAffinityType": RESERVATION_TYPES,
        "reservationAffinity.key": ("compute.googleapis.com/reservation-name",),
        "reservationAffinity.values": (["r-alpha"], ["r-beta"], list(RESERVATION_NAMES)),
        "bootDiskType": BOOT_DISK_TYPES,
        "bootDiskSizeGb": DISK_SIZES,
    }
    required = {"machineType", "reservationAffinity.reservationAffinityType", "bootDiskType", "bootDiskSizeGb"}
    return {path: options if path in required else (None, *options) for path, options in values.items()}


FIELD_VALUES = _field_values()


def leaf_paths(descriptor: Any, prefix: str = "") -> list[str]:
    """The dotted camelCase paths of a message's scalar, enum and repeated fields."""
    paths = []
    for field in descriptor.fields:
        path = f"{prefix}{field.json_name}"
        if field.message_type is not None and not field.is_repeated:
            paths += leaf_paths(field.message_type, f"{path}.")
        else:
            paths.append(path)
    return paths


MACHINE_FIELDS = leaf_paths(types.MachineSpec.pb().DESCRIPTOR)
DISK_FIELDS = leaf_paths(types.DiskSpec.pb().DESCRIPTOR)


def _set(message: Dict, path: str, value: Any) -> Dict:
    head, _, rest = path.partition(".")
    changed = dict(message)
    if rest:
        changed[head] = _set(dict(changed.get(head) or {}), rest, value)
    elif value is None:
        changed.pop(head, None)
    else:
        changed[head] = value
    return changed


def _get(message: Dict, path: str) -> Any:
    for part in path.split("."):
        message = (message or {}).get(part)
    return message


@dataclass(frozen=True)
class Change:
    """One field of an effective spec set to another value (None: the field unset)."""

    section: str
    path: str
    value: Any

    @property
    def field_path(self) -> str:
        """The snake_case path of the changed field under a worker pool, as errors name it."""
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in f"{self.section}.{self.path}")

    def apply(self, spec: Hardware) -> Hardware:
        machine, disk = spec.effective().values()
        if self.section == "machineSpec":
            return Hardware(canonical("MachineSpec", _set(machine, self.path, self.value)), disk)
        return Hardware(machine, canonical("DiskSpec", _set(disk, self.path, self.value)))


@st.composite
def one_field_changes(draw: st.DrawFn, spec: Hardware) -> Change:
    """A change of exactly one leaf field of the effective spec, to a value it does not have.

    The disk is written out in full after a change so that a new machine type cannot also move
    the disk's default (A3 Ultra machines boot from another disk type).
    """
    section, fields = draw(st.sampled_from((("machineSpec", MACHINE_FIELDS), ("diskSpec", DISK_FIELDS))))
    path = draw(st.sampled_from(fields))
    current = _get(spec.effective()[section], path)
    value = draw(st.sampled_from([new for new in FIELD_VALUES[path] if new != current]))
    return Change(section, path, value)


# ----------------------------------------------------------------------- pools and resources


@st.composite
def resource_pools(
    draw: st.DrawFn, pool_id: str, spec: Hardware, autoscaled: bool | None = None, max_replicas: int = 8
) -> Dict:
    """A ``ResourcePool``: a fixed number of replicas, or an autoscaling range (min < max)."""
    pool: Dict = {"id": pool_id, "machineSpec": spec.machine}
    if spec.disk is not None:
        pool["diskSpec"] = spec.disk
    if autoscaled is None:
        autoscaled = draw(st.booleans())
    if autoscaled:
        low = draw(st.integers(1, max_replicas // 2))
        high = draw(st.integers(low + 1, max_replicas))
        pool["autoscalingSpec"] = {"minReplicaCount": str(low), "maxReplicaCount": str(high)}
        if draw(st.booleans()):
            pool["replicaCount"] = str(draw(st.integers(low, high)))
    else:
        pool["replicaCount"] = str(draw(st.integers(1, max_replicas)))
    return canonical("ResourcePool", pool)


def capacity(pool: Dict) -> int:
    """The most replicas a pool gives, from the docs: its max_replica_count, else its replica_count."""
    return int(pool.get("autoscalingSpec", {}).get("maxReplicaCount") or pool["replicaCount"])


@st.composite
def persistent_resources(
    draw: st.DrawFn, max_pools: int = 4, shared_hardware: bool = False, max_replicas: int = 8
) -> Dict:
    """A RUNNING ``PersistentResource`` as the admission rule reads it (name, state, pools).

    By default every pool has its own hardware (its own machine type); ``shared_hardware`` lets
    pools repeat one, the case where a worker pool may go to more than one pool.
    """
    machine_types = draw(st.lists(st.sampled_from(MACHINE_TYPES), min_size=1, max_size=max_pools, unique=True))
    specs: list[Hardware] = []
    for machine_type in machine_types:
        if shared_hardware and specs and draw(st.booleans()):
            specs.append(draw(st.sampled_from(specs)))
        else:
            specs.append(draw(hardware(st.just(machine_type))))
    pools = [draw(resource_pools(f"pool-{index}", spec, max_replicas=max_replicas)) for index, spec in enumerate(specs)]
    return {
        "name": "projects/p/locations/us-central1/persistentResources/pr",
        "state": "RUNNING",
        "resourcePools": pools,
    }


def hardware_of(pool: Dict) -> Hardware:
    return Hardware(pool["machineSpec"], pool.get("diskSpec"))


# ----------------------------------------------------------------------------------- jobs


@st.composite
def worker_pools(draw: st.DrawFn, spec: Hardware, replicas: st.SearchStrategy[int] | None = None) -> Dict:
    """A ``WorkerPoolSpec`` on ``spec``'s hardware; its disk may be written any equivalent way."""
    worker: Dict = {
        "machineSpec": spec.machine,
        "replicaCount": str(draw(st.integers(1, 4) if replicas is None else replicas)),
        "containerSpec": {"imageUri": IMAGE},
    }
    disk = draw(same_disk_written_differently(spec.machine, spec.disk))
    if disk is not None:
        worker["diskSpec"] = disk
    return worker


def custom_job(workers: list[Dict], resource_id: str = "pr") -> Dict:
    """A ``CustomJob`` with these worker pool specs ({} is a skipped slot), on ``resource_id``."""
    return canonical(
        "CustomJob",
        {"displayName": "train", "jobSpec": {"workerPoolSpecs": workers, "persistentResourceId": resource_id}},
    )


@st.composite
def jobs_for(draw: st.DrawFn, resource: Dict, max_workers: int = 3, max_replicas: int = 4) -> Dict:
    """A single-node (one worker pool) or distributed job whose worker pools each match a pool.

    Distributed jobs may skip a slot after the first with an empty worker pool spec.
    """
    pools = resource["resourcePools"]
    count = draw(st.integers(1, max_workers))
    workers: list[Dict] = []
    for index in range(count):
        if index > 0 and draw(st.integers(0, 4)) == 0:
            workers.append({})
            continue
        pool = draw(st.sampled_from(pools))
        workers.append(draw(worker_pools(hardware_of(pool), st.integers(1, max_replicas))))
    return custom_job(workers)
