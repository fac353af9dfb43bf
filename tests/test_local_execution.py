"""Local execution through the service: the environment, outcomes, stops, replicas held, logs."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PARENT
from tests.local_execution import BOUND, cpu_resource, custom_job, local_service, python_pool, run_to_end, wait_gone
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.runner.environment import project_number
from vertex_emulator.runner.execution import LocalExecution
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

DUMP = """
import json, os, pathlib, time
names = ["CLUSTER_SPEC", "TF_CONFIG", "MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "CLOUD_ML_PROJECT_ID",
         "CLOUD_ML_JOB_ID", "CLOUD_ML_REGION", "AIP_MODEL_DIR", "AIP_CHECKPOINT_DIR", "AIP_TENSORBOARD_LOG_DIR",
         "STORAGE_EMULATOR_HOST", "STAGE"]
task = json.loads(os.environ["CLUSTER_SPEC"])["task"]
name = f"{task['type']}-{task['index']}"
pathlib.Path(name + ".json").write_text(json.dumps({key: os.environ.get(key) for key in names}))
# the job ends when the primary exits 0, stopping the others: it waits (bounded) for their files
deadline = time.monotonic() + 30
while task["type"] == "workerpool0" and len(list(pathlib.Path().glob("*.json"))) < 3 and time.monotonic() < deadline:
    time.sleep(0.01)
"""


def wait_until(check: object, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen in time")


SLEEPER = "import time; time.sleep(60)"


def started(service: Service, execution: LocalExecution, *pools: dict[str, Any]) -> tuple[str, list[int]]:
    """Create a job of ``pools`` (one sleeping replica by default), let it start, and return its
    name and its replicas' process groups once they all run."""
    job = service.create_job(PARENT, custom_job(*(pools or [python_pool(SLEEPER)])), "v1")
    service.get_job(job.name)
    count = sum(int(pool["replicaCount"]) for pool in pools) if pools else 1
    wait_until(lambda: len(execution.pids(job.name)) == count, f"{count} replicas")
    return job.name, execution.pids(job.name)


def test_every_variable_of_a_two_pool_job_on_a_persistent_resource(tmp_path: Path) -> None:
    with local_service(tmp_path, storage_host="http://127.0.0.1:9023") as (service, execution):
        cpu_resource(service)
        body = custom_job(
            python_pool(DUMP, env=[{"name": "STAGE", "value": "primary"}]),
            python_pool(DUMP, replicas=2),
            baseOutputDirectory={"outputUriPrefix": "gs://bucket/run/"},
        )
        job = service.create_job(PARENT, body, "v1")
        assert run_to_end(service, execution, job.name).state == "JOB_STATE_SUCCEEDED"
    seen = {path.stem: json.loads(path.read_text()) for path in tmp_path.glob("workerpool*.json")}
    assert sorted(seen) == ["workerpool0-0", "workerpool1-0", "workerpool1-1"]
    job_id = job.name.rsplit("/", 1)[1]
    cluster = json.loads(seen["workerpool1-1"]["CLUSTER_SPEC"])
    addresses = [*cluster["cluster"]["workerpool0"], *cluster["cluster"]["workerpool1"]]
    assert len(addresses) == 3 == len(set(addresses)) and all(a.startswith("127.0.0.1:") for a in addresses)
    assert cluster["environment"] == "cloud" and cluster["task"] == {"type": "workerpool1", "index": 1}
    assert cluster["job"]["persistent_resource_id"] == "cpu"
    assert len(cluster["job"]["worker_pool_specs"]) == 2
    for rank, replica in enumerate(["workerpool0-0", "workerpool1-0", "workerpool1-1"]):
        env = seen[replica]
        tf_config = json.loads(env.pop("TF_CONFIG"))
        assert tf_config["cluster"] == {"chief": addresses[:1], "worker": addresses[1:]}
        assert json.loads(env.pop("CLUSTER_SPEC"))["cluster"] == cluster["cluster"]
        assert env == {
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": addresses[0].split(":")[1],
            "WORLD_SIZE": "3",
            "RANK": str(rank),
            "CLOUD_ML_PROJECT_ID": project_number("my-project"),
            "CLOUD_ML_JOB_ID": job_id,
            "CLOUD_ML_REGION": "us-central1",
            "AIP_MODEL_DIR": "gs://bucket/run/model/",
            "AIP_CHECKPOINT_DIR": "gs://bucket/run/checkpoints/",
            "AIP_TENSORBOARD_LOG_DIR": "gs://bucket/run/logs/",
            "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9023",
            "STAGE": "primary" if rank == 0 else None,
        }


