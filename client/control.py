"""The emulator's control API (``/emulator/v1``) from Python, with the official exceptions.

The harness of the pytest fixtures drives the emulator through this client rather than by calling
the service, so that what it raises is what the GAPIC clients raise for the real API: a refused
outcome is ``google.api_core.exceptions.BadRequest`` (400 FAILED_PRECONDITION), an unknown job
``NotFound``, each built by ``google.api_core.exceptions.from_http_response`` from the ``google.rpc.Status`` body.
It works over a socket and in process alike: ``mock_vertex`` answers the control API on the
Vertex AI hosts too.
"""

from __future__ import annotations

from typing import Any

import requests
from google.api_core import exceptions

TIMEOUT_SECONDS = 30.0


class ControlClient:
    """The control API of the emulator at ``url`` (``http://127.0.0.1:PORT``, or a Vertex AI host in process)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One control call; its JSON answer, or the official exception for its error."""
        answer = requests.request(method, f"{self.url}/emulator/v1/{path}", json=body, timeout=TIMEOUT_SECONDS)
        if answer.status_code >= 400:
            raise exceptions.from_http_response(answer)
        return dict(answer.json())

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the manual clock; what became due runs. Answers the clock (``now``, ``manual``)."""
        return self.call("POST", "clock:advance", {"seconds": seconds})

    def set_outcome(
        self,
        job_name: str,
        state: str = "JOB_STATE_SUCCEEDED",
        error: dict[str, Any] | None = None,
        *,
        after: float | None = None,
        at: str | None = None,
    ) -> dict[str, Any]:
        """Decide how a job ends: now, ``after`` seconds of running, or ``at`` an RFC 3339 instant."""
        given = {"state": state, "error": error, "after": after, "at": at}
        return self.call(
            "POST", f"{job_name}:setOutcome", {key: value for key, value in given.items() if value is not None}
        )
