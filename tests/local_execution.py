"""Helpers of the local-execution tests: an emulator whose jobs run as processes, and job bodies."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import PARENT, new_service
from vertex_emulator.runner import launch
from vertex_emulator.runner.execution import ExecutionOptions, LocalExecution, attach
from vertex_emulator.runner.processes import group_alive
from vertex_emulator.service import Service

BOUND = 60.0
"""How long a test waits for processes, at most."""
MACHINE = {"machineType": "n1-standard-4"}


def wait_gone(pids: list[int]) -> bool:
    """Whether every process group is gone within ``BOUND``: a killed replica can linger for a
    moment as a zombie of its supervisor after the job has ended, and ``killpg(pgid, 0)`` still
    finds a zombie."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        if not any(group_alive(pid) for pid in pids):
            return True
        time.sleep(0.02)
    return False


@contextmanager
def local_service(
    tmp_path: Path, storage_host: str | None = None, **settings: Any
) -> Iterator[tuple[Service, LocalExecution]]:
    """A manual-clock emulator with local execution; every process it started is gone after."""
    service = new_service(job_duration=None, **settings)
    execution = LocalExecution(
        ExecutionOptions(
            launch=launch.LaunchOptions(storage_host=storage_host),
            grace=1.0,
            work_dir=tmp_path / "jobs",
            cwd=str(tmp_path),
        )
    )
    attach(service, execution)
    try:
        yield service, execution
    finally:
        service.close()
        execution.close()


def python_pool(code: str, replicas: int = 1, **extra: Any) -> dict[str, Any]:
    """A worker pool whose replicas run ``code`` with this interpreter."""
    return {
        "machineSpec": MACHINE,
        "replicaCount": str(replicas),
        "containerSpec": {
            "imageUri": "gcr.io/p/trainer:1",
            "command": [sys.executable, "-c", textwrap.dedent(code)],
            **extra,
        },
    }


def custom_job(*pools: dict[str, Any], resource: str | None = "cpu", **job_spec: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"workerPoolSpecs": list(pools), **job_spec}
    if resource:
        spec["persistentResourceId"] = resource
    return {"displayName": "local", "jobSpec": spec}


def cpu_resource(service: Service, replicas: int = 4) -> None:
    service.seed_resource(
        PARENT, "cpu", {"resourcePools": [{"id": "cpu", "machineSpec": MACHINE, "replicaCount": str(replicas)}]}
    )


def run_to_end(service: Service, execution: LocalExecution, name: str) -> Any:
    """Let the job start, wait (bounded) for its processes to end, and return the job."""
    service.get_job(name)
    assert execution.wait_idle(BOUND), "the job's processes did not end in time"
    return service.get_job(name)
