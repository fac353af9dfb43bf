"""Client library and test harness of vertex-emulator.

- :class:`VertexClient`: one client for the emulator or the real endpoint (official GAPIC clients).
- :func:`use_emulator`: point the high-level ``google.cloud.aiplatform`` SDK at an emulator.
- :class:`mock_vertex`: in-process mode, a decorator and context manager (moto's ``mock_aws``).
- The pytest plugin (``client.pytest_plugin``) registers the ``vertex_emulator`` fixtures.

Names load on first use: pytest imports this package (for the plugin) in every run of an
environment that installs it, and the official types take seconds to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from client.errors import JobCancelled, JobFailed, ResourceFailed, WaitTimeout
    from client.inprocess import RefusedHost, mock_vertex
    from client.sdk import reset_sdk, use_emulator
    from client.specs import SpecError
    from client.target import EMULATOR_HOST_ENV
    from client.vertex import VertexClient
    from client.waiting import Backoff

_HOMES = {
    "EMULATOR_HOST_ENV": "client.target",
    "Backoff": "client.waiting",
    "JobCancelled": "client.errors",
    "JobFailed": "client.errors",
    "RefusedHost": "client.inprocess",
    "ResourceFailed": "client.errors",
    "SpecError": "client.specs",
    "VertexClient": "client.vertex",
    "WaitTimeout": "client.errors",
    "mock_vertex": "client.inprocess",
    "reset_sdk": "client.sdk",
    "use_emulator": "client.sdk",
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'client' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
