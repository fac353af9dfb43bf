"""Training pipelines on the overview API and the web page: each with its backing job, and each
pool's holders naming the pipeline a job runs for."""

from __future__ import annotations

from typing import Any

import pytest

from tests import browser
from tests.conftest import PARENT, demo_pool, new_service
from tests.pipeline_bodies import pipeline_body, task_inputs, worker_pools
from tests.test_ui_browser import _open, _read, _wait, driver  # noqa: F401 - the module's one Chromium
from vertex_emulator.domain import pipelines
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service


def _service() -> tuple[Service, str, str]:
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
    service, held, job = _service()
    [scope] = make_app(service).test_client().get("/emulator/v1/overview").get_json()["scopes"]
    listed = {item["displayName"]: item for item in scope["trainingPipelines"]}
    assert listed["held"]["backingCustomJob"] == {"name": job, "state": "JOB_STATE_RUNNING"}
    assert listed["held"]["state"] == pipelines.RUNNING and listed["held"]["model"] is None
    assert listed["refused"]["backingCustomJob"] is None and listed["refused"]["error"]["code"] == 3
    [holder] = scope["persistentResources"][0]["pools"][0]["holders"]
    assert holder["name"] == job
    assert holder["pipeline"] == {"name": held, "displayName": "held", "state": pipelines.RUNNING}


@pytest.mark.skipif(browser.missing() is not None, reason=f"no headless browser: {browser.missing()}")
def test_the_page_shows_pipelines_and_whose_job_holds_a_pool(driver: Any) -> None:  # noqa: F811
    service, held, job = _service()
    for page in _open(driver, service):
        _wait(page, lambda d: d.find_elements("css selector", "table.pipelines tr[data-pipeline]"), "no pipelines")
        rows = _read(
            page,
            """return [...document.querySelectorAll("table.pipelines tr[data-pipeline]")].map((row) => ({
              name: row.dataset.pipeline, state: row.dataset.state,
              job: (row.querySelector(".backing-job code") || {}).dataset?.job || null,
              error: row.querySelector(".error-text").textContent}));""",
        )
        assert rows[0]["name"] == held
        assert rows[0]["job"] == job and rows[0]["state"] == pipelines.RUNNING
        assert rows[1]["job"] is None and rows[1]["error"].startswith("INVALID_ARGUMENT")
        owner = _read(page, "return document.querySelector(`.refs.holders li .owner`).dataset.pipeline;")
        assert owner == held
