"""The SDK's training classes, unmodified, with ``persistent_resource_id``: served and in process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform import training_jobs
from google.cloud.aiplatform.compat.types import pipeline_state

from tests.conftest import PARENT, Target, demo_pool
from tests.pipeline_bodies import K80
from tests.serving import ROOT, served
from tests.test_readme import INSTANT
from vertex_emulator.domain import jobs

TRAINER = "gcr.io/my-project/trainer:latest"
SERVING = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
PACKAGE = "gs://staging/trainer-0.1.tar.gz"
MACHINE = {
    "machine_type": K80["machineType"],
    "accelerator_type": K80["acceleratorType"],
    "accelerator_count": K80["acceleratorCount"],
}
SUCCEEDED = pipeline_state.PipelineState.PIPELINE_STATE_SUCCEEDED


@pytest.fixture
def sdk(target: Target, sdk_fast: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The SDK on the emulator with a RUNNING resource ``demo`` (two K80 replicas) and no poll sleeps."""
    monkeypatch.setattr(training_jobs, "_JOB_WAIT_TIME", 0)
    aiplatform.init(
        project="my-project",
        location="us-central1",
        staging_bucket="gs://staging",
        api_transport="rest",
        credentials=AnonymousCredentials(),
        **({"api_endpoint": target.endpoint} if target.endpoint else {}),
    )
    target.service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    yield target


def _backing_job(job: training_jobs._TrainingJob) -> aiplatform.CustomJob:
    return aiplatform.CustomJob.get(job.gca_resource.training_task_metadata["backingCustomJob"])


def test_a_container_pipeline_runs_and_uploads_its_model(sdk: Target) -> None:
    job = aiplatform.CustomContainerTrainingJob(
        display_name="train", container_uri=TRAINER, model_serving_container_image_uri=SERVING
    )
    model = job.run(persistent_resource_id="demo", args=["--epochs", "1"], **MACHINE)
    assert job.state == SUCCEEDED
    assert model is not None and model.version_id == "1"
    assert model.display_name == "train-model"
    assert model.uri == job.gca_resource.training_task_inputs["base_output_directory"]["output_uri_prefix"] + "/model/"
    assert model.gca_resource.training_pipeline == job.resource_name
    backing = _backing_job(job)
    assert backing.display_name == "train-custom-job"
    assert backing.state.name == jobs.SUCCEEDED
    spec = backing.job_spec
    assert spec.persistent_resource_id == "demo"
    assert spec.worker_pool_specs[0].container_spec.image_uri == TRAINER
    assert list(spec.worker_pool_specs[0].container_spec.args) == ["--epochs", "1"]
    assert [m.resource_name for m in aiplatform.Model.list()] == [model.resource_name]


def test_a_python_package_pipeline_runs_without_a_model(sdk: Target) -> None:
    job = aiplatform.CustomPythonPackageTrainingJob(
        display_name="package",
        python_package_gcs_uri=PACKAGE,
        python_module_name="trainer.task",
        container_uri="us-docker.pkg.dev/vertex-ai/training/pytorch-xla.2-4.py310:latest",
    )
    assert job.run(persistent_resource_id="demo", replica_count=2, **MACHINE) is None
    assert job.state == SUCCEEDED
    pools = _backing_job(job).job_spec.worker_pool_specs
    assert [pool.replica_count for pool in pools] == [1, 1]
    assert list(pools[0].python_package_spec.package_uris) == [PACKAGE]
    assert [p.resource_name for p in aiplatform.CustomPythonPackageTrainingJob.list()] == [job.resource_name]


def test_submit_returns_at_once_and_the_pipeline_follows_its_job(sdk: Target) -> None:
    sdk.service.settings = type(sdk.service.settings)(job_duration=None)
    job = aiplatform.CustomContainerTrainingJob(display_name="submitted", container_uri=TRAINER)
    job.submit(persistent_resource_id="demo", **MACHINE)
    job.wait_for_resource_creation()
    sdk.advance(1)
    assert job.state == pipeline_state.PipelineState.PIPELINE_STATE_RUNNING
    backing = job.gca_resource.training_task_metadata["backingCustomJob"]
    sdk.service.set_outcome(
        backing, jobs.FAILED, {"code": 3, "message": "The replica workerpool0-0 exited."}, None, None
    )
    job.wait()
    assert job.state == pipeline_state.PipelineState.PIPELINE_STATE_FAILED
    assert job.gca_resource.error.message == "The replica workerpool0-0 exited."


def test_cancelling_a_pipeline_cancels_its_job(sdk: Target) -> None:
    sdk.service.settings = type(sdk.service.settings)(job_duration=None, cancel_delay=5)
    job = aiplatform.CustomContainerTrainingJob(display_name="cancelled", container_uri=TRAINER)
    job.submit(persistent_resource_id="demo", **MACHINE)
    job.wait_for_resource_creation()
    job.cancel()
    assert job.state == pipeline_state.PipelineState.PIPELINE_STATE_CANCELLING
    sdk.advance(5)
    assert job.state == pipeline_state.PipelineState.PIPELINE_STATE_CANCELLED
    assert _backing_job(job).state.name == jobs.CANCELLED
    assert sdk.service.get_resource(f"{PARENT}/persistentResources/demo").used("k80-pool") == 0


def test_a_pipeline_the_admission_refuses_fails_without_a_job(sdk: Target) -> None:
    job = aiplatform.CustomContainerTrainingJob(display_name="too-big", container_uri=TRAINER)
    with pytest.raises(RuntimeError, match="Training failed with"):
        job.run(persistent_resource_id="demo", replica_count=3, **MACHINE)
    assert job.state == pipeline_state.PipelineState.PIPELINE_STATE_FAILED
    assert "backingCustomJob" not in (job.gca_resource.training_task_metadata or {})
    assert aiplatform.CustomJob.list() == []


def test_the_readmes_pipeline_example_runs_against_serve(sdk_fast: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's example, against a real ``serve`` process with the demo fixture."""
    monkeypatch.setattr(training_jobs, "_JOB_WAIT_TIME", 0)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme.split("## Training pipelines", 1)[1], re.DOTALL).group(1)
    with served("--fixtures", "fixtures/demo", *INSTANT) as url:
        namespace: dict[str, Any] = {}
        exec(compile(code.replace("http://127.0.0.1:8080", url), "README.md", "exec"), namespace)
        assert namespace["job"].state == SUCCEEDED
    assert namespace["model"].uri.startswith("gs://my-bucket/aiplatform-custom-training-")
