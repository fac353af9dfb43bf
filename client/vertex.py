"""One client, two targets: the emulator or the real Vertex AI, with the same methods.

It is a thin layer over the official GAPIC clients (``google.cloud.aiplatform_v1``), always on
the REST transport: what it returns are their messages, what it raises are their
``google.api_core.exceptions``. It adds what every caller writes by hand otherwise: names from
bare ids, specs from files, and waits that end in a value or a typed error.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping

from google.auth.credentials import Credentials
from google.cloud import aiplatform_v1
from google.protobuf import field_mask_pb2

from vertex_emulator.client import target
from vertex_emulator.client.errors import JobCancelled, JobFailed, ResourceFailed
from vertex_emulator.client.target import Endpoint
from vertex_emulator.client.waiting import Backoff, poll
from vertex_emulator.offline import specs

JobState = aiplatform_v1.JobState
ResourceState = aiplatform_v1.PersistentResource.State
JOB_ENDS = {JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED}
RESOURCE_ENDS = {ResourceState.RUNNING, ResourceState.ERROR}
REPLICA_COUNT_MASK = "resource_pools.replica_count"
DEFAULT_TIMEOUT = 1800.0
DEFAULT_BACKOFF = Backoff()


class VertexClient:
    """Persistent resources and custom jobs of one project and location.

    ``VertexClient(project, location)`` goes to the emulator named by ``VERTEX_AI_EMULATOR_HOST``
    when it is set, to the real regional endpoint otherwise; :meth:`emulator` and :meth:`real`
    choose explicitly. ``resources`` and ``jobs`` are the underlying GAPIC clients.
    """

    def __init__(self, project: str, location: str = "us-central1", *, endpoint: Endpoint | None = None) -> None:
        self.project = project
        self.location = location
        self.endpoint = endpoint or target.resolve(location)
        options = {
            "transport": "rest",
            "client_options": self.endpoint.client_options(),
            "credentials": self.endpoint.credentials,
        }
        self.resources = aiplatform_v1.PersistentResourceServiceClient(**options)
        self.jobs = aiplatform_v1.JobServiceClient(**options)

    @classmethod
    def emulator(cls, project: str, location: str = "us-central1", host: str | None = None) -> VertexClient:
        """An emulator at ``host`` (``host:port``) or at ``VERTEX_AI_EMULATOR_HOST``."""
        return cls(project, location, endpoint=target.emulator(host))

    @classmethod
    def real(cls, project: str, location: str = "us-central1", credentials: Credentials | None = None) -> VertexClient:
        """The real regional endpoint, with ``credentials`` or application default credentials."""
        return cls(project, location, endpoint=target.real(location, credentials))

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    def resource_name(self, resource: str) -> str:
        return resource if "/" in resource else f"{self.parent}/persistentResources/{resource}"

    def job_name(self, job: str | aiplatform_v1.CustomJob) -> str:
        name = job.name if isinstance(job, aiplatform_v1.CustomJob) else job
        return name if "/" in name else f"{self.parent}/customJobs/{name}"

    # ------------------------------------------------------- persistent resources

    def create_persistent_resource(
        self, resource_id: str, spec: specs.Source, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> aiplatform_v1.PersistentResource:
        """Create a persistent resource from a dict or a JSON/YAML file and wait until it runs."""
        body = aiplatform_v1.PersistentResource.from_json(json.dumps(specs.persistent_resource(spec)))
        operation = self.resources.create_persistent_resource(
            parent=self.parent, persistent_resource=body, persistent_resource_id=resource_id
        )
        operation.result(timeout=timeout)
        return self.wait_persistent_resource(resource_id, timeout=timeout)

    def wait_persistent_resource(
        self,
        resource: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], object] = time.sleep,
    ) -> aiplatform_v1.PersistentResource:
        """Poll until the resource is RUNNING; raise :class:`ResourceFailed` on ERROR."""
        fetch = functools.partial(self.get_persistent_resource, resource)
        found = poll(fetch, lambda now: now.state in RESOURCE_ENDS, timeout=timeout, backoff=backoff, sleep=sleep)
        if found.state == ResourceState.ERROR:
            raise ResourceFailed(found)
        return found

    def get_persistent_resource(self, resource: str) -> aiplatform_v1.PersistentResource:
        return self.resources.get_persistent_resource(name=self.resource_name(resource))

    def list_persistent_resources(self) -> list[aiplatform_v1.PersistentResource]:
        return list(self.resources.list_persistent_resources(parent=self.parent))

    def update_replica_counts(
        self, resource: str, counts: Mapping[str, int], *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> aiplatform_v1.PersistentResource:
        """Set the replica count of pools named by id; the others keep theirs. Waits until RUNNING."""
        current = self.get_persistent_resource(resource)
        unknown = set(counts) - {pool.id for pool in current.resource_pools}
        if unknown:
            raise ValueError(
                f"{current.name} has no resource pool {', '.join(sorted(unknown))}; "
                f"its pools are {', '.join(pool.id for pool in current.resource_pools)}"
            )
        pools = [
            aiplatform_v1.ResourcePool(id=pool.id, replica_count=counts.get(pool.id, pool.replica_count))
            for pool in current.resource_pools
        ]
        operation = self.resources.update_persistent_resource(
            persistent_resource=aiplatform_v1.PersistentResource(name=current.name, resource_pools=pools),
            update_mask=field_mask_pb2.FieldMask(paths=[REPLICA_COUNT_MASK]),
        )
        operation.result(timeout=timeout)
        return self.wait_persistent_resource(current.name, timeout=timeout)

    def reboot_persistent_resource(
        self, resource: str, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> aiplatform_v1.PersistentResource:
        operation = self.resources.reboot_persistent_resource(name=self.resource_name(resource))
        operation.result(timeout=timeout)
        return self.wait_persistent_resource(resource, timeout=timeout)

    def delete_persistent_resource(self, resource: str, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        """Delete and wait until it is gone; jobs still running on it are cancelled by the service."""
        self.resources.delete_persistent_resource(name=self.resource_name(resource)).result(timeout=timeout)

    # ----------------------------------------------------------------- custom jobs

    def submit_job(
        self,
        spec: specs.Source,
        *,
        persistent_resource_id: str | None = None,
        display_name: str | None = None,
    ) -> aiplatform_v1.CustomJob:
        """Create a custom job from a REST body or a gcloud ``--config`` spec (dict or file)."""
        job = specs.custom_job(spec, display_name=display_name, persistent_resource_id=persistent_resource_id)
        return self.jobs.create_custom_job(
            parent=self.parent, custom_job=aiplatform_v1.CustomJob.from_json(json.dumps(job))
        )

    def get_job(self, job: str | aiplatform_v1.CustomJob) -> aiplatform_v1.CustomJob:
        return self.jobs.get_custom_job(name=self.job_name(job))

    def list_jobs(self, filter: str | None = None) -> list[aiplatform_v1.CustomJob]:
        """Every job of the location, across pages; ``filter`` is the API's list filter."""
        request = aiplatform_v1.ListCustomJobsRequest(parent=self.parent, filter=filter or "")
        return list(self.jobs.list_custom_jobs(request=request))

    def cancel_job(self, job: str | aiplatform_v1.CustomJob) -> None:
        """Ask for cancellation; it is asynchronous, :meth:`wait_job` sees it end CANCELLED."""
        self.jobs.cancel_custom_job(name=self.job_name(job))

    def delete_job(self, job: str | aiplatform_v1.CustomJob, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self.jobs.delete_custom_job(name=self.job_name(job)).result(timeout=timeout)

    def wait_job(
        self,
        job: str | aiplatform_v1.CustomJob,
        *,
        timeout: float | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], object] = time.sleep,
    ) -> aiplatform_v1.CustomJob:
        """The job once it SUCCEEDED; :class:`JobFailed` / :class:`JobCancelled` otherwise.

        Raises :class:`vertex_emulator.client.errors.WaitTimeout` after ``timeout`` seconds. ``sleep`` may move
        an emulator's manual clock instead of sleeping.
        """
        fetch = functools.partial(self.get_job, job)
        final = poll(fetch, lambda now: now.state in JOB_ENDS, timeout=timeout, backoff=backoff, sleep=sleep)
        if final.state == JobState.JOB_STATE_FAILED:
            raise JobFailed(final)
        if final.state == JobState.JOB_STATE_CANCELLED:
            raise JobCancelled(final)
        return final
