"""The Cloud Logging API's ``POST /v2/entries:list``, on the emulator's own port, for job logs.

gcloud reaches it with ``api_endpoint_overrides/logging``; the logs are those of local execution
(``vertex_emulator.runner``), and without it the list is empty.
"""

from __future__ import annotations

from flask import Response

from vertex_emulator.http.rendering import reply
from vertex_emulator.http.request import json_body, service
from vertex_emulator.runner.entries import list_entries


def entries_list() -> Response:
    return reply(list_entries(getattr(service().execution, "logs", None), json_body()))
