"""vertex-emulator: a local emulator and test harness for Vertex AI training on persistent resources.

The one import package of the distribution. ``vertex_emulator`` is the emulator (built from the
repository's ``emulator/`` folder) and ``vertex_emulator.client`` the client library and test
harness (``client/``). The names users write come from here and load on first use, so that
importing the package (pytest's plugin does, in every run) or starting ``serve`` never pays for
the official SDK::

    from vertex_emulator import VertexClient, mock_vertex, use_emulator
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vertex_emulator import exports

if TYPE_CHECKING:
    from vertex_emulator.address import EMULATOR_HOST_ENV
    from vertex_emulator.client import (
        Backoff,
        JobCancelled,
        JobFailed,
        RefusedHost,
        ResourceFailed,
        VertexClient,
        WaitTimeout,
        mock_vertex,
        reset_sdk,
        use_emulator,
    )
    from vertex_emulator.offline.specs import SpecError
    from vertex_emulator.server import ThreadedServer
    from vertex_emulator.service import Service
    from vertex_emulator.settings import Settings

_CLIENT = "vertex_emulator.client"
_HOMES = {
    "EMULATOR_HOST_ENV": "vertex_emulator.address",
    "Backoff": _CLIENT,
    "JobCancelled": _CLIENT,
    "JobFailed": _CLIENT,
    "RefusedHost": _CLIENT,
    "ResourceFailed": _CLIENT,
    "SpecError": "vertex_emulator.offline.specs",
    "VertexClient": _CLIENT,
    "WaitTimeout": _CLIENT,
    "mock_vertex": _CLIENT,
    "reset_sdk": _CLIENT,
    "use_emulator": _CLIENT,
    "Service": "vertex_emulator.service",
    "Settings": "vertex_emulator.settings",
    "ThreadedServer": "vertex_emulator.server",
}
__all__ = [
    "EMULATOR_HOST_ENV",
    "Backoff",
    "JobCancelled",
    "JobFailed",
    "RefusedHost",
    "ResourceFailed",
    "Service",
    "Settings",
    "SpecError",
    "ThreadedServer",
    "VertexClient",
    "WaitTimeout",
    "mock_vertex",
    "reset_sdk",
    "use_emulator",
]

__getattr__ = exports.lazy(__name__, _HOMES)
