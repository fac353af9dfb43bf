"""Per-call cost through the official clients, in-process: a create + get pair, vs the floor and vs moto.

The emulator and the floor run the same GAPIC ``JobServiceClient`` over REST, routed through the
same ``client.inprocess.intercept`` (what ``mock_vertex`` does); only the app behind the routing
differs. moto runs boto3's SageMaker ``create_training_job`` + ``describe_training_job`` inside
``mock_aws()``, the same pair as its users make it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bench import floor, moto_peer, workload
from bench.stats import Row, cpu, paired
from vertex_emulator.http.app import make_app

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from google.auth.credentials import AnonymousCredentials

FLOOR_RATIO = 1.15
MOTO_RATIO = 0.8
SECTION = "per call (SDK, in-process)"
PAIR = "GAPIC create_custom_job + get_custom_job"


@contextmanager
def routed(app: WSGIApplication) -> Iterator[None]:
    """Vertex AI hosts answered by ``app`` in this process, as ``mock_vertex`` answers them."""
    from vertex_emulator.client.inprocess import intercept  # the client package loads the official SDK (a second)

    interception = intercept(app)
    try:
        yield
    finally:
        interception.stop()


def credentials() -> AnonymousCredentials:
    os.environ.setdefault("NO_GCE_CHECK", "True")
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


def per_pair(app: WSGIApplication, pair: Callable[[], None], calls: int) -> float:
    """CPU seconds per call of ``pair`` with Vertex AI routed to ``app``, after one untimed call
    (the client's first use is not per-call cost)."""

    def run(count: int) -> None:
        for _ in range(count):
            pair()

    with routed(app):
        run(1)
        return cpu(lambda: run(calls)) / calls


def pairs_against(app: WSGIApplication, calls: int) -> float:
    """CPU seconds per ``create_custom_job`` + ``get_custom_job`` pair answered by ``app``."""
    from google.cloud import aiplatform_v1

    client = aiplatform_v1.JobServiceClient(transport="rest", credentials=credentials())
    job = aiplatform_v1.CustomJob.from_json(json.dumps(workload.job_body()))

    def pair() -> None:
        created = client.create_custom_job(parent=workload.PARENT, custom_job=job)
        client.get_custom_job(name=created.name)

    return per_pair(app, pair, calls)


def custom_job_pairs(calls: int) -> float:
    """The custom job's pair against a fresh benchmark emulator."""
    return pairs_against(make_app(workload.service()), calls)


def measure(calls: int, repeats: int, moto: bool, warm: bool = True) -> list[Row]:
    bodies = floor.canned(workload.job_body())

    def emulator() -> float:
        return custom_job_pairs(calls)

    against_floor = paired(emulator, lambda: pairs_against(floor.app(bodies), calls), repeats, warm)
    rows = [
        against_floor.row(
            SECTION,
            PAIR,
            "s",
            "do-nothing Flask app, same bodies",
            f"<= {FLOOR_RATIO}x floor",
            against_floor.ratio <= FLOOR_RATIO,
        )
    ]
    if moto:
        against_moto = paired(emulator, lambda: moto_peer.in_process_pairs(calls, cpu), repeats, warm)
        rows.append(
            against_moto.row(
                SECTION,
                PAIR,
                "s",
                "moto mock_aws(), boto3 create_training_job + describe_training_job",
                f"<= {MOTO_RATIO}x moto",
                against_moto.ratio <= MOTO_RATIO,
            )
        )
    return rows
