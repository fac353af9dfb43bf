"""Shared fixtures: an emulator reached through the official clients, served or in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1
from hypothesis import settings

from vertex_emulator.client.inprocess import mock_vertex
from vertex_emulator.clock import ManualClock
from vertex_emulator.http.app import make_app
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

os.environ.setdefault("NO_GCE_CHECK", "True")

settings.register_profile(
    "fast", derandomize=True, max_examples=30, stateful_step_count=30, deadline=None, print_blob=True
)
"""The default: the same examples on every run, few enough that the properties take seconds."""
settings.register_profile("deep", max_examples=1000, stateful_step_count=200, deadline=None, print_blob=True)
"""``HYPOTHESIS_PROFILE=deep`` (``make test-deep``): fresh random examples, a thousand per property."""
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

PROJECT = "my-project"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


@dataclass
class Target:
    """An emulator and the endpoint the official clients reach it by."""

    service: Service
    endpoint: str | None

    def client_options(self) -> dict[str, Any]:
        return {"api_endpoint": self.endpoint} if self.endpoint else {}

    def resources(self) -> aiplatform_v1.PersistentResourceServiceClient:
        return aiplatform_v1.PersistentResourceServiceClient(
            transport="rest", client_options=self.client_options(), credentials=AnonymousCredentials()
        )

    def jobs(self) -> aiplatform_v1.JobServiceClient:
        return aiplatform_v1.JobServiceClient(
            transport="rest", client_options=self.client_options(), credentials=AnonymousCredentials()
        )

    def advance(self, seconds: float) -> None:
        self.service.advance(seconds)


def new_service(**settings: Any) -> Service:
    return Service(clock=ManualClock(), settings=Settings(**settings), seed=7)


@pytest.fixture
def service() -> Service:
    return new_service()


@pytest.fixture
def http(service: Service) -> Any:
    """The Flask test client of an emulator."""
    return make_app(service).test_client()


@pytest.fixture(params=["served", "in-process"])
def target(request: pytest.FixtureRequest, service: Service) -> Iterator[Target]:
    """The same emulator reached over a real socket, and through the in-process router."""
    if request.param == "served":
        with ThreadedServer(service) as server:
            yield Target(service, server.url)
    else:
        with mock_vertex(service):
            yield Target(service, None)


@pytest.fixture
def sdk_fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The high-level SDK with a clean global config and a job poll interval of zero."""
    from google.cloud.aiplatform import initializer, jobs

    monkeypatch.setattr(jobs, "_JOB_WAIT_TIME", 0)
    initializer.global_config.__init__()
    yield
    initializer.global_config.__init__()


def demo_pool(**overrides: Any) -> dict[str, Any]:
    pool = {
        "id": "k80-pool",
        "machineSpec": {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1},
        "replicaCount": "2",
    }
    pool.update(overrides)
    return pool


def job_body(resource_id: str | None = "demo", replicas: int = 1, **machine: Any) -> dict[str, Any]:
    spec = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1, **machine}
    job_spec: dict[str, Any] = {
        "workerPoolSpecs": [
            {"machineSpec": spec, "replicaCount": str(replicas), "containerSpec": {"imageUri": "gcr.io/p/trainer:1"}}
        ]
    }
    if resource_id:
        job_spec["persistentResourceId"] = resource_id
    return {"displayName": "train", "jobSpec": job_spec}