def test_a_failing_replica_fails_the_job_with_the_real_text_and_frees_its_replicas(tmp_path: Path) -> None:
    with local_service(tmp_path) as (service, execution):
        cpu_resource(service)
        failing = "import sys; print('Traceback (most recent call last):', file=sys.stderr); sys.exit(3)"
        body = custom_job(python_pool(SLEEPER), python_pool(failing))
        job = service.create_job(PARENT, body, "v1")
        ended = run_to_end(service, execution, job.name)
        assert ended.state == "JOB_STATE_FAILED" and ended.error["code"] == 3
        assert ended.error["message"].startswith(
            "The replica workerpool1-0 exited with a non-zero status of 3. Termination reason: Error. \n"
            "Traceback (most recent call last):\n\nTo find out more about why your job exited please check the logs: "
        )
        assert (
            service.get_resource(f"{PARENT}/persistentResources/cpu")
            .render()["resourcePools"][0]
            .get("usedReplicaCount", "0")
            == "0"
        )


def test_the_job_holds_its_replicas_while_its_processes_run(tmp_path: Path) -> None:
    with local_service(tmp_path) as (service, execution):
        cpu_resource(service, replicas=2)
        name, _ = started(service, execution, python_pool(SLEEPER, replicas=2))
        assert service.get_job(name).state == "JOB_STATE_RUNNING"
        pool = service.get_resource(f"{PARENT}/persistentResources/cpu").render()["resourcePools"][0]
        assert pool["usedReplicaCount"] == "2"
        service.cancel_job(name)
        assert execution.wait_idle(BOUND)


def test_cancel_stops_every_process_and_ends_cancelled(tmp_path: Path) -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    with local_service(tmp_path, cancel_delay=3600) as (service, execution):
        cpu_resource(service)
        name, pids = started(service, execution, python_pool(stubborn), python_pool(stubborn, replicas=2))
        service.cancel_job(name)
        assert service.get_job(name).state == "JOB_STATE_CANCELLING"
        assert execution.wait_idle(BOUND)
        assert wait_gone(pids)
        assert service.get_job(name).state == "JOB_STATE_CANCELLED"


def test_deleting_the_resource_stops_the_job_s_processes(tmp_path: Path) -> None:
    with local_service(tmp_path) as (service, execution):
        cpu_resource(service)
        name, pids = started(service, execution)
        service.delete_resource(f"{PARENT}/persistentResources/cpu", "v1")
        assert execution.wait_idle(BOUND)
        assert wait_gone(pids)
        assert service.get_job(name).state == "JOB_STATE_CANCELLED"


WORKER = "import pathlib; print('worker up', flush=True); pathlib.Path('worker.done').touch()"
"""A worker that has printed before the primary ends the job (which stops the other replicas)."""


def _configure_gcloud(config: Path, url: str) -> None:
    """A throwaway gcloud configuration, as ``gcloud config set`` writes it (one gcloud start, not five)."""
    (config / "configurations").mkdir(parents=True)
    (config / "active_config").write_text("default")
    (config / "configurations" / "config_default").write_text(
        f"[api_endpoint_overrides]\naiplatform = {url}/\nlogging = {url}/\n"
        "[auth]\ndisable_credentials = true\n[core]\nproject = my-project\n"
    )


