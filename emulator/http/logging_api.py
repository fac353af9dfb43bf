"""The Cloud Logging API's ``POST /v2/entries:list``, on the emulator's own port, for job logs.

gcloud reaches it with ``api_endpoint_overrides/logging``; the logs are those of local execution
(``vertex_emulator.runner``), and without it the list is empty. The log book and its filter
language are imported by the first call, not on ``serve``'s way to its ready line.
"""

from __future__ import annotations

from flask import Response

from vertex_emulator.http.rendering import reply
from vertex_emulator.http.request import json_body, service


def entries_list() -> Response:
    from vertex_emulator.runner.entries import list_entries

    return reply(list_entries(getattr(service().execution, "logs", None), json_body()))
