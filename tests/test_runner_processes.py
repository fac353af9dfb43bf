"""Replica processes of local execution: outcomes, failure texts, stops, and nothing left behind.

These tests drive the execution engine directly with a stand-in for the service's ``finish_job``;
they wait on the processes, always with a bound.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.local_execution import wait_gone
from vertex_emulator.runner import launch
from vertex_emulator.runner.execution import ExecutionOptions, LocalExecution
from vertex_emulator.runner.processes import group_alive

BOUND = 30.0
JOB = "projects/p/locations/us-central1/customJobs/{}"


class Ends:
    """What the service would be told: one (state, error) per job, waited for with a bound."""

    def __init__(self) -> None:
        self.ended: dict[str, tuple[str, Any]] = {}
        self.cond = threading.Condition()

    def finish_job(self, name: str, state: str, error: dict[str, Any] | None) -> None:
        with self.cond:
            self.ended[name] = (state, error)
            self.cond.notify_all()

    def wait(self, name: str) -> tuple[str, Any]:
        with self.cond:
            assert self.cond.wait_for(lambda: name in self.ended, BOUND), f"{name} did not end"
            return self.ended[name]


@pytest.fixture
def execution(tmp_path: Path) -> Iterator[tuple[LocalExecution, Ends]]:
    ends = Ends()
    runner = LocalExecution(
        ExecutionOptions(
            launch=launch.LaunchOptions(images={"sleeper:1": f"{sys.executable} -c 'import time; time.sleep(60)'"}),
            grace=1.0,
            max_processes=4,
            work_dir=tmp_path,
        )
    )
    runner.bind(ends)
    yield runner, ends
    runner.close()


def pool(code: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "machineSpec": {"machineType": "n1-standard-4"},
        "replicaCount": str(replicas),
        "containerSpec": {"imageUri": "trainer:1", "command": [sys.executable, "-c", textwrap.dedent(code)]},
    }


def job(number: int, *pools: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(name=JOB.format(number), spec={"jobSpec": {"workerPoolSpecs": list(pools)}})


def wait_for_pids(runner: LocalExecution, name: str, count: int) -> list[int]:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        pids = runner.pids(name)
        if len(pids) == count:
            return pids
        time.sleep(0.01)
    raise AssertionError(f"{name} did not start {count} processes")


def test_the_primary_exiting_zero_succeeds_and_stops_the_others(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    one = job(1, pool("import time; time.sleep(0.5)"), pool("import time; time.sleep(60)"))
    runner.started(one, 0)
    pids = wait_for_pids(runner, one.name, 2)
    assert ends.wait(one.name) == ("JOB_STATE_SUCCEEDED", None)
    assert wait_gone(pids)


def test_a_replica_exiting_non_zero_fails_the_job_with_the_real_text(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    failing = "import sys, time; time.sleep(0.2); print('Traceback (most recent call last):', file=sys.stderr); "
    failing += "print('ValueError: bad shape', file=sys.stderr); sys.exit(3)"
    two = job(2, pool("import time; time.sleep(60)"), pool(failing))
    runner.started(two, 0)
    state, error = ends.wait(two.name)
    assert state == "JOB_STATE_FAILED" and error["code"] == 3
    head, rest = error["message"].split("\n", 1)
    assert head == "The replica workerpool1-0 exited with a non-zero status of 3. Termination reason: Error. "
    assert rest.startswith("Traceback (most recent call last):\nValueError: bad shape\n\n")
    assert rest.endswith(
        "gcloud ai custom-jobs stream-logs 2 --region=us-central1 (the emulator serves them at POST /v2/entries:list)"
    )
    tasks = {(entry.task_name, entry.severity, entry.message) for entry in runner.logs.entries()}
    assert ("workerpool1-0", "ERROR", "ValueError: bad shape") in tasks
    assert ("service", "INFO", "Job is running.") in tasks


def test_a_stop_terms_then_kills_and_leaves_no_process(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    )
    three = job(3, pool(stubborn), pool("import time; time.sleep(60)", replicas=2))
    runner.started(three, 0)
    pids = wait_for_pids(runner, three.name, 3)
    runner.stopped(three, "cancelled", 0)
    assert ends.wait(three.name) == ("JOB_STATE_CANCELLED", None)
    assert wait_gone(pids)


def test_an_image_without_command_or_mapping_fails_naming_the_flag(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    unmapped = {**pool(""), "containerSpec": {"imageUri": "gcr.io/p/trainer:2"}}
    runner.started(job(4, unmapped), 0)
    state, error = ends.wait(JOB.format(4))
    assert state == "JOB_STATE_FAILED"
    assert error["message"] == (
        "The replica workerpool0-0 could not start: The image gcr.io/p/trainer:2 names no command and no container "
        "engine runs here: map it to a local command with --image gcr.io/p/trainer:2=COMMAND "
        "(vertex-emulator serve --execution local)."
    )


def test_a_mapped_image_runs_its_local_command(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    mapped = job(5, {**pool(""), "containerSpec": {"imageUri": "sleeper:1"}})
    runner.started(mapped, 0)
    pids = wait_for_pids(runner, mapped.name, 1)
    runner.stopped(mapped, "resource deleted", 0)
    assert runner.wait_idle(BOUND)
    assert mapped.name not in ends.ended
    assert wait_gone(pids)


def test_jobs_beyond_max_processes_wait_and_one_too_large_fails(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    big = job(6, pool("import time; time.sleep(60)", replicas=3))
    runner.started(big, 0)
    wait_for_pids(runner, big.name, 3)
    waiting = job(7, pool("print('ran')", replicas=2))
    runner.started(waiting, 0)
    assert runner.pids(waiting.name) == []
    runner.started(job(8, pool("", replicas=5)), 0)
    state, error = ends.wait(JOB.format(8))
    assert state == "JOB_STATE_FAILED" and "--max-processes" in error["message"]
    runner.stopped(big, "cancelled", 0)
    assert ends.wait(waiting.name) == ("JOB_STATE_SUCCEEDED", None)
    messages = [entry.message for entry in runner.logs.entries() if entry.job_id == "7"]
    assert messages[0] == "Waiting for 2 free local process slots (--max-processes)."


def _sdist(folder: Path) -> Path:
    source = folder / "src"
    (source / "trainer").mkdir(parents=True)
    (source / "trainer" / "__init__.py").write_text("")
    (source / "trainer" / "task.py").write_text(
        "import os, sys\nprint('args', sys.argv[1:], os.environ['CLOUD_ML_JOB_ID'])\n"
    )
    (source / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='trainer', version='0.1', packages=['trainer'])\n"
    )
    archive = folder / "trainer-0.1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="trainer-0.1")
    return archive


def test_a_python_package_is_installed_offline_and_run_as_a_module(
    execution: tuple[LocalExecution, Ends], tmp_path: Path
) -> None:
    runner, ends = execution
    package = {
        "machineSpec": {"machineType": "n1-standard-4"},
        "replicaCount": "1",
        "pythonPackageSpec": {
            "executorImageUri": "us-docker.pkg.dev/vertex-ai/training/pytorch-cpu.2-4:latest",
            "packageUris": [str(_sdist(tmp_path))],
            "pythonModule": "trainer.task",
            "args": ["--epochs=2"],
        },
    }
    runner.started(job(9, package), 0)
    assert ends.wait(JOB.format(9)) == ("JOB_STATE_SUCCEEDED", None)
    lines = [entry.message for entry in runner.logs.entries() if entry.task_name == "workerpool0-0"]
    assert lines == ["args ['--epochs=2'] 9"]


KEEPER = """
import sys, time
from types import SimpleNamespace
from vertex_emulator.runner.execution import LocalExecution
runner = LocalExecution()
spec = {"workerPoolSpecs": [{"machineSpec": {"machineType": "n1"}, "replicaCount": "2",
        "containerSpec": {"imageUri": "x", "command": [sys.executable, "-c", "import time; time.sleep(120)"]}}]}
