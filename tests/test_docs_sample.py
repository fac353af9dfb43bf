"""The documentation's sample, unmodified, against ``vertex-emulator serve`` and the demo fixture."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform

from tests.serving import served

INSTANT = ("--job-queued-delay", "0", "--job-pending-delay", "0", "--job-duration", "0")


def create_custom_job_on_persistent_resource_sample(
    project: str,
    location: str,
    staging_bucket: str,
    display_name: str,
    container_uri: str,
    persistent_resource_id: str,
    service_account: str | None = None,
    machine_spec: dict[str, Any] | None = None,
) -> aiplatform.CustomJob:
    """The sample as the page gives it; ``machine_spec`` only lets a test break the match."""
    aiplatform.init(project=project, location=location, staging_bucket=staging_bucket)

    worker_pool_specs = [
        {
            "machine_spec": machine_spec
            or {
                "machine_type": "n1-standard-4",
                "accelerator_type": "NVIDIA_TESLA_K80",
                "accelerator_count": 1,
            },
            "replica_count": 1,
            "container_spec": {
                "image_uri": container_uri,
                "command": [],
                "args": [],
            },
        }
    ]

    custom_job = aiplatform.CustomJob(
        display_name=display_name,
        worker_pool_specs=worker_pool_specs,
        persistent_resource_id=persistent_resource_id,
    )

    custom_job.run(service_account=service_account)
    return custom_job


@pytest.fixture(scope="module")
def demo_url() -> Any:
    with served("--fixtures", "fixtures/demo", *INSTANT) as url:
        yield url


def _run(url: str, **overrides: Any) -> aiplatform.CustomJob:
    aiplatform.init(api_endpoint=url, api_transport="rest", credentials=AnonymousCredentials())
    return create_custom_job_on_persistent_resource_sample(
        project="my-project",
        location="us-central1",
        staging_bucket="gs://my-bucket",
        display_name="my-job",
        container_uri="us-docker.pkg.dev/my-project/repo/trainer:latest",
        persistent_resource_id="demo-resource",
        **overrides,
    )


def test_sample_runs_to_success(demo_url: str, sdk_fast: None) -> None:
    job = _run(demo_url)
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    assert job.resource_name.startswith("projects/my-project/locations/us-central1/customJobs/")


@pytest.mark.parametrize(
    ("machine_spec", "field"),
    [
        (
            {"machine_type": "n1-standard-8", "accelerator_type": "NVIDIA_TESLA_K80", "accelerator_count": 1},
            "machine_type",
        ),
        (
            {"machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_K80", "accelerator_count": 2},
            "accelerator_count",
        ),
    ],
)
def test_sample_with_a_mismatched_machine_is_a_bad_request(
    demo_url: str, sdk_fast: None, machine_spec: dict[str, Any], field: str
) -> None:
    with pytest.raises(exceptions.BadRequest, match=f"machine_spec.{field}"):
        _run(demo_url, machine_spec=machine_spec)
