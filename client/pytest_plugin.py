"""The pytest plugin (``pytest11`` entry point ``vertex_emulator``): fixtures for Vertex AI tests.

- ``vertex_emulator``: a fresh in-process emulator per test (no socket), the SDK pointed at it.
- ``vertex_emulator_server``: a fresh emulator on a free loopback port, served by a thread, with
  ``VERTEX_AI_EMULATOR_HOST`` set for the test and the SDK pointed at it.

On the emulator both also set ``STORAGE_EMULATOR_HOST`` for the test, to one Cloud Storage
emulator per process (``vertex_emulator.storage.shared``, started on first use), emptied before
each test, with the staging bucket (``--vertex-staging-bucket``) created in it. The in-process
fixture therefore uses one loopback socket after all, for storage.

Both hand out a :class:`VertexHarness`. Their emulator has a manual clock and every delay zero, so
a submitted job has SUCCEEDED by the next call; ``@pytest.mark.vertex_emulator(job_duration=None)``
keeps jobs running until the test decides their outcome (the marker takes any field of
``vertex_emulator.settings.Settings``: ``admission="queue"``, ``provision_delay=30``, ...).

With ``--vertex-target=real`` both hand out a harness on the real regional endpoint instead
(``--vertex-project``, ``--vertex-location``, credentials from the ``vertex_credentials`` fixture,
application default credentials unless overridden), so a suite written against them runs unchanged
on the real service; the emulator-only controls (clock, outcomes) skip the test there.

Nothing heavy is imported until a fixture is used: the plugin loads in every pytest run of an
environment that installs it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from vertex_emulator.client.control import ControlClient
    from vertex_emulator.client.vertex import VertexClient
    from vertex_emulator.service import Service
    from vertex_emulator.settings import Settings
    from vertex_emulator.storage import Storage

TARGETS = ("emulator", "real")
DEFAULT_PROJECT = "my-project"
DEFAULT_LOCATION = "us-central1"
EMULATOR_BUCKET = "gs://vertex-emulator-staging"
MARKER = "vertex_emulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): the settings of the test's emulator (vertex_emulator.settings.Settings), "
        "e.g. job_duration=None to keep jobs running until set_outcome, admission='queue', provision_delay=30",
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vertex-emulator", "Vertex AI emulator fixtures")
    group.addoption(
        "--vertex-target",
        choices=TARGETS,
        default="emulator",
        help="where the vertex_emulator fixtures point: a fresh emulator (default) or the real Vertex AI",
    )
    group.addoption(
        "--vertex-project",
        default=None,
        help=f"project of the fixtures (default: $GOOGLE_CLOUD_PROJECT, else {DEFAULT_PROJECT})",
    )
    group.addoption(
        "--vertex-location", default=DEFAULT_LOCATION, help=f"location of the fixtures (default {DEFAULT_LOCATION})"
    )
    group.addoption(
        "--vertex-staging-bucket",
        default=None,
        help=f"the SDK's staging bucket (default on the emulator: {EMULATOR_BUCKET}, created for each test)",
    )
    group.addoption(
        "--vertex-execution",
        choices=("none", "local"),
        default="none",
        help="local: the emulator runs each job's replicas as local processes (README, local execution)",
    )


@dataclass
class VertexHarness:
    """What a test gets: a client, where it points, and (on an emulator) the emulator itself.

    Its controls go through the emulator's control API, so they raise what the client raises:
    the official ``google.api_core.exceptions`` (``BadRequest``, a 400 FAILED_PRECONDITION, for a
    job that has already ended; ``NotFound`` for an unknown one), never the emulator's own errors.
    """

    client: VertexClient
    project: str
    location: str
    service: Service | None = None
    url: str | None = None
    storage: Storage | None = None
    """The Cloud Storage emulator the test's ``STORAGE_EMULATOR_HOST`` names (None on the real target)."""

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def is_emulator(self) -> bool:
        return self.service is not None

    def emulator(self) -> Service:
        """The emulator's :class:`Service`; skips the test on the real target, which has none."""
        if self.service is None:
            pytest.skip(
                "needs the emulator's controls; the fixtures point at the real Vertex AI (--vertex-target=real)"
            )
        return self.service

    @functools.cached_property
    def control(self) -> ControlClient:
        """The emulator's control API (clock, outcomes); skips the test on the real target."""
        from vertex_emulator.client.control import ControlClient

        self.emulator()
        return ControlClient(str(self.url))

    def advance(self, seconds: float) -> None:
        """Move the emulator's manual clock: due transitions (provisioning, job ends) happen."""
        self.control.advance(seconds)

    def set_outcome(
        self,
        job: Any,
        state: str = "JOB_STATE_SUCCEEDED",
        error: dict[str, Any] | None = None,
        *,
        after: float | None = None,
    ) -> None:
        """End a job, SUCCEEDED or FAILED (with a google.rpc.Status ``error``), now or ``after``
        seconds of running. The job must not have ended: keep jobs running with
        ``@pytest.mark.vertex_emulator(job_duration=None)``."""
        self.control.set_outcome(self.client.job_name(job), state, error, after=after)

    def fail_resource(self, resource: str, error: dict[str, Any] | None = None, after: float | None = None) -> None:
        """Make a persistent resource's provisioning (or update, or reboot) end in ERROR, now or ``after``
        seconds from its start; the default error is the real service's."""
        self.control.set_outcome(self.client.resource_name(resource), "ERROR", error, after=after)

    def set_trial_outcome(
        self,
        tuning_job: Any,
        trial_id: str,
        metrics: dict[str, float] | None = None,
        infeasible_reason: str | None = None,
        after: float | None = None,
    ) -> None:
        """Decide a trial of a hyperparameter tuning job (an SDK object or its name): its final
        ``metrics``, or INFEASIBLE with ``infeasible_reason``; now, or ``after`` seconds of running.
        A trial not started yet gets the outcome when it starts."""
        name = str(getattr(tuning_job, "resource_name", tuning_job))
        if "/" not in name:
            name = f"{self.parent}/hyperparameterTuningJobs/{name}"
        state = None if infeasible_reason is None else "INFEASIBLE"
        self.emulator().set_trial_outcome(name, trial_id, metrics, state, infeasible_reason, None, after)


