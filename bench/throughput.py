"""Throughput over HTTP: concurrent clients creating and reading jobs, emulator vs floor vs moto.

Each server runs in a child process (``bench.target``); the clients are threads of this process,
each with its own keep-alive session, each doing a fixed number of create + read pairs, so the
load is bounded. All three targets get exactly the same client code and concurrency; moto is
driven with SageMaker ``CreateTrainingJob`` / ``DescribeTrainingJob`` (its nearest analogue) in
the AWS JSON protocol, sent by the same ``requests`` sessions rather than boto3, so that the
client's own cost is the same for all three.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

from bench import floor, workload
from bench.moto_peer import TRAINING_JOB, sagemaker_headers
from bench.stats import Row, paired

ROOT = Path(__file__).resolve().parent.parent
FLOOR_RATIO = 0.7
DATA_DIR_RATIO = 0.8
MOTO_RATIO = 3.0
PAIR = "create + get custom jobs, threaded server"
CREATE = "create custom jobs, threaded server, --data-dir"
FLOOR = "do-nothing Flask app, same server"
MOTO = "moto_server, SageMaker Create/DescribeTrainingJob"
MEMORY = "the same, in memory"
Call = Callable[[requests.Session, str, str], int]
"""One unit of a client's work: session, server URL, a unique job key -> requests it made."""


def vertex_create(session: requests.Session, url: str, key: str) -> int:
    created = session.post(f"{url}/v1/{workload.PARENT}/customJobs", data=_JOB, headers=_JSON)
    created.raise_for_status()
    return 1


def vertex_pair(session: requests.Session, url: str, key: str) -> int:
    created = session.post(f"{url}/v1/{workload.PARENT}/customJobs", data=_JOB, headers=_JSON)
    created.raise_for_status()
    session.get(f"{url}/v1/{created.json()['name']}").raise_for_status()
    return 2


def sagemaker_pair(session: requests.Session, url: str, key: str) -> int:
    body = dict(TRAINING_JOB, TrainingJobName=f"bench-{key}")
    session.post(url, data=json.dumps(body), headers=_CREATE).raise_for_status()
    read = session.post(url, data=json.dumps({"TrainingJobName": body["TrainingJobName"]}), headers=_DESCRIBE)
    read.raise_for_status()
    return 2


_JSON = {"Content-Type": "application/json"}
_JOB = json.dumps(workload.job_body())
_CREATE = sagemaker_headers("CreateTrainingJob")
_DESCRIBE = sagemaker_headers("DescribeTrainingJob")


@contextlib.contextmanager
def serving(kinds: dict[str, str]) -> Iterator[dict[str, str]]:
    """A ``bench.target`` child per label, all started at once; label -> URL while they live."""
    canned = floor.canned(workload.job_body()).to_json()
    children = {
        label: subprocess.Popen(
            [sys.executable, "-m", "bench.target", kind, canned],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for label, kind in kinds.items()
    }
    try:
        urls = {}
        for label, child in children.items():
            assert child.stdout is not None
            urls[label] = child.stdout.readline().strip()
            if not urls[label].startswith("http://127.0.0.1:"):
                raise RuntimeError(f"bench.target {kinds[label]} did not start (said {urls[label]!r})")
        yield urls
    finally:
        for child in children.values():
            assert child.stdin is not None
            child.stdin.close()
        for child in children.values():
            child.wait(timeout=30)


_batches = itertools.count(1)
"""Numbers each timing, so that job keys stay unique across repeats against the same server."""


def requests_per_second(call: Call, url: str, clients: int, calls: int) -> float:
    """Requests per second of ``clients`` threads making ``calls`` calls each, all started together
    once each has made one untimed call (its connection is open)."""
    batch = next(_batches)
    errors: list[BaseException] = []
    made = [0] * clients
    start = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        with requests.Session() as session:
            try:
                call(session, url, f"warm-{batch}-{number}")
                start.wait()
                for index in range(calls):
                    made[number] += call(session, url, f"{batch}-{number}-{index}")
            except (requests.RequestException, threading.BrokenBarrierError) as error:
                errors.append(error)
                start.abort()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed; first: {errors[0]!r}")
    return sum(made) / elapsed


def measure(clients: int, calls: int, repeats: int, moto: bool, warm: bool = True) -> list[Row]:
    section = f"HTTP, {clients} concurrent clients"

    def rate(call: Call, url: str) -> Callable[[], float]:
        return lambda: requests_per_second(call, url, clients, calls)

    with serving(_servers(moto)) as url:
        comparisons = [
            (
                CREATE,
                rate(vertex_create, url["data-dir"]),
                rate(vertex_create, url["emulator"]),
                MEMORY,
                DATA_DIR_RATIO,
            ),
            (PAIR, rate(vertex_pair, url["emulator"]), rate(vertex_pair, url["floor"]), FLOOR, FLOOR_RATIO),
        ]
        if moto:
            comparisons.append(
                (PAIR, rate(vertex_pair, url["emulator"]), rate(sagemaker_pair, url["moto"]), MOTO, MOTO_RATIO)
            )
        rows = []
        for name, mine, theirs, baseline_name, at_least in comparisons:
            result = paired(mine, theirs, repeats, warm)
            target = f">= {at_least}x"
            rows.append(result.row(section, name, "req/s", baseline_name, target, result.ratio >= at_least))
        return rows


def _servers(moto: bool) -> dict[str, str]:
    """Label -> kind of every server a run needs. The data dir's cost may grow with what it holds,
    so it is compared first, while it and the in-memory emulator have seen exactly the same calls."""
    servers = {"emulator": "emulator", "data-dir": "data-dir", "floor": "floor"}
    if moto:
        servers["moto"] = "moto"
    return servers
