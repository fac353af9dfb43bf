"""Per-call cost through the official SDK, in-process: a GAPIC create + get pair, emulator vs floor.

Both sides run the same ``JobServiceClient`` over REST, routed by ``responses`` through the same
``vertex_emulator.client.inprocess.intercept``; only the app behind the routing differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import Flask

from bench import floor, workload
from bench.stats import Row, cpu, paired
from vertex_emulator.http.app import make_app

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import JobServiceClient

TARGET_RATIO = 1.3


@contextmanager
def routed(app: Flask) -> Iterator[None]:
    """Vertex AI hosts answered by ``app`` in this process, as ``mock_vertex`` answers them."""
    from vertex_emulator.client.inprocess import intercept  # the client package loads the official SDK (a second)

    mock = intercept(app)
    try:
        yield
    finally:
        mock.stop()
        mock.reset()


def _client() -> JobServiceClient:
    os.environ.setdefault("NO_GCE_CHECK", "True")
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1

    return aiplatform_v1.JobServiceClient(transport="rest", credentials=AnonymousCredentials())


def _pairs(app: Flask, calls: int) -> float:
    """CPU seconds per create + get pair, after one untimed pair (first use is not per-call cost)."""
    from google.cloud import aiplatform_v1

    client = _client()
    job = aiplatform_v1.CustomJob.from_json(json.dumps(workload.job_body()))

    def run(count: int) -> None:
        for _ in range(count):
            created = client.create_custom_job(parent=workload.PARENT, custom_job=job)
            client.get_custom_job(name=created.name)

    with routed(app):
        run(1)
        return cpu(lambda: run(calls)) / calls


def measure(calls: int, repeats: int, warm: bool = True) -> list[Row]:
    bodies = floor.canned(workload.job_body())
    result = paired(
        lambda: _pairs(make_app(workload.service()), calls),
        lambda: _pairs(floor.app(bodies), calls),
        repeats,
        warm,
    )
    row = result.row(
        "per call (SDK, in-process)",
        "GAPIC create_custom_job + get_custom_job",
        "s",
        "do-nothing Flask app, same bodies",
        f"<= {TARGET_RATIO}x floor",
        result.ratio <= TARGET_RATIO,
    )
    return [row]
