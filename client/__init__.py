"""Client library and test harness of vertex-emulator.

- :class:`VertexClient`: one client for the emulator or the real endpoint (official GAPIC clients).
- :func:`use_emulator`: point the high-level ``google.cloud.aiplatform`` SDK at an emulator.
- :class:`mock_vertex`: in-process mode, a decorator and context manager (moto's ``mock_aws``).
- The pytest plugin (``vertex_emulator.client.pytest_plugin``) registers the ``vertex_emulator`` fixtures.

Names load on first use: pytest imports this package (for the plugin) in every run of an
environment that installs it, and the official types take seconds to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vertex_emulator import exports

if TYPE_CHECKING:
    from vertex_emulator.address import EMULATOR_HOST_ENV
    from vertex_emulator.client.errors import JobCancelled, JobFailed, ResourceFailed, WaitTimeout
    from vertex_emulator.client.inprocess import RefusedHost, mock_vertex
    from vertex_emulator.client.sdk import reset_sdk, use_emulator
    from vertex_emulator.client.vertex import VertexClient
    from vertex_emulator.client.waiting import Backoff
    from vertex_emulator.offline.specs import SpecError

_HOMES = {
    "EMULATOR_HOST_ENV": "vertex_emulator.address",
    "Backoff": "vertex_emulator.client.waiting",
    "JobCancelled": "vertex_emulator.client.errors",
    "JobFailed": "vertex_emulator.client.errors",
    "RefusedHost": "vertex_emulator.client.inprocess",
    "ResourceFailed": "vertex_emulator.client.errors",
    "SpecError": "vertex_emulator.offline.specs",
    "VertexClient": "vertex_emulator.client.vertex",
    "WaitTimeout": "vertex_emulator.client.errors",
    "mock_vertex": "vertex_emulator.client.inprocess",
    "reset_sdk": "vertex_emulator.client.sdk",
    "use_emulator": "vertex_emulator.client.sdk",
}
__all__ = [
    "EMULATOR_HOST_ENV",
    "Backoff",
    "JobCancelled",
    "JobFailed",
    "RefusedHost",
    "ResourceFailed",
    "SpecError",
    "VertexClient",
    "WaitTimeout",
    "mock_vertex",
    "reset_sdk",
    "use_emulator",
]

__getattr__ = exports.lazy(__name__, _HOMES)
