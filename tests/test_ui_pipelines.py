"""Training pipelines on the overview API: each with its backing job, and each pool's holders naming
the pipeline a job runs for (the page showing them: test_ui_browser.py)."""

from __future__ import annotations

from tests.conftest import PARENT, demo_pool, new_service
from tests.pipeline_bodies import pipeline_body, task_inputs, worker_pools
from vertex_emulator.domain import pipelines
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service


def pipelines_service() -> tuple[Service, str, str]:
    """A pipeline holding one K80 replica, one refused (too big: no job), and a plain custom job."""
    service = new_service(job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    held = service.create_pipeline(PARENT, pipeline_body(displayName="held"), "v1")
    service.create_pipeline(
        PARENT, pipeline_body(task_inputs(worker_pool_specs=worker_pools(replica_count=3)), displayName="refused"), "v1"
    )
    service.advance(1)
    return service, held.name, str(held.job)


def test_the_overview_lists_pipelines_with_their_jobs_and_names_the_holders_pipeline() -> None:
    service, held, job = pipelines_service()
    [scope] = make_app(service).test_client().get("/emulator/v1/overview").get_json()["scopes"]
    listed = {item["displayName"]: item for item in scope["trainingPipelines"]}
    assert listed["held"]["backingCustomJob"] == {"name": job, "state": "JOB_STATE_RUNNING"}
    assert listed["held"]["state"] == pipelines.RUNNING and listed["held"]["model"] is None
    assert listed["refused"]["backingCustomJob"] is None and listed["refused"]["error"]["code"] == 3
    [holder] = scope["persistentResources"][0]["pools"][0]["holders"]
    assert holder["name"] == job
    assert holder["pipeline"] == {"name": held, "displayName": "held", "state": pipelines.RUNNING}
