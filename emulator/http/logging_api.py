"""The Cloud Logging API's ``POST /v2/entries:list``, on the emulator's own port, for job logs.

gcloud reaches it with ``api_endpoint_overrides/logging``; the logs are those of local execution
(``vertex_emulator.runner``), and without it the list is empty.
"""

from __future__ import annotations

from flask import Response, current_app

from vertex_emulator.http.rendering import json_body, reply
from vertex_emulator.runner.entries import list_entries


def entries_list() -> Response:
    execution = getattr(current_app.extensions["vertex_emulator"], "execution", None)
    return reply(list_entries(getattr(execution, "logs", None), json_body()))
