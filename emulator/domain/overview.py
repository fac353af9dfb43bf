"""What the web page shows at a glance: each scope's resources, their pools, who holds and who waits.

The real API says how many replicas a pool uses but not which jobs use them, nor who waits for
them; that is exactly what a user asks ("why is my job not running?"), so this read-only summary
adds it. It is built from the records as they are, never stored, so it cannot disagree with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vertex_emulator.clock import rfc3339
from vertex_emulator.domain import specs
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.names import Scope, last_id, parent_of

FindJob = Callable[[str], CustomJob | None]


def _job_ref(name: str, job: CustomJob | None, replicas: int) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "replicas": replicas}
    if job is not None:
        ref["displayName"] = job.display_name
        ref["state"] = job.state
    return ref


def _waiting_by_pool(resource: PersistentResource, find_job: FindJob) -> dict[str, list[dict[str, Any]]]:
    """Queued jobs per pool they could run on, in the first-in-first-out order they will start in."""
    view = resource.admission_view()
    waiting: dict[str, list[dict[str, Any]]] = {pool["id"]: [] for pool in resource.pools}
    for name in resource.queue:
        job = find_job(name)
        if job is None:
            continue
        for pool_id, replicas in sorted(resource.queue.wanted(name, job.spec, view).items()):
            waiting[pool_id].append({**_job_ref(name, job, replicas), "position": len(waiting[pool_id]) + 1})
    return waiting


def pool_overview(
    resource: PersistentResource, pool: dict[str, Any], find_job: FindJob, queued: list[dict[str, Any]]
) -> dict[str, Any]:
    pool_id = pool["id"]
    machine = pool.get("machineSpec") or {}
    disk = pool.get("diskSpec") or {}
    autoscaling = pool.get("autoscalingSpec")
    return {
        "id": pool_id,
        "machineType": machine.get("machineType", ""),
        "acceleratorType": machine.get("acceleratorType", ""),
        "acceleratorCount": int(machine.get("acceleratorCount") or 0),
        "bootDiskType": disk.get("bootDiskType", ""),
        "bootDiskSizeGb": int(disk.get("bootDiskSizeGb") or 0),
        "autoscaling": None
        if autoscaling is None
        else {"minReplicaCount": specs.pool_minimum(pool), "maxReplicaCount": specs.pool_capacity(pool)},
        "usedReplicas": resource.used(pool_id),
        "provisionedReplicas": resource.provisioned[pool_id],
        "maxReplicas": specs.pool_capacity(pool),
        "holders": [_job_ref(name, find_job(name), count) for name, count in resource.holders[pool_id].items()],
        "queued": queued,
    }


def resource_overview(resource: PersistentResource, find_job: FindJob) -> dict[str, Any]:
    waiting = _waiting_by_pool(resource, find_job)
    body: dict[str, Any] = {
        "name": resource.name,
        "id": last_id(resource.name),
        "displayName": resource.spec.get("displayName", ""),
        "state": resource.state,
        "createTime": rfc3339(resource.create_time),
        "pools": [pool_overview(resource, pool, find_job, waiting[pool["id"]]) for pool in resource.pools],
    }
    if resource.error:
        body["error"] = resource.error
    return body


def operation_overview(operation: Operation) -> dict[str, Any]:
    return {
        "name": operation.name,
        "kind": operation.metadata_type.removesuffix("OperationMetadata"),
        "target": operation.target,
        "createTime": rfc3339(operation.create_time),
    }


def scope_overview(
    scope: Scope,
    resources: Iterable[PersistentResource],
    jobs: Iterable[CustomJob],
    operations: Iterable[Operation],
    find_job: FindJob,
) -> dict[str, Any]:
    """One project and location: resources in creation order, job counts per state, operations in flight."""
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.state] = counts.get(job.state, 0) + 1
    return {
        "project": scope[0],
        "location": scope[1],
        "parent": parent_of(scope),
        "persistentResources": [
            resource_overview(resource, find_job) for resource in sorted(resources, key=lambda r: r.seq)
        ],
        "jobCounts": dict(sorted(counts.items())),
        "operationsInFlight": [
            operation_overview(operation) for operation in sorted(operations, key=lambda o: o.seq) if not operation.done
        ],
    }
