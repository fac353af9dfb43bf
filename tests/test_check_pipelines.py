"""``vertex-emulator check`` on a TrainingPipeline: its backing job is checked with the service's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud.aiplatform.compat.types import training_pipeline as gca_training_pipeline

from tests.pipeline_bodies import CUSTOM_TASK, pipeline_body, task_inputs, worker_pools
from tests.test_check import DESCRIBED
from vertex_emulator import cli


def _check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], job: Any, *argv: str, name: str = "p.json"
) -> tuple[int, Any]:
    job_file = tmp_path / name
    job_file.write_text(json.dumps(job) if name.endswith(".json") else yaml.safe_dump(job))
    resource_file = tmp_path / "pr.json"
    resource_file.write_text(json.dumps(DESCRIBED))
    status = cli.main(["check", str(job_file), "--resource", str(resource_file), "--format", "json", *argv])
    out, _ = capsys.readouterr()
    return status, json.loads(out) if out else None


def test_a_rest_body_is_admitted_as_its_backing_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, verdict = _check(tmp_path, capsys, pipeline_body(task_inputs("my-pr")))
    assert status == 0, verdict
    assert verdict["placement"] == [{"workerPool": 0, "resourcePool": "k80-pool", "replicas": 1}]


def test_the_sdks_own_dict_is_read_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = gca_training_pipeline.TrainingPipeline(
        display_name="train", training_task_definition=CUSTOM_TASK, training_task_inputs=task_inputs("my-pr")
    )
    status, verdict = _check(tmp_path, capsys, gca_training_pipeline.TrainingPipeline.to_dict(pipeline), name="p.yaml")
    assert status == 0, verdict


def test_the_pools_are_checked_against_the_resource(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    too_many = task_inputs("my-pr", worker_pool_specs=worker_pools(replica_count=3))
    status, verdict = _check(tmp_path, capsys, pipeline_body(too_many))
    assert status == 1
    assert verdict["error"]["status"] in ("FAILED_PRECONDITION", "INVALID_ARGUMENT")
    assert "worker pool" in verdict["error"]["message"].lower() or "replica" in verdict["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (pipeline_body(trainingTaskDefinition="gs://x/automl.yaml"), "training_pipeline.training_task_definition"),
        (
            pipeline_body({"persistent_resource_id": "my-pr"}),
            "training_pipeline.training_task_inputs.worker_pool_specs",
        ),
        (pipeline_body(task_inputs("my-pr", replicas=1.0)), "training_pipeline.training_task_inputs"),
        (
            pipeline_body(modelToUpload={"displayName": "m"}),
            "training_pipeline.model_to_upload.container_spec.image_uri",
        ),
    ],
)
def test_a_pipelines_own_errors_are_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: dict[str, Any], field: str
) -> None:
    status, verdict = _check(tmp_path, capsys, body)
    assert status == 1
    assert verdict["error"]["details"][0]["fieldViolations"][0]["field"] == field
