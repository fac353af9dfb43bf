"""The pure rules of training pipelines and models: the create request, the states, the versions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pipeline_bodies import STAGING, pipeline_body, task_inputs, worker_pools
from vertex_emulator import iam, wire
from vertex_emulator.domain import jobs, models, pipelines
from vertex_emulator.domain.models import Model
from vertex_emulator.domain.pipelines import TrainingPipeline
from vertex_emulator.errors import ApiError, Code


def request(body: dict[str, Any], version: str = "v1") -> pipelines.Request:
    return pipelines.normalize(wire.parse(version, "TrainingPipeline", body), version)


def refused(body: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        request(body)
    assert caught.value.code is Code.INVALID_ARGUMENT
    return caught.value


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_the_sdk_struct_becomes_the_backing_jobs_spec(version: str) -> None:
    checked = request(pipeline_body(), version)
    spec = checked.job["jobSpec"]
    assert checked.job["displayName"] == "train-custom-job"
    assert spec["persistentResourceId"] == "demo" == checked.resource_id
    pool = spec["workerPoolSpecs"][0]
    assert pool["replicaCount"] == "1"
    assert pool["machineSpec"] == {
        "machineType": "n1-standard-4",
        "acceleratorType": "NVIDIA_TESLA_K80",
        "acceleratorCount": 1,
    }
    assert pool["diskSpec"] == {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100}
    assert pool["containerSpec"] == {"imageUri": "gcr.io/my-project/trainer:latest", "args": ["--epochs", "1"]}
    assert spec["baseOutputDirectory"] == {"outputUriPrefix": f"{STAGING}/aiplatform-custom-training-1"}
    assert checked.spec["trainingTaskInputs"]["worker_pool_specs"][0]["replica_count"] == 1.0, "kept as sent"


def test_python_package_pools_and_camel_case_keys_parse_alike() -> None:
    snake = request(pipeline_body(task_inputs(worker_pool_specs=worker_pools(2, task="package"))))
    pools = snake.job["jobSpec"]["workerPoolSpecs"]
    assert [pool["replicaCount"] for pool in pools] == ["1", "1"]
    assert pools[0]["pythonPackageSpec"]["packageUris"] == [f"{STAGING}/trainer-0.1.tar.gz"]
    camel = {"workerPoolSpecs": snake.job["jobSpec"]["workerPoolSpecs"], "persistentResourceId": "demo"}
    assert request(pipeline_body(camel)).job["jobSpec"]["workerPoolSpecs"] == pools


def test_scheduling_numbers_from_the_struct_are_coerced() -> None:
    inputs = task_inputs(
        scheduling={"timeout": "60s", "strategy": 1.0, "disable_retries": True, "max_wait_duration": None}
    )
    assert request(pipeline_body(inputs)).job["jobSpec"]["scheduling"] == {
        "timeout": "60s",
        "strategy": "ON_DEMAND",
        "disableRetries": True,
    }


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"replica_count": 1.5}, "training_pipeline.training_task_inputs.worker_pool_specs[0].replica_count"),
        (
            {"machine_spec": {"machine_type": "n1-standard-4", "accelerator_count": 0.5}},
            "worker_pool_specs[0].machine_spec.accelerator_count",
        ),
        (
            {"machine_spec": {"machine_type": "n1-standard-4", "accelerator_type": 2.5}},
            "worker_pool_specs[0].machine_spec.accelerator_type",
        ),
        ({"replicas": 1.0}, "training_pipeline.training_task_inputs.worker_pool_specs[0]"),
    ],
)
def test_a_fractional_number_or_an_unknown_key_is_refused_with_its_path(change: dict[str, Any], path: str) -> None:
    pool = {**worker_pools()[0], **change}
    error = refused(pipeline_body(task_inputs(worker_pool_specs=[pool])))
    assert error.violations[0].field.endswith(path)
    assert path in error.message
    if "replicas" in change:
        assert 'Unknown name "replicas"' in error.message


def test_an_unknown_top_level_key_is_named() -> None:
    error = refused(pipeline_body(task_inputs(worker_pool_spec=[])))
    assert 'Unknown name "worker_pool_spec"' in error.message
    assert error.violations[0].field == "training_pipeline.training_task_inputs"


def test_no_worker_pools_is_refused_at_training_task_inputs() -> None:
    error = refused(pipeline_body({"base_output_directory": {"output_uri_prefix": STAGING}}))
    assert error.violations[0].field == "training_pipeline.training_task_inputs.worker_pool_specs"
    assert "job_spec" not in error.message


def test_the_custom_jobs_rules_apply_to_the_backing_job() -> None:
    pool = {**worker_pools()[0], "containerSpec": {"args": ["x"]}}
    error = refused(pipeline_body(task_inputs(worker_pool_specs=[pool])))
    assert (
        error.violations[0].field
        == "training_pipeline.training_task_inputs.worker_pool_specs[0].container_spec.image_uri"
    )


def test_only_the_custom_task_is_emulated() -> None:
    automl = "gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_tabular_1.0.0.yaml"
    error = refused(pipeline_body(trainingTaskDefinition=automl))
    assert error.violations[0].field == "training_pipeline.training_task_definition"
    assert "not emulated" in error.message and automl in error.message
    assert "required" in refused(pipeline_body(trainingTaskDefinition="")).message


def test_missing_inputs_display_name_and_datasets_are_refused() -> None:
    body = pipeline_body()
    del body["trainingTaskInputs"]
    assert refused(body).violations[0].field == "training_pipeline.training_task_inputs"
    assert refused(pipeline_body(displayName="")).violations[0].field == "display_name"
    error = refused(pipeline_body(inputDataConfig={"datasetId": "123"}))
    assert "not emulated" in error.message


def test_a_model_to_upload_needs_a_serving_image() -> None:
    body = pipeline_body(model=True)
    assert request(body).model == body["modelToUpload"]
    body["modelToUpload"]["containerSpec"] = {}
    error = refused(body)
    assert error.violations[0].field == "training_pipeline.model_to_upload.container_spec.image_uri"
    assert refused(pipeline_body(modelToUpload={"containerSpec": {"imageUri": "x"}})).violations[0].field == (
        "training_pipeline.model_to_upload.display_name"
    )


def test_model_id_and_parent_model_need_a_model_to_upload() -> None:
    assert refused(pipeline_body(modelId="mine")).violations[0].field == "training_pipeline.model_to_upload"
    assert "model_id" in refused(pipeline_body(model=True, modelId="9lives")).violations[0].field
    assert request(pipeline_body(model=True, modelId="my_model-1")).spec["modelId"] == "my_model-1"


def test_output_only_fields_are_ignored_on_input() -> None:
    body = pipeline_body(state="PIPELINE_STATE_SUCCEEDED", trainingTaskMetadata={"backingCustomJob": "x"})
    assert "state" not in request(body).spec and "trainingTaskMetadata" not in request(body).spec


def test_the_base_output_directory_gives_the_models_artifact_uri() -> None:
    spec = request(pipeline_body(model=True)).spec
    base = pipelines.base_output_directory(spec)
    assert base == f"{STAGING}/aiplatform-custom-training-1"
    assert models.artifact_uri(spec["modelToUpload"], base)["artifactUri"] == f"{base}/model/"
    assert models.artifact_uri({"artifactUri": "gs://mine"}, base) == {"artifactUri": "gs://mine"}
    assert models.artifact_uri({}, None) == {}


def pipeline(**fields: Any) -> TrainingPipeline:
    fields.setdefault("spec", {"displayName": "p"})
    return TrainingPipeline(name="p", version="v1", seq=1, create_time=0.0, update_time=0.0, **fields)


def test_the_pipeline_follows_its_job_state_for_state() -> None:
    record = pipeline(job="projects/p/locations/l/customJobs/1")
    assert not record.follow(jobs.QUEUED, None, 1.0) and record.state == pipelines.QUEUED
    assert not record.follow(jobs.PENDING, None, 2.0) and record.state == pipelines.PENDING
    assert not record.follow(jobs.RUNNING, None, 3.0) and record.start_time == 3.0
    assert record.follow(jobs.SUCCEEDED, None, 4.0)
    body = record.render()
    assert body["state"] == pipelines.SUCCEEDED and "error" not in body
    assert body["trainingTaskMetadata"] == {"backingCustomJob": "projects/p/locations/l/customJobs/1"}
    assert body["startTime"] < body["endTime"] == body["updateTime"]


def test_a_cancelled_or_failed_job_gives_its_error_to_the_pipeline() -> None:
    record = pipeline()
    record.follow(jobs.CANCELLING, None, 1.0)
    assert record.state == pipelines.CANCELLING and not record.terminal
    assert not record.follow(jobs.CANCELLED, jobs.CANCELLED_ERROR, 2.0)
    assert record.render()["error"] == jobs.CANCELLED_ERROR and record.terminal
    failed = pipeline()
    failed.follow(jobs.FAILED, {"code": 3, "message": "boom"}, 5.0)
    assert failed.render()["error"] == {"code": 3, "message": "boom"} and failed.end_time == 5.0


def test_a_pipeline_whose_job_is_refused_ends_failed_without_a_job() -> None:
    record = pipeline()
    record.fail({"code": 9, "message": "no room"}, 1.0)
    body = record.render()
    assert body["state"] == pipelines.FAILED and "trainingTaskMetadata" not in body and body["endTime"]


def test_an_uploaded_model_is_named_on_the_pipeline() -> None:
    record = pipeline(spec={"displayName": "p", "modelToUpload": {"displayName": "m"}})
    record.uploaded("projects/p/locations/l/models/7", "1")
    assert record.render()["modelToUpload"] == {
        "displayName": "m",
        "name": "projects/p/locations/l/models/7",
        "versionId": "1",
    }


def model() -> Model:
    return Model(name="projects/p/locations/l/models/7", version="v1", seq=1, create_time=0.0, update_time=0.0)


def test_versions_and_the_default_alias() -> None:
    record = model()
    assert record.add_version({"displayName": "m", "artifactUri": "gs://a/"}, "pipe-1", 1.0) == "1"
    assert record.render()["versionAliases"] == ["default"]
    assert record.render()["trainingPipeline"] == "pipe-1"
    assert record.add_version({"displayName": "m", "versionAliases": ["candidate"]}, "pipe-2", 2.0) == "2"
    assert record.render()["versionId"] == "1", "a version that does not ask for default leaves it"
    assert record.render("candidate")["versionId"] == "2" == record.render("2")["versionId"]
    assert record.add_version({"displayName": "m", "versionAliases": ["default", "candidate"]}, "pipe-3", 3.0) == "3"
    assert record.render()["versionId"] == "3" and record.render()["versionAliases"] == ["candidate", "default"]
    assert "versionAliases" not in record.render("1")
    assert [body["versionId"] for body in record.render_versions()] == ["1", "2", "3"]
    assert record.render("1")["versionCreateTime"] < record.render("3")["versionCreateTime"]
    with pytest.raises(ApiError) as caught:
        record.render("9")
    assert caught.value.code is Code.NOT_FOUND and "models/7@9" in caught.value.message


def test_versioned_names_split() -> None:
    assert models.split_version("projects/p/locations/l/models/7@2") == ("projects/p/locations/l/models/7", "2")
    assert models.split_version("projects/p/locations/l/models/7") == ("projects/p/locations/l/models/7", None)


def test_the_roles_hold_the_pipeline_and_model_permissions() -> None:
    policy = iam.Policy(
        [
            iam.Binding("roles/aiplatform.user", frozenset({"user:u"})),
            iam.Binding("roles/aiplatform.viewer", frozenset({"user:v"})),
        ]
    )
    for verb in ("create", "get", "list", "cancel", "delete"):
        assert policy.allows("user:u", f"aiplatform.trainingPipelines.{verb}", "projects/p")
    for verb in ("get", "list"):
        assert policy.allows("user:v", f"aiplatform.trainingPipelines.{verb}", "projects/p")
        assert policy.allows("user:v", f"aiplatform.models.{verb}", "projects/p")
    assert not policy.allows("user:v", "aiplatform.trainingPipelines.create", "projects/p")
