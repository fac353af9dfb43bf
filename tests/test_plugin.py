"""The pytest plugin, used by a test project in a temporary folder: both fixtures on the emulator,
the switch to the real endpoint (against a ``responses`` mock of it), and the README's example."""

from __future__ import annotations

import re
from pathlib import Path

# In-process pytester runs drop the modules they import; the official types cannot be imported
# twice (their descriptors are registered once per process), so they are imported here, first.
import google.cloud.aiplatform  # noqa: F401
import pytest
import vertexai.resources.preview  # noqa: F401

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"

RESOURCE = """
MACHINE = {"machine_type": "n1-standard-4"}
RESOURCE = {"resource_pools": [{"id": "pool", "machine_spec": MACHINE, "replica_count": 1}]}
WORKER_POOLS = [{"machine_spec": MACHINE, "replica_count": 1, "container_spec": {"image_uri": "gcr.io/p/trainer:1"}}]
"""

ON_THE_EMULATOR = (
    """
import os

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform

from vertex_emulator import JobFailed, VertexClient
"""
    + RESOURCE
    + """
RUNNING = aiplatform.gapic.JobState.JOB_STATE_RUNNING
SUCCEEDED = aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED


def test_sdk_and_client_share_a_fresh_in_process_emulator(vertex_emulator):
    assert vertex_emulator.is_emulator
    vertex_emulator.client.create_persistent_resource("my-pr", RESOURCE)
    job = aiplatform.CustomJob(display_name="sdk", worker_pool_specs=WORKER_POOLS, persistent_resource_id="my-pr")
    job.run()
    assert job.state == SUCCEEDED
    vertex_emulator.advance(60)


@pytest.mark.vertex_emulator(job_duration=None)
def test_the_marker_keeps_jobs_running_until_the_test_decides(vertex_emulator):
    vertex_emulator.client.create_persistent_resource("my-pr", RESOURCE)
    doomed = vertex_emulator.client.submit_job({"workerPoolSpecs": WORKER_POOLS}, persistent_resource_id="my-pr")
    assert vertex_emulator.client.get_job(doomed).state == RUNNING
    vertex_emulator.set_outcome(doomed, "JOB_STATE_FAILED", {"code": 8, "message": "out of memory"})
    with pytest.raises(JobFailed, match="out of memory"):
        vertex_emulator.client.wait_job(doomed, timeout=5)

    late = vertex_emulator.client.submit_job({"workerPoolSpecs": WORKER_POOLS}, persistent_resource_id="my-pr")
    vertex_emulator.set_outcome(late, after=60)
    vertex_emulator.advance(59)
    assert vertex_emulator.client.get_job(late).state == RUNNING
    vertex_emulator.advance(1)
    assert vertex_emulator.client.get_job(late).state == SUCCEEDED

    job = aiplatform.CustomJob(display_name="sdk", worker_pool_specs=WORKER_POOLS, persistent_resource_id="my-pr")
    job.submit()
    vertex_emulator.set_outcome(job.resource_name, "JOB_STATE_FAILED", {"code": 13, "message": "worker died"})
    with pytest.raises(RuntimeError, match="worker died"):
        job.wait_for_completion()


def test_the_harness_raises_the_official_exceptions(vertex_emulator):
    vertex_emulator.client.create_persistent_resource("my-pr", RESOURCE)
    ended = vertex_emulator.client.submit_job({"workerPoolSpecs": WORKER_POOLS}, persistent_resource_id="my-pr")
    with pytest.raises(exceptions.BadRequest, match="already decided"):
        vertex_emulator.set_outcome(ended, "JOB_STATE_FAILED", {"code": 8, "message": "too late"})
    with pytest.raises(exceptions.NotFound):
        vertex_emulator.set_outcome("no-such-job", "JOB_STATE_FAILED")
    with pytest.raises(exceptions.BadRequest):
        vertex_emulator.advance(-1)


def test_each_test_starts_from_nothing(vertex_emulator):
    assert vertex_emulator.client.list_persistent_resources() == []
    assert aiplatform.CustomJob.list() == []


@pytest.mark.vertex_emulator(job_duration=None)
def test_a_served_emulator_on_a_free_port(vertex_emulator_server):
    host = os.environ["VERTEX_AI_EMULATOR_HOST"]
    assert vertex_emulator_server.url == f"http://{host}"
    VertexClient("my-project").create_persistent_resource("served-pr", RESOURCE)
    assert [r.name for r in vertex_emulator_server.client.list_persistent_resources()] == [
        "projects/my-project/locations/us-central1/persistentResources/served-pr"
    ]
    job = aiplatform.CustomJob(display_name="sdk", worker_pool_specs=WORKER_POOLS, persistent_resource_id="served-pr")
    job.submit()
    assert vertex_emulator_server.client.get_job(job.resource_name).state == RUNNING
    vertex_emulator_server.set_outcome(job.resource_name)
    job.wait_for_completion()
    assert job.state == SUCCEEDED
    with pytest.raises(exceptions.BadRequest, match="already decided"):
        vertex_emulator_server.set_outcome(job.resource_name, "JOB_STATE_FAILED")
"""
)