@dataclass(frozen=True)
class _Options:
    target: str
    project: str
    location: str
    bucket: str | None


def _options(config: pytest.Config) -> _Options:
    target = config.getoption("--vertex-target")
    project = config.getoption("--vertex-project") or os.environ.get("GOOGLE_CLOUD_PROJECT") or DEFAULT_PROJECT
    bucket = config.getoption("--vertex-staging-bucket") or (EMULATOR_BUCKET if target == "emulator" else None)
    return _Options(target, project, config.getoption("--vertex-location"), bucket)


def _settings(request: pytest.FixtureRequest) -> Settings:
    """The emulator's settings: the defaults (every delay zero), changed by the test's marker."""
    from vertex_emulator.settings import Settings

    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return Settings()
    if marker.args:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only (job_duration=None, ...)")
    try:
        return Settings(**marker.kwargs)
    except (TypeError, ValueError) as error:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}({marker.kwargs}): {error}") from None


@contextmanager
def _sdk(options: _Options, monkeypatch: pytest.MonkeyPatch, url: str | None, credentials: Any) -> Iterator[None]:
    """The SDK's global config for one test, REST, fresh before and after; job and training
    pipeline polls at once on an emulator (its clock, not the SDK's five-second sleep, decides how
    long a job runs)."""
    from google.cloud import aiplatform
    from google.cloud.aiplatform import jobs, training_jobs

    from vertex_emulator.client.sdk import reset_sdk

    reset_sdk()
    aiplatform.init(
        project=options.project,
        location=options.location,
        staging_bucket=options.bucket,
        api_transport="rest",
        api_endpoint=url,
        credentials=credentials,
    )
    if options.target == "emulator":
        monkeypatch.setattr(jobs, "_JOB_WAIT_TIME", 0)
        monkeypatch.setattr(training_jobs, "_JOB_WAIT_TIME", 0)
    try:
        yield
    finally:
        reset_sdk()