def _gcloud(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOUDSDK_CONFIG": str(config), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    return subprocess.run(["gcloud", *args], env=env, capture_output=True, text=True, timeout=120)


def test_logs_through_entries_list_and_the_real_gcloud_stream_logs(tmp_path: Path) -> None:
    import requests

    code = """
    import json, pathlib, sys, time
    deadline = time.monotonic() + 30
    while not pathlib.Path("worker.done").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    print("epoch 1 loss 0.5")
    print(json.dumps({"severity": "WARNING", "message": "learning rate lowered"}))
    print("a warning on stderr", file=sys.stderr)
    """
    with local_service(tmp_path) as (service, execution), ThreadedServer(service) as server:
        cpu_resource(service)
        job = service.create_job(PARENT, custom_job(python_pool(code), python_pool(WORKER)), "v1")
        assert run_to_end(service, execution, job.name).state == "JOB_STATE_SUCCEEDED"
        job_id = job.name.rsplit("/", 1)[1]
        body = {
            "resourceNames": ["projects/my-project"],
            "filter": f'resource.type="ml_job" AND resource.labels.job_id="{job_id}" AND '
            'resource.labels.task_name="workerpool0-0"',
            "orderBy": "timestamp asc",
        }
        entries = requests.post(f"{server.url}/v2/entries:list", json=body, timeout=30).json()["entries"]
        # stdout and stderr are two pipes: their lines interleave in no fixed order
        assert sorted((e["severity"], e.get("textPayload") or e["jsonPayload"]["message"]) for e in entries) == [
            ("ERROR", "a warning on stderr"),
            ("INFO", "epoch 1 loss 0.5"),
            ("WARNING", "learning rate lowered"),
        ]
        labels = {"job_id": job_id, "task_name": "workerpool0-0", "project_id": "my-project"}
        assert all(e["resource"] == {"type": "ml_job", "labels": labels} for e in entries)

        config = tmp_path / "gcloud"
        _configure_gcloud(config, server.url)
        streamed = _gcloud(
            config, "ai", "custom-jobs", "stream-logs", job_id, "--region=us-central1", "--polling-interval=1"
        )
        assert streamed.returncode == 0, streamed.stderr
        lines = [line.split("\t") for line in streamed.stdout.splitlines()]
        printed = {(line[0], line[2], line[3]) for line in lines}
        assert {
            ("INFO", "workerpool0-0", "epoch 1 loss 0.5"),
            ("WARNING", "workerpool0-0", "learning rate lowered"),
            ("ERROR", "workerpool0-0", "a warning on stderr"),
            ("INFO", "workerpool1-0", "worker up"),
            ("INFO", "service", "Job completed successfully."),
        } <= printed


def test_a_reset_stops_the_processes_of_the_jobs_it_forgets(tmp_path: Path) -> None:
    with local_service(tmp_path) as (service, execution):
        cpu_resource(service)
        _, pids = started(service, execution)
        service.reset()
        assert execution.wait_idle(BOUND)
        assert wait_gone(pids)


def test_an_end_on_the_clock_stops_the_processes(tmp_path: Path) -> None:
    """An outcome set for later ends the job on the clock, as ``scheduling.timeout`` does: its
    processes are stopped the same way."""
    with local_service(tmp_path) as (service, execution):
        cpu_resource(service)
        name, pids = started(service, execution)
        service.set_outcome(name, "JOB_STATE_FAILED", {"code": 13, "message": "told"}, None, 5.0)
        service.advance(5)
        assert service.get_job(name).state == "JOB_STATE_FAILED"
        assert execution.wait_idle(BOUND)
        assert wait_gone(pids)
        assert service.get_job(name).error == {"code": 13, "message": "told"}


@pytest.mark.skipif(
    not hasattr(CustomJob, "timeout_error"), reason="scheduling.timeout comes with the fidelity branch (issue 14.5)"
)
def test_scheduling_timeout_stops_every_process_and_ends_the_job_cancelled(tmp_path: Path) -> None:
    with local_service(tmp_path) as (service, execution):
        cpu_resource(service)
        body = custom_job(python_pool(SLEEPER, replicas=2), scheduling={"timeout": "30s"})
        job = service.create_job(PARENT, body, "v1")
        service.get_job(job.name)
        wait_until(lambda: len(execution.pids(job.name)) == 2, "two replicas")
        pids = execution.pids(job.name)
        service.advance(30)
        ended = service.get_job(job.name)
        assert ended.state == "JOB_STATE_CANCELLED" and ended.error["code"] == 4
        assert execution.wait_idle(BOUND)
        assert wait_gone(pids)