runner.started(SimpleNamespace(name="projects/p/locations/l/customJobs/1", spec={"jobSpec": spec}), 0)
while len(runner.pids("projects/p/locations/l/customJobs/1")) < 2:
    time.sleep(0.01)
print(" ".join(map(str, runner.pids("projects/p/locations/l/customJobs/1"))), flush=True)
time.sleep(120)
"""


def test_no_replica_outlives_an_emulator_killed_with_sigkill() -> None:
    keeper = subprocess.Popen([sys.executable, "-c", KEEPER], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in keeper.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(pids) == 2 and all(group_alive(pid) for pid in pids)
        os.kill(keeper.pid, signal.SIGKILL)
        keeper.wait(BOUND)
        assert wait_gone(pids)
    finally:
        keeper.kill()
        keeper.wait(BOUND)


def test_a_json_log_line_keeps_its_payload(execution: tuple[LocalExecution, Ends]) -> None:
    runner, ends = execution
    line = json.dumps({"severity": "WARNING", "message": "lr dropped", "lr": 0.1})
    runner.started(job(10, pool(f"print({line!r})")), 0)
    assert ends.wait(JOB.format(10))[0] == "JOB_STATE_SUCCEEDED"
    [entry] = [entry for entry in runner.logs.entries() if entry.task_name == "workerpool0-0"]
    assert entry.severity == "WARNING" and entry.payload == {"message": "lr dropped", "lr": 0.1}