def _fresh_storage(options: _Options, monkeypatch: pytest.MonkeyPatch) -> Storage:
    """The process's storage emulator, emptied, holding the staging bucket, named by ``STORAGE_EMULATOR_HOST``."""
    from vertex_emulator import storage

    shared = storage.shared()
    shared.reset()
    if options.bucket:
        shared.create_bucket(storage.bucket_name(options.bucket))
    for name, value in shared.environment().items():
        monkeypatch.setenv(name, value)
    return shared


@contextmanager
def _execution(config: pytest.Config, service: Service, storage: Storage) -> Iterator[None]:
    """``--vertex-execution local``: the test's jobs run their replicas as processes, all ended after it."""
    if config.getoption("--vertex-execution") != "local":
        yield
        return
    from vertex_emulator.runner.options import running_locally

    with running_locally(service, storage.url):
        yield


@contextmanager
def _real(options: _Options, monkeypatch: pytest.MonkeyPatch, credentials: Credentials | None) -> Iterator[Any]:
    from vertex_emulator.client.vertex import VertexClient

    client = VertexClient.real(options.project, options.location, credentials)
    with _sdk(options, monkeypatch, None, client.endpoint.credentials):
        yield VertexHarness(client, options.project, options.location, url=client.endpoint.url)


@pytest.fixture
def vertex_credentials() -> Credentials | None:
    """Credentials for ``--vertex-target=real``; None means application default credentials.

    Override it in a ``conftest.py`` to use others.
    """
    return None


@pytest.fixture
def vertex_emulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, vertex_credentials: Credentials | None
) -> Iterator[VertexHarness]:
    """A fresh in-process emulator (manual clock) answering the Vertex AI hosts, the SDK on it."""
    options = _options(request.config)
    if options.target == "real":
        with _real(options, monkeypatch, vertex_credentials) as harness:
            yield harness
        return
    from google.auth.credentials import AnonymousCredentials

    from vertex_emulator.client.inprocess import mock_vertex
    from vertex_emulator.client.vertex import VertexClient

    storage = _fresh_storage(options, monkeypatch)
    with (
        mock_vertex(settings=_settings(request), passthrough=(storage.url,)) as service,
        _sdk(options, monkeypatch, None, AnonymousCredentials()),
        _execution(request.config, service, storage),
    ):
        client = VertexClient.real(options.project, options.location, AnonymousCredentials())
        yield VertexHarness(client, options.project, options.location, service, client.endpoint.url, storage)


@pytest.fixture
def vertex_emulator_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, vertex_credentials: Credentials | None
) -> Iterator[VertexHarness]:
    """A fresh emulator (manual clock) on a free loopback port, like ``ThreadedMotoServer(port=0)``.

    ``VERTEX_AI_EMULATOR_HOST`` names it for the test, so code that reads it finds it too: a
    ``VertexClient()``, ``vertex_emulator.use_emulator()``, or a subprocess started with
    ``vertex_emulator.sitedir.PATH`` on its ``PYTHONPATH`` (the redirect ``vertex-emulator exec`` uses).
    """
    options = _options(request.config)
    if options.target == "real":
        with _real(options, monkeypatch, vertex_credentials) as harness:
            yield harness
        return
    from vertex_emulator.address import EMULATOR_HOST_ENV
    from vertex_emulator.client.vertex import VertexClient
    from vertex_emulator.http.app import make_app
    from vertex_emulator.http.options import HttpOptions
    from vertex_emulator.server import ThreadedServer
    from vertex_emulator.service import Service

    storage = _fresh_storage(options, monkeypatch)
    service = Service(settings=_settings(request))
    with (
        ThreadedServer(service, app=make_app(service, HttpOptions(storage=storage))) as server,
        _execution(request.config, service, storage),
    ):
        monkeypatch.setenv(EMULATOR_HOST_ENV, server.address)
        client = VertexClient.emulator(options.project, options.location, server.address)
        with _sdk(options, monkeypatch, server.url, client.endpoint.credentials):
            yield VertexHarness(client, options.project, options.location, service, server.url, storage)
