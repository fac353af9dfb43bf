"""The state every benchmark works on: one persistent resource with large pools, and its jobs.

Jobs run until told (``job_duration=None``), so every admitted job keeps holding its replicas and
the replica accounting is exercised at its largest, as on a busy shared resource.
"""

from __future__ import annotations

import json
from typing import Any

from vertex_emulator.clock import ManualClock
from vertex_emulator.domain import jobs
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

PROJECT = "bench-project"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
RESOURCE_ID = "bench"
POOL_REPLICAS = 10_000_000
"""Room for every job a benchmark admits: admission never runs out of replicas."""


def machine_spec(pool: int) -> dict[str, Any]:
    """Pools differ by accelerator count, so each job matches exactly one of them."""
    return {"machineType": "n1-standard-8", "acceleratorType": "NVIDIA_TESLA_T4", "acceleratorCount": pool + 1}


def resource_body(pools: int) -> dict[str, Any]:
    return {
        "displayName": "benchmark resource",
        "resourcePools": [
            {"id": f"pool-{index}", "machineSpec": machine_spec(index), "replicaCount": str(POOL_REPLICAS)}
            for index in range(pools)
        ],
    }


def job_body(pool: int = 0, name: str = "train", resource: bool = True) -> dict[str, Any]:
    """A canonical CustomJob on pool ``pool`` of the benchmark resource (or on no resource), as
    ``wire.parse`` returns one."""
    body: dict[str, Any] = {
        "displayName": name,
        "jobSpec": {
            "workerPoolSpecs": [
                {
                    "machineSpec": machine_spec(pool),
                    "replicaCount": "1",
                    "containerSpec": {"imageUri": "us-docker.pkg.dev/bench/trainer:1", "args": ["--epochs", "3"]},
                }
            ],
        },
        "labels": {"team": "bench"},
    }
    if resource:
        body["jobSpec"]["persistentResourceId"] = RESOURCE_ID
    return body


def service(pools: int = 1) -> Service:
    """A fresh emulator on a manual clock holding the benchmark resource, RUNNING."""
    emulator = Service(clock=ManualClock(), settings=Settings(job_duration=None), seed=1)
    emulator.seed_resource(PARENT, RESOURCE_ID, resource_body(pools))
    return emulator


def fill(emulator: Service, count: int, pools: int = 1, received: bool = False) -> list[str]:
    """Store ``count`` jobs: half active on the resource's pools (spread over them), half ended.

    The ended half runs off the resource: a terminal job holds nothing, so it costs the lists and
    lookups the same either way, and skipping its admission halves the time to fill 10^5 jobs.
    ``received`` gives every job its own strings and dicts, as bodies decoded from requests have
    (what memory per job must count), rather than sharing the literals of one body.
    """
    names = []
    for index in range(count):
        body = job_body(index % pools, resource=not index % 2)
        job = emulator.create_job(PARENT, json.loads(json.dumps(body)) if received else body, "v1")
        if index % 2:
            emulator.set_outcome(job.name, jobs.SUCCEEDED, None, None, None)
        names.append(job.name)
    return names
