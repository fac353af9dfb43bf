"""``pytest --vertex-execution local``: the fixtures' jobs run their replicas, the SDK sees the outcome."""

from __future__ import annotations

import sys

# In-process pytester runs drop the modules they import; the official types are imported once, here.
import google.cloud.aiplatform  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

PROJECT_TESTS = f"""
import pytest
from google.cloud import aiplatform

MACHINE = {{"machine_type": "n1-standard-4"}}
RESOURCE = {{"resource_pools": [{{"id": "pool", "machine_spec": MACHINE, "replica_count": 1}}]}}


def pools(code):
    task = {{"image_uri": "gcr.io/p/trainer:1", "command": [{sys.executable!r}, "-c", code]}}
    return [{{"machine_spec": MACHINE, "replica_count": 1, "container_spec": task}}]


def test_the_sdk_runs_a_job_whose_replica_runs_here(vertex_emulator_server):
    vertex_emulator_server.client.create_persistent_resource("pr", RESOURCE)
    code = "import os; print('job', os.environ['CLOUD_ML_JOB_ID'], 'storage', os.environ['STORAGE_EMULATOR_HOST'])"
    job = aiplatform.CustomJob(display_name="local", worker_pool_specs=pools(code), persistent_resource_id="pr")
    job.run()
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    logs = vertex_emulator_server.service.execution.logs
    [line] = [entry.message for entry in logs.entries() if entry.task_name == "workerpool0-0"]
    assert line == f"job {{job.name}} storage {{vertex_emulator_server.storage.url}}"


def test_a_failing_replica_is_the_sdk_s_error(vertex_emulator_server):
    vertex_emulator_server.client.create_persistent_resource("pr", RESOURCE)
    bad = pools("raise SystemExit(7)")
    job = aiplatform.CustomJob(display_name="bad", worker_pool_specs=bad, persistent_resource_id="pr")
    with pytest.raises(RuntimeError, match="The replica workerpool0-0 exited with a non-zero status of 7"):
        job.run()
"""


def test_local_execution_is_an_option_of_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=PROJECT_TESTS)
    result = pytester.runpytest_inprocess("-q", "--vertex-execution", "local")
    result.assert_outcomes(passed=2)
