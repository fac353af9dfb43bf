"""Training pipelines and models through the HTTP API: the life of a pipeline, its job, its model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PARENT, demo_pool, new_service
from tests.pipeline_bodies import pipeline_body, task_inputs, worker_pools
from vertex_emulator import store
from vertex_emulator.domain import jobs, pipelines
from vertex_emulator.errors import ApiError
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

PIPELINES = f"/v1/{PARENT}/trainingPipelines"
MODELS = f"/v1/{PARENT}/models"


class Api:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.http = make_app(service).test_client()
        service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})

    def create(self, body: dict[str, Any], status: int = 200, version: str = "v1") -> dict[str, Any]:
        answer = self.http.post(f"/{version}/{PARENT}/trainingPipelines", json=body)
        assert answer.status_code == status, answer.json
        return answer.json

    def get(self, name: str, status: int = 200) -> dict[str, Any]:
        answer = self.http.get(f"/v1/{name}")
        assert answer.status_code == status, answer.json
        return answer.json

    def job_of(self, pipeline: dict[str, Any]) -> str:
        return self.get(pipeline["name"])["trainingTaskMetadata"]["backingCustomJob"]

    def finish(self, pipeline: dict[str, Any], state: str = jobs.SUCCEEDED, **error: Any) -> dict[str, Any]:
        """End the pipeline's job: the outcome of a pipeline, by its name, is its job's."""
        self.service.set_outcome(pipeline["name"], state, error or None, None, None)
        return self.get(pipeline["name"])

    def nothing_made(self) -> None:
        assert self.http.get(PIPELINES).json == {"trainingPipelines": []}
        assert self.http.get(f"/v1/{PARENT}/customJobs").json.get("customJobs", []) == []
        assert self.http.get(MODELS).json == {"models": []}


@pytest.fixture
def api() -> Api:
    return Api(new_service(job_duration=None))


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_a_pipeline_follows_its_job_and_uploads_its_model(api: Api, version: str) -> None:
    created = api.create(pipeline_body(model=True), version=version)
    assert created["state"] == pipelines.QUEUED
    job_name = created["trainingTaskMetadata"]["backingCustomJob"]
    assert job_name.startswith(f"{PARENT}/customJobs/")
    api.service.advance(1)
    running = api.get(created["name"])
    assert running["state"] == pipelines.RUNNING and running["startTime"]
    assert api.get(job_name)["displayName"] == "train-custom-job"
    assert api.service.get_resource(f"{PARENT}/persistentResources/demo").used("k80-pool") == 1
    done = api.finish(created)
    assert done["state"] == pipelines.SUCCEEDED and done["endTime"]
    uploaded = done["modelToUpload"]
    assert uploaded["versionId"] == "1" and uploaded["name"].startswith(f"{PARENT}/models/")
    model = api.get(f"{uploaded['name']}@1")
    assert model == api.get(uploaded["name"])
    assert model["artifactUri"] == "gs://staging/aiplatform-custom-training-1/model/"
    assert model["trainingPipeline"] == created["name"] and model["versionAliases"] == ["default"]
    assert api.service.get_resource(f"{PARENT}/persistentResources/demo").used("k80-pool") == 0


def test_the_jobs_error_is_the_pipelines(api: Api) -> None:
    created = api.create(pipeline_body(model=True))
    api.service.advance(1)
    failed = api.finish(
        created, jobs.FAILED, code=3, message="The replica workerpool0-0 exited with a non-zero status of 1."
    )
    assert failed["state"] == pipelines.FAILED
    assert failed["error"] == {"code": 3, "message": "The replica workerpool0-0 exited with a non-zero status of 1."}
    assert "name" not in failed["modelToUpload"]
    assert api.http.get(MODELS).json == {"models": []}


def test_the_control_apis_outcome_of_a_pipeline_is_its_jobs(api: Api) -> None:
    created = api.create(pipeline_body())
    api.service.advance(1)
    answer = api.http.post(
        f"/emulator/v1/{created['name']}:setOutcome", json={"state": jobs.FAILED, "error": {"code": 3, "message": "x"}}
    )
    assert answer.status_code == 200 and answer.json["name"] == api.job_of(created)
    assert api.get(created["name"])["error"] == {"code": 3, "message": "x"}


def test_cancel_goes_through_the_job(api: Api) -> None:
    api.service.settings = type(api.service.settings)(job_duration=None, cancel_delay=3)
    created = api.create(pipeline_body())
    api.service.advance(1)
    assert api.http.post(f"/v1/{created['name']}:cancel", json={}).status_code == 200
    assert api.get(created["name"])["state"] == pipelines.CANCELLING
    assert api.get(api.job_of(created))["state"] == jobs.CANCELLING
    assert api.http.post(f"/v1/{created['name']}:cancel", json={}).status_code == 200, "cancelling again is a no-op"
    api.service.advance(3)
    cancelled = api.get(created["name"])
    assert cancelled["state"] == pipelines.CANCELLED and cancelled["error"] == {"code": 1, "message": "CANCELED"}
    again = api.http.post(f"/v1/{created['name']}:cancel", json={})
    assert again.status_code == 400 and again.json["error"]["status"] == "FAILED_PRECONDITION"


def test_deleting_the_resource_cancels_the_pipeline(api: Api) -> None:
    created = api.create(pipeline_body())
    api.service.advance(1)
    api.http.delete(f"/v1/{PARENT}/persistentResources/demo")
    assert api.get(created["name"])["state"] == pipelines.CANCELLED


def test_delete_is_an_operation_and_keeps_the_job(api: Api) -> None:
    created = api.create(pipeline_body())
    refused = api.http.delete(f"/v1/{created['name']}")
    assert refused.status_code == 400 and "Cancel it first" in refused.json["error"]["message"]
    api.service.advance(1)
    api.finish(created)
    operation = api.http.delete(f"/v1/{created['name']}").json
    assert operation["done"] and operation["metadata"]["@type"].endswith("DeleteOperationMetadata")
    assert api.get(created["name"], 404)["error"]["status"] == "NOT_FOUND"
    assert api.get(api.service.list_jobs(PARENT, None, None, None)[0][0].name)["state"] == jobs.SUCCEEDED


def test_list_filters_and_pages(api: Api) -> None:
    names = [api.create(pipeline_body(displayName=f"run-{index}"))["name"] for index in range(3)]
    api.service.advance(1)
    api.finish({"name": names[0]})
    listed = api.http.get(f"{PIPELINES}?pageSize=2").json
    assert len(listed["trainingPipelines"]) == 2 and listed["nextPageToken"]
    rest = api.http.get(f"{PIPELINES}?pageSize=2&pageToken={listed['nextPageToken']}").json
    assert {p["name"] for p in listed["trainingPipelines"] + rest["trainingPipelines"]} == set(names)
    succeeded = api.http.get(PIPELINES, query_string={"filter": f"state={pipelines.SUCCEEDED}"}).json
    assert [p["name"] for p in succeeded["trainingPipelines"]] == [names[0]]
    named = api.http.get(PIPELINES, query_string={"filter": 'display_name="run-2"'}).json
    assert [p["name"] for p in named["trainingPipelines"]] == [names[2]]
    masked = api.http.get(PIPELINES, query_string={"readMask": "name,state"}).json["trainingPipelines"][0]
    assert set(masked) == {"name", "state"}


def test_parent_model_adds_a_version_and_model_id_names_the_model(api: Api) -> None:
    first = api.create(pipeline_body(model=True, modelId="my-model"))
    api.service.advance(1)
    model_name = api.finish(first)["modelToUpload"]["name"]
    assert model_name == f"{PARENT}/models/my-model"
    api.create(pipeline_body(model=True, modelId="my-model"), 409)
    second = api.create(pipeline_body(model=True, parentModel="my-model"))
    api.service.advance(1)
    assert api.finish(second)["modelToUpload"] == {**second["modelToUpload"], "name": model_name, "versionId": "2"}
    assert api.get(model_name)["versionId"] == "2", "the SDK asks for default on each version"
    versions = api.http.get(f"/v1/{model_name}:listVersions").json["models"]
    assert [v["versionId"] for v in versions] == ["1", "2"]
    assert [m["name"] for m in api.http.get(MODELS).json["models"]] == [model_name]
    assert api.get(f"{model_name}@3", 404)["error"]["message"] == f'Model "{model_name}@3" does not exist.'
    api.create(pipeline_body(model=True, parentModel="nope"), 404)


def test_an_admission_refusal_fails_the_pipeline_without_a_job(api: Api) -> None:
    never = api.create(pipeline_body(task_inputs(worker_pool_specs=worker_pools(replica_count=3))))
    assert never["state"] == pipelines.FAILED and never["endTime"]
    with pytest.raises(ApiError, match="has no backing job"):
        api.service.set_outcome(never["name"], jobs.SUCCEEDED, None, None, None)
    assert never["error"]["code"] == 3 and "trainingTaskMetadata" not in never
    assert api.http.get(f"/v1/{PARENT}/customJobs").json.get("customJobs", []) == []
    api.create(pipeline_body(task_inputs(worker_pool_specs=worker_pools(replica_count=2))))
    full = api.create(pipeline_body())
    assert full["state"] == pipelines.FAILED and full["error"]["code"] == 9
    assert len(api.http.get(f"/v1/{PARENT}/customJobs").json["customJobs"]) == 1


def test_under_queue_admission_the_pipeline_waits_with_its_job(api: Api) -> None:
    api.service.settings = type(api.service.settings)(admission="queue", job_duration=None)
    holder = api.create(pipeline_body(task_inputs(worker_pool_specs=worker_pools(replica_count=2))))
    waiting = api.create(pipeline_body())
    api.service.advance(1)
    assert api.get(waiting["name"])["state"] == pipelines.QUEUED
    api.finish(holder)
    api.service.advance(1)
    assert api.get(waiting["name"])["state"] == pipelines.RUNNING


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (pipeline_body(task_inputs(replicas=1.0)), 400, "training_pipeline.training_task_inputs"),
        (
            pipeline_body({"persistent_resource_id": "demo"}),
            400,
            "training_pipeline.training_task_inputs.worker_pool_specs",
        ),
        (pipeline_body(task_inputs("missing")), 404, None),
        (
            pipeline_body(
                trainingTaskDefinition="gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_tables_1.0.0.yaml"
            ),
            400,
            "training_pipeline.training_task_definition",
        ),
        (
            pipeline_body(modelToUpload={"displayName": "m"}),
            400,
            "training_pipeline.model_to_upload.container_spec.image_uri",
        ),
        ({**pipeline_body(), "notAField": 1}, 400, "training_pipeline"),
    ],
)
def test_bad_input_leaves_nothing_behind(api: Api, body: dict[str, Any], status: int, field: str | None) -> None:
    error = api.create(body, status)["error"]
    if field is not None:
        assert error["details"][0]["fieldViolations"][0]["field"] == field
    else:
        assert error["message"] == f'PersistentResource "{PARENT}/persistentResources/missing" does not exist.'
    api.nothing_made()
    assert api.create(pipeline_body())["name"] == api.service.list_pipelines(PARENT, None, None, None)[0][0].name


def test_the_state_exports_and_imports_with_pipelines_and_models(api: Api) -> None:
    created = api.create(pipeline_body(model=True))
    api.service.advance(1)
    api.finish(created)
    running = api.create(pipeline_body())
    snapshot = api.service.export_state()
    assert [p["name"] for p in snapshot["trainingPipelines"]] == [created["name"], running["name"]]
    other = new_service(job_duration=None)
    other.import_state(snapshot)
    assert other.export_state() == snapshot
    other.advance(1)
    other.set_outcome(other.get_pipeline(running["name"]).job, jobs.SUCCEEDED, None, None, None)
    assert other.get_pipeline(running["name"]).state == pipelines.SUCCEEDED


def test_a_data_dir_keeps_pipelines_and_models_across_a_restart(api: Api, tmp_path: Path) -> None:
    kept = store.attach(api.service, tmp_path)
    done = api.create(pipeline_body(model=True))
    api.service.advance(1)
    api.finish(done)
    running = api.create(pipeline_body())
    api.service.advance(1)
    before = api.service.export_state()
    kept.close()
    again = new_service(job_duration=None)
    reopened = store.attach(again, tmp_path)
    try:
        assert reopened.restored and again.export_state() == before
        again.cancel_pipeline(running["name"])
        assert again.get_pipeline(running["name"]).state == pipelines.CANCELLED
        model, _ = again.get_model(api.get(done["name"])["modelToUpload"]["name"] + "@default")
        assert model.render()["trainingPipeline"] == done["name"]
    finally:
        reopened.close()
