"""``client``: one scenario through ``VertexClient`` against the in-process emulator, a served one
and a ``responses`` mock of the real regional endpoint; plus specs, waits and ``use_emulator``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
import yaml
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials as OAuthCredentials

import vertex_emulator
import vertex_emulator.client
from tests.conftest import LOCATION, PARENT, PROJECT, new_service
from tests.samples.docs_sample import create_custom_job_on_persistent_resource_sample
from vertex_emulator.client import (
    Backoff,
    JobCancelled,
    JobFailed,
    RefusedHost,
    ResourceFailed,
    SpecError,
    VertexClient,
    WaitTimeout,
    mock_vertex,
    use_emulator,
)
from vertex_emulator.client.vertex import JobState, ResourceState
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

K80 = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1}
RESOURCE = {"displayName": "my pr", "resourcePools": [{"id": "k80-pool", "machineSpec": K80, "replicaCount": "2"}]}
GCLOUD_CONFIG = """\
workerPoolSpecs:
  machineSpec:
    machineType: n1-standard-4
    acceleratorType: NVIDIA_TESLA_K80
    acceleratorCount: 1
  replicaCount: 1
  containerSpec:
    imageUri: gcr.io/p/trainer:1
"""
TOKEN = "ya29.test-token"


@dataclass
class Setup:
    client: VertexClient
    service: Service
    mock: mock_vertex | None = None


@pytest.fixture(params=["in-process", "served", "real-endpoint"])
def setup(request: pytest.FixtureRequest) -> Iterator[Setup]:
    """The same emulator behind each target; "real-endpoint" carries a bearer token as ADC would."""
    service = new_service(job_duration=None)
    if request.param == "served":
        with ThreadedServer(service) as server:
            yield Setup(VertexClient.emulator(PROJECT, LOCATION, host=server.address), service)
        return
    credentials = AnonymousCredentials() if request.param == "in-process" else OAuthCredentials(token=TOKEN)
    mock = mock_vertex(service)
    with mock:
        yield Setup(VertexClient.real(PROJECT, LOCATION, credentials=credentials), service, mock)


def _outcome(setup: Setup, job: Any, state: str, error: dict[str, Any] | None = None) -> None:
    setup.service.set_outcome(job.name, state, error, None, None)


def test_the_same_scenario_on_every_target(setup: Setup, tmp_path: Path) -> None:
    client = setup.client
    resource = client.create_persistent_resource("my-pr", RESOURCE)
    assert resource.state == ResourceState.RUNNING
    assert resource.name == f"{PARENT}/persistentResources/my-pr"
    assert [r.name for r in client.list_persistent_resources()] == [resource.name]

    config = tmp_path / "train.yaml"
    config.write_text(GCLOUD_CONFIG)
    job = client.submit_job(config, persistent_resource_id="my-pr")
    assert job.display_name == "train"
    assert job.job_spec.persistent_resource_id == "my-pr"
    with pytest.raises(WaitTimeout) as timeout:
        client.wait_job(job, timeout=0)
    assert timeout.value.last.state == JobState.JOB_STATE_RUNNING
    assert client.get_persistent_resource("my-pr").resource_pools[0].used_replica_count == 1
    _outcome(setup, job, "JOB_STATE_SUCCEEDED")
    assert client.wait_job(job.name.rsplit("/", 1)[-1], timeout=5).state == JobState.JOB_STATE_SUCCEEDED

    failing = client.submit_job(config, persistent_resource_id="my-pr", display_name="doomed")
    _outcome(setup, failing, "JOB_STATE_FAILED", {"code": 8, "message": "out of memory"})
    with pytest.raises(JobFailed) as failed:
        client.wait_job(failing, timeout=5)
    assert (failed.value.error.code, failed.value.error.message) == (8, "out of memory")
    assert not isinstance(failed.value, JobCancelled)

    cancelled = client.submit_job(config, persistent_resource_id="my-pr", display_name="stopped")
    client.cancel_job(cancelled)
    with pytest.raises(JobCancelled) as stopped:
        client.wait_job(cancelled, timeout=5)
    assert stopped.value.error.code == 1
    assert stopped.value.job.state == JobState.JOB_STATE_CANCELLED

    assert [j.display_name for j in client.list_jobs('state="JOB_STATE_FAILED"')] == ["doomed"]
    assert len(client.list_jobs()) == 3

    grown = client.update_replica_counts("my-pr", {"k80-pool": 3})
    assert grown.resource_pools[0].replica_count == 3
    assert client.reboot_persistent_resource("my-pr").state == ResourceState.RUNNING
    client.delete_job(failing)
    assert {j.display_name for j in client.list_jobs()} == {"train", "stopped"}
    client.delete_persistent_resource("my-pr")
    assert client.list_persistent_resources() == []

    if setup.mock is not None:
        hosts = {"{0.scheme}://{0.netloc}".format(urlsplit(call.url)) for call in setup.mock.calls}
        assert hosts == {"https://us-central1-aiplatform.googleapis.com"}
        auth = {call.headers.get("Authorization") for call in setup.mock.calls}
        assert auth == ({f"Bearer {TOKEN}"} if isinstance(client.endpoint.credentials, OAuthCredentials) else {None})


def test_api_errors_are_the_official_exceptions(setup: Setup) -> None:
    client = setup.client
    with pytest.raises(exceptions.NotFound):
        client.get_persistent_resource("missing")
    client.create_persistent_resource("my-pr", RESOURCE)
    with pytest.raises(exceptions.BadRequest) as refused:
        client.submit_job(
            {
                "workerPoolSpecs": [
                    {
                        "machineSpec": {**K80, "machineType": "n1-standard-8"},
                        "replicaCount": 1,
                        "containerSpec": {"imageUri": "img"},
                    }
                ]
            },
            persistent_resource_id="my-pr",
        )
    assert type(refused.value) is exceptions.BadRequest
    assert "machine_spec.machine_type is 'n1-standard-8' in the job but 'n1-standard-4'" in refused.value.message
    with pytest.raises(ValueError, match="no resource pool other"):
        client.update_replica_counts("my-pr", {"other": 1})


def test_wait_can_move_the_emulator_clock_instead_of_sleeping() -> None:
    with mock_vertex(new_service(job_duration=30)) as service:
        client = VertexClient.real(PROJECT, LOCATION, credentials=AnonymousCredentials())
        client.create_persistent_resource("my-pr", RESOURCE)
        job = client.submit_job(
            {"displayName": "j", "jobSpec": {**yaml.safe_load(GCLOUD_CONFIG)}}, persistent_resource_id="my-pr"
        )
        slept: list[float] = []

        def advance(seconds: float) -> None:
            slept.append(seconds)
            service.advance(seconds)

        done = client.wait_job(job, timeout=600, backoff=Backoff(initial=10, multiplier=2, maximum=15), sleep=advance)
        assert done.state == JobState.JOB_STATE_SUCCEEDED
        assert slept == [10, 15, 15]
        with pytest.raises(WaitTimeout):
            never = client.submit_job(
                {"displayName": "n", "jobSpec": yaml.safe_load(GCLOUD_CONFIG)}, persistent_resource_id="my-pr"
            )
            service.settings = type(service.settings)(job_duration=None)
            client.wait_job(
                never, timeout=25, backoff=Backoff(initial=10, multiplier=1, maximum=10), sleep=service.advance
            )


def test_backoff_grows_to_its_maximum() -> None:
    delays = Backoff(initial=1, multiplier=2, maximum=5).delays()
    assert [next(delays) for _ in range(5)] == [1, 2, 4, 5, 5]
    with pytest.raises(ValueError):
        Backoff(initial=2, maximum=1)


def test_specs_accept_rest_bodies_gcloud_configs_and_snake_case(tmp_path: Path) -> None:
    from vertex_emulator.offline import specs

    rest = tmp_path / "job.json"
    body = {
        "display_name": "snake",
        "job_spec": {
            "worker_pool_specs": [
                {"machine_spec": {"machine_type": "n1"}, "replica_count": "2", "container_spec": {"image_uri": "img"}}
            ]
        },
        "labels": {"team_name": "ml"},
    }
    rest.write_text(json.dumps(body))
    job = specs.custom_job(rest)
    assert job["displayName"] == "snake"
    assert job["jobSpec"]["workerPoolSpecs"][0]["replicaCount"] == "2"
    assert job["labels"] == {"team_name": "ml"}
    listed = specs.custom_job({"workerPoolSpecs": [yaml.safe_load(GCLOUD_CONFIG)["workerPoolSpecs"]]})
    assert listed["displayName"] == specs.DEFAULT_DISPLAY_NAME
    assert listed["jobSpec"]["workerPoolSpecs"][0]["machineSpec"] == K80
    with pytest.raises(SpecError, match='Unknown name "machineTyp"'):
        specs.custom_job({"workerPoolSpecs": [{"machineSpec": {"machineTyp": "n1"}}]})
    broken = tmp_path / "broken.yaml"
    broken.write_text("workerPoolSpecs: [")
    with pytest.raises(SpecError, match=r"broken\.yaml: cannot be read"):
        specs.custom_job(broken)


def test_the_target_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", "127.0.0.1:9999")
    assert VertexClient(PROJECT).endpoint.url == "http://127.0.0.1:9999"
    assert VertexClient(PROJECT).endpoint.emulated
    assert VertexClient(PROJECT).resources.api_endpoint == "http://127.0.0.1:9999"
    monkeypatch.delenv("VERTEX_AI_EMULATOR_HOST")
    with pytest.raises(ValueError, match="no emulator host"):
        use_emulator()
    adc = OAuthCredentials(token=TOKEN)
    monkeypatch.setattr("google.auth.default", lambda scopes=None: (adc, PROJECT))
    real = VertexClient(PROJECT, "europe-west4")
    assert (real.endpoint.url, real.endpoint.credentials) == ("https://europe-west4-aiplatform.googleapis.com", adc)
    assert not real.endpoint.emulated
    assert VertexClient.real(PROJECT, "global").endpoint.url == "https://aiplatform.googleapis.com"


def test_in_process_mode_refuses_other_hosts_and_works_as_a_decorator() -> None:
    import requests

    @mock_vertex()
    def listed() -> list[Any]:
        with pytest.raises(RefusedHost, match=r"storage\.googleapis\.com"):
            requests.get("https://storage.googleapis.com/b/o", timeout=1)
        return VertexClient.real(PROJECT, credentials=AnonymousCredentials()).list_jobs()

    assert listed() == []
    with ThreadedServer(new_service()) as server:
        passing = mock_vertex(passthrough=(server.url,))
        with passing:
            assert requests.get(f"{server.url}/emulator/v1/health", timeout=5).json() == {"status": "ok"}
            with pytest.raises(RefusedHost):
                requests.get("http://127.0.0.2:1/", timeout=1)
            assert [call.url for call in passing.calls] == ["http://127.0.0.2:1/"]
        assert passing.calls == []


def test_use_emulator_runs_the_documentation_sample_unchanged(sdk_fast: None) -> None:
    service = new_service()
    with ThreadedServer(service) as server:
        VertexClient.emulator(PROJECT, LOCATION, host=server.address).create_persistent_resource("my-pr", RESOURCE)
        assert use_emulator(server.address) == server.url
        create_custom_job_on_persistent_resource_sample(
            project=PROJECT,
            location=LOCATION,
            staging_bucket="gs://my-bucket",
            display_name="my-job",
            container_uri="us-docker.pkg.dev/my-project/repo/trainer:latest",
            persistent_resource_id="my-pr",
        )
        [job] = VertexClient.emulator(PROJECT, LOCATION, host=server.address).list_jobs()
        assert (job.display_name, job.state) == ("my-job", JobState.JOB_STATE_SUCCEEDED)


def test_the_package_and_the_plugin_import_nothing_heavy() -> None:
    """pytest imports the plugin in every run of an environment that installs it."""

    code = (
        "import sys, vertex_emulator, vertex_emulator.client, vertex_emulator.client.pytest_plugin; "
        "print(sorted(m for m in sys.modules if 'aiplatform' in m))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    for package in (vertex_emulator, vertex_emulator.client):
        assert all(getattr(package, name) is not None for name in package.__all__)
        with pytest.raises(AttributeError):
            _ = package.nothing_here


def test_a_resource_in_error_raises_resource_failed() -> None:
    """The emulator never fails a resource; the real endpoint can, so a mock of it answers here."""
    name = f"{PARENT}/persistentResources/broken"
    with responses.RequestsMock() as mock:
        mock.get(
            f"https://{LOCATION}-aiplatform.googleapis.com/v1/{name}",
            json={"name": name, "state": "ERROR", "error": {"code": 8, "message": "quota exhausted"}},
        )
        client = VertexClient.real(PROJECT, LOCATION, credentials=OAuthCredentials(token=TOKEN))
        with pytest.raises(ResourceFailed, match="quota exhausted") as failed:
            client.wait_persistent_resource("broken", timeout=5)
    assert failed.value.error.code == 8
