"""Client library and test harness of vertex-emulator.

- :class:`VertexClient`: one client for the emulator or the real endpoint (official GAPIC clients).
- :func:`use_emulator`: point the high-level ``google.cloud.aiplatform`` SDK at an emulator.
- :class:`mock_vertex`: in-process mode, a decorator and context manager (moto's ``mock_aws``).
- The pytest plugin (``client.pytest_plugin``) registers the ``vertex_emulator`` fixtures.
"""

from client.errors import JobCancelled, JobFailed, ResourceFailed, WaitTimeout
from client.inprocess import RefusedHost, mock_vertex
from client.sdk import reset_sdk, use_emulator
from client.specs import SpecError
from client.target import EMULATOR_HOST_ENV
from client.vertex import VertexClient
from client.waiting import Backoff

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
