"""``serve --execution local`` as users run it: refused beyond loopback, announced, and no replica
process outlives it, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.local_execution import BOUND, MACHINE
from tests.serving import serve_to_the_end, serving
from vertex_emulator.runner.processes import group_alive

PARENT = "projects/my-project/locations/us-central1"


def test_serve_refuses_local_execution_beyond_loopback() -> None:
    refused = serve_to_the_end("--execution", "local", "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode == 2
    assert "--allow-remote-execution" in refused.stderr


def _wait_for_files(folder: Path, count: int) -> list[Path]:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        found = sorted(folder.glob("*.pgid"))
        if len(found) == count and all(path.read_text() for path in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} replicas did not start")


def test_no_replica_outlives_serve_killed_with_sigkill(tmp_path: Path) -> None:
    script = (
        "import os, pathlib, time; "
        f"pathlib.Path({str(tmp_path)!r}, os.environ['CLOUD_ML_JOB_ID'] + os.environ.get('RANK', '0') + '.pgid')"
        ".write_text(str(os.getpgrp())); time.sleep(120)"
    )
    delays = ["--provision-delay", "0", "--job-queued-delay", "0", "--job-pending-delay", "0"]
    with serving("--execution", "local", *delays) as (process, url):
        pool = {"machineSpec": MACHINE, "replicaCount": "2"}
        created = requests.post(
            f"{url}/v1/{PARENT}/persistentResources?persistentResourceId=cpu",
            json={"resourcePools": [{**pool, "id": "cpu"}]},
            timeout=30,
        )
        assert created.status_code == 200, created.text
        task = {"imageUri": "gcr.io/p/trainer:1", "command": [sys.executable, "-c", script]}
        body = {
            "displayName": "sleepers",
            "jobSpec": {"persistentResourceId": "cpu", "workerPoolSpecs": [{**pool, "containerSpec": task}]},
        }
        deadline = time.monotonic() + BOUND
        while True:
            answer = requests.post(f"{url}/v1/{PARENT}/customJobs", json=body, timeout=30)
            if answer.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)  # the resource is provisioning on the real clock
        assert answer.status_code == 200, answer.text
        groups = [int(path.read_text()) for path in _wait_for_files(tmp_path, 2)]
        assert all(group_alive(group) for group in groups)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(BOUND)
        deadline = time.monotonic() + BOUND
        while any(group_alive(group) for group in groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(group_alive(group) for group in groups)
        assert "local execution is ON" in process.stderr.read()  # type: ignore[union-attr]


LAUNCHER = """
import json, os, sys, time, urllib.request

base = "http://" + os.environ["VERTEX_AI_EMULATOR_HOST"] + "/v1/projects/my-project/locations/us-central1"


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


pool = {"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"}
call("POST", "/persistentResources?persistentResourceId=cpu", {"resourcePools": [{**pool, "id": "cpu"}]})
code = "import os, pathlib; pathlib.Path('ran-' + os.environ['CLOUD_ML_JOB_ID']).touch()"
task = {"imageUri": "gcr.io/p/trainer:1", "command": [sys.executable, "-c", code]}
spec = {"persistentResourceId": "cpu", "workerPoolSpecs": [{**pool, "containerSpec": task}]}
body = {"displayName": "exec", "jobSpec": spec}
deadline = time.monotonic() + 60
while True:
    try:
        job = call("POST", "/customJobs", body)
        break
    except urllib.error.HTTPError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
while job["state"] not in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED") and time.monotonic() < deadline:
    time.sleep(0.05)
    job = call("GET", "/customJobs/" + job["name"].rsplit("/", 1)[1])
print("STATE", job["state"], job["name"].rsplit("/", 1)[1])
"""


def test_exec_runs_a_launcher_whose_job_runs_locally(tmp_path: Path) -> None:
    (tmp_path / "launcher.py").write_text(LAUNCHER)
    done = subprocess.run(
        [sys.executable, "-m", "vertex_emulator", "exec", "--execution", "local", "--", sys.executable, "launcher.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    _, state, job_id = done.stdout.split()
    assert state == "JOB_STATE_SUCCEEDED"
    assert (tmp_path / f"ran-{job_id}").exists()
    assert "local execution is ON" in done.stderr
