"""The documentation's sample, verbatim, against ``vertex-emulator serve`` and a fixture.

With the demo fixture it runs to success; against a resource whose pool differs in one field
it raises the ``BadRequest`` a user would catch, naming that field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform

from tests.samples.docs_sample import create_custom_job_on_persistent_resource_sample
from tests.serving import served

INSTANT = ("--job-queued-delay", "0", "--job-pending-delay", "0", "--job-duration", "0")
DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "demo-resource.json"


def _run_sample(url: str) -> None:
    aiplatform.init(api_endpoint=url, api_transport="rest", credentials=AnonymousCredentials())
    create_custom_job_on_persistent_resource_sample(
        project="my-project",
        location="us-central1",
        staging_bucket="gs://my-bucket",
        display_name="my-job",
        container_uri="us-docker.pkg.dev/my-project/repo/trainer:latest",
        persistent_resource_id="demo-resource",
    )


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with served("--fixtures", str(DEMO), *INSTANT) as url:
        yield url


def test_sample_runs_to_success(demo_url: str, sdk_fast: None) -> None:
    _run_sample(demo_url)
    jobs = requests.get(f"{demo_url}/v1/projects/my-project/locations/us-central1/customJobs", timeout=30).json()
    assert [(job["displayName"], job["state"]) for job in jobs["customJobs"]] == [("my-job", "JOB_STATE_SUCCEEDED")]


@pytest.mark.parametrize(
    ("machine", "field"),
    [({"machineType": "n1-standard-8"}, "machine_type"), ({"acceleratorCount": 2}, "accelerator_count")],
)
def test_sample_on_a_pool_that_differs_is_a_bad_request_naming_the_field(
    tmp_path: Path, sdk_fast: None, machine: dict[str, Any], field: str
) -> None:
    resource = json.loads(DEMO.read_text())
    resource["resourcePools"][0]["machineSpec"].update(machine)
    fixture = tmp_path / "different.json"
    fixture.write_text(json.dumps(resource))
    with served("--fixtures", str(fixture), *INSTANT) as url, pytest.raises(exceptions.BadRequest) as raised:
        _run_sample(url)
    assert f"machine_spec.{field} is" in raised.value.message
