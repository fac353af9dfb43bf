"""The SDK's training pipelines in a test project that uses the plugin's two fixtures: a container,
a package and a local script (staged in the fixtures' Cloud Storage emulator)."""

from __future__ import annotations

# Imported first for the in-process pytester run (see test_plugin.py): the official types register once.
import google.cloud.aiplatform  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

PROJECT = """
from google.cloud import aiplatform

MACHINE = {"machine_type": "n1-standard-4"}
RESOURCE = {"resource_pools": [{"id": "pool", "machine_spec": MACHINE, "replica_count": 2}]}
SERVING = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"


def test_a_container_pipeline_in_process(vertex_emulator):
    vertex_emulator.client.create_persistent_resource("my-pr", RESOURCE)
    job = aiplatform.CustomContainerTrainingJob(
        display_name="train", container_uri="gcr.io/p/trainer:1", model_serving_container_image_uri=SERVING
    )
    model = job.run(persistent_resource_id="my-pr", machine_type="n1-standard-4", replica_count=2)
    assert job.state == aiplatform.gapic.PipelineState.PIPELINE_STATE_SUCCEEDED
    assert model.version_id == "1" and model.uri.endswith("/model/")


def test_a_package_pipeline_served(vertex_emulator_server):
    vertex_emulator_server.client.create_persistent_resource("served-pr", RESOURCE)
    job = aiplatform.CustomPythonPackageTrainingJob(
        display_name="package",
        python_package_gcs_uri="gs://my-bucket/trainer-0.1.tar.gz",
        python_module_name="trainer.task",
        container_uri="us-docker.pkg.dev/vertex-ai/training/pytorch-xla.2-4.py310:latest",
    )
    assert job.run(persistent_resource_id="served-pr", machine_type="n1-standard-4") is None
    backing = aiplatform.CustomJob.get(job.gca_resource.training_task_metadata["backingCustomJob"])
    assert backing.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    assert backing.job_spec.persistent_resource_id == "served-pr"


def _script_job(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("print('training')\\n")
    return aiplatform.CustomTrainingJob(
        display_name="script",
        script_path=str(script),
        container_uri="us-docker.pkg.dev/vertex-ai/training/pytorch-cpu.2-4:latest",
        model_serving_container_image_uri=SERVING,
    )


def _staged(harness, job):
    backing = aiplatform.CustomJob.get(job.gca_resource.training_task_metadata["backingCustomJob"])
    [package] = backing.job_spec.worker_pool_specs[0].python_package_spec.package_uris
    assert package.startswith("gs://my-stage/sub/aiplatform-")
    assert package.endswith("-aiplatform_custom_trainer_script-0.1.tar.gz")
    assert harness.storage.read(package)[:2] == b"\\x1f\\x8b"
    spec = backing.job_spec.worker_pool_specs[0].python_package_spec
    assert spec.python_module == "aiplatform_custom_trainer_script.task"
    return backing


def test_a_script_pipeline_in_process(vertex_emulator, tmp_path):
    vertex_emulator.client.create_persistent_resource("my-pr", RESOURCE)
    job = _script_job(tmp_path)
    model = job.run(persistent_resource_id="my-pr", machine_type="n1-standard-4")
    assert job.state == aiplatform.gapic.PipelineState.PIPELINE_STATE_SUCCEEDED
    _staged(vertex_emulator, job)
    assert model.gca_resource.training_pipeline == job.resource_name


def test_a_script_pipeline_submitted_to_the_server(vertex_emulator_server, tmp_path):
    vertex_emulator_server.client.create_persistent_resource("served-pr", RESOURCE)
    vertex_emulator_server.service.settings = type(vertex_emulator_server.service.settings)(job_duration=None)
    job = _script_job(tmp_path)
    job.submit(persistent_resource_id="served-pr", machine_type="n1-standard-4")
    job.wait_for_resource_creation()
    _staged(vertex_emulator_server, job)
    vertex_emulator_server.advance(1)
    vertex_emulator_server.set_outcome(job.resource_name)  # a pipeline's outcome is its job's
    assert job.state == aiplatform.gapic.PipelineState.PIPELINE_STATE_SUCCEEDED
    assert job.get_model().version_id == "1"
"""


def test_both_fixtures_run_training_pipelines(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=PROJECT)
    pytester.runpytest_inprocess("-q", "--vertex-staging-bucket=gs://my-stage/sub").assert_outcomes(passed=4)