REAL_CONFTEST = """
import pytest
import responses
from google.oauth2.credentials import Credentials

HOST = "https://us-central1-aiplatform.googleapis.com"
PARENT = "projects/real-project/locations/us-central1"


@pytest.fixture
def vertex_credentials():
    return Credentials(token="ya29.from-adc")


@pytest.fixture(autouse=True)
def real_endpoint():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            f"{HOST}/v1/{PARENT}/persistentResources",
            json={"persistentResources": [{"name": f"{PARENT}/persistentResources/prod", "state": "RUNNING"}]},
        )
        mock.get(f"{HOST}/v1/{PARENT}/customJobs", json={})
        yield mock
"""

ON_THE_REAL_ENDPOINT = """
import os

from google.cloud import aiplatform


def test_the_same_fixture_reaches_the_real_endpoint(vertex_emulator, real_endpoint):
    assert not vertex_emulator.is_emulator
    assert vertex_emulator.url == "https://us-central1-aiplatform.googleapis.com"
    [resource] = vertex_emulator.client.list_persistent_resources()
    assert resource.name.endswith("/persistentResources/prod")
    assert aiplatform.CustomJob.list() == []
    assert {call.request.headers["Authorization"] for call in real_endpoint.calls} == {"Bearer ya29.from-adc"}


def test_the_server_fixture_too(vertex_emulator_server):
    assert "VERTEX_AI_EMULATOR_HOST" not in os.environ
    assert len(vertex_emulator_server.client.list_persistent_resources()) == 1


def test_emulator_controls_skip_on_the_real_target(vertex_emulator):
    vertex_emulator.advance(10)
"""


def test_both_fixtures_on_the_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=ON_THE_EMULATOR)
    result = pytester.runpytest_inprocess("-q", "--strict-markers")
    result.assert_outcomes(passed=5)


def test_the_marker_is_registered_and_refuses_what_is_no_setting(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
import pytest


@pytest.mark.vertex_emulator(job_lasts=None)
def test_a_misspelt_setting(vertex_emulator):
    pass
"""
    )
    result = pytester.runpytest_inprocess("-q", "--strict-markers")
    result.stdout.fnmatch_lines(["*vertex_emulator*job_lasts*"])
    assert result.ret != 0
    listed = pytester.runpytest_inprocess("--markers")
    listed.stdout.fnmatch_lines(["*@pytest.mark.vertex_emulator(**settings)*job_duration=None*"])


def test_the_real_target_switch(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(REAL_CONFTEST)
    pytester.makepyfile(test_project=ON_THE_REAL_ENDPOINT)
    result = pytester.runpytest_inprocess(
        "-q", "-rs", "--vertex-target=real", "--vertex-project=real-project", "--vertex-location=us-central1"
    )
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*needs the emulator's controls*--vertex-target=real*"])


def test_the_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["*--vertex-target=*", "*--vertex-project=*", "*--vertex-location=*"])


def test_the_readme_examples_run(pytester: pytest.Pytester) -> None:
    section = README.read_text(encoding="utf-8").split("## Use it in your tests", 1)[1].split("\n## ", 1)[0]
    examples = [code for code in re.findall(r"```python\n(.*?)```", section, re.DOTALL) if "def test_" in code]
    assert len(examples) == 2, "the README's section shows a test and a test that keeps its job running"
    pytester.makepyfile(**{f"test_readme_{index}": code for index, code in enumerate(examples)})
    pytester.runpytest_inprocess("-q", "--strict-markers").assert_outcomes(passed=2)
