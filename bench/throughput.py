"""Throughput over HTTP: concurrent clients creating and reading jobs, emulator vs floor vs moto.

Each server runs in a child process (``bench.target``); the clients are threads of this process,
each with its own keep-alive ``http.client.HTTPConnection``, each doing a fixed number of create +
read pairs, so the load is bounded. All three targets get exactly the same client code and
concurrency; moto is driven with SageMaker ``CreateTrainingJob`` / ``DescribeTrainingJob`` (its
nearest analogue) in the AWS JSON protocol, sent by the same connections rather than boto3, so that
the client's own cost is the same for all three. A server that closes the connection after each
answer (moto's werkzeug server does) is reconnected to by ``http.client``, and pays for it.

The clients are ``http.client`` rather than ``requests`` so that they are not what is measured: 8
threads of ``requests`` sessions cost about 1.6 ms of this process's CPU per request, more than the
emulator's server spends answering it (and every thread shares one interpreter lock), where
``http.client`` costs about 0.25 ms.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

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
Call = Callable[[http.client.HTTPConnection, str], int]
"""One unit of a client's work: a connection to the server, a unique job key -> requests it made."""
FAILURES = (OSError, http.client.HTTPException, threading.BrokenBarrierError)


class Refused(http.client.HTTPException):
    """The server answered a benchmark call with an error status."""


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One request on the client's connection; the answer's body, read to its end so the connection can be reused."""
    connection.request(method, path, body=body, headers=headers or {})
    answer = connection.getresponse()
    data = answer.read()
    if answer.status >= 400:
        raise Refused(f"{method} {path}: {answer.status} {data[:200]!r}")
    return data


def vertex_create(connection: http.client.HTTPConnection, key: str) -> int:
    exchange(connection, "POST", _JOBS, _JOB, _JSON)
    return 1


def vertex_pair(connection: http.client.HTTPConnection, key: str) -> int:
    created = json.loads(exchange(connection, "POST", _JOBS, _JOB, _JSON))
    exchange(connection, "GET", f"/v1/{created['name']}")
    return 2


def sagemaker_pair(connection: http.client.HTTPConnection, key: str) -> int:
    body = dict(TRAINING_JOB, TrainingJobName=f"bench-{key}")
    exchange(connection, "POST", "/", json.dumps(body).encode(), _CREATE)
    exchange(connection, "POST", "/", json.dumps({"TrainingJobName": body["TrainingJobName"]}).encode(), _DESCRIBE)
    return 2


_JSON = {"Content-Type": "application/json"}
_JOBS = f"/v1/{workload.PARENT}/customJobs"
_JOB = json.dumps(workload.job_body()).encode()
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
    address = urlsplit(url)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
        try:
            call(connection, f"warm-{batch}-{number}")
            start.wait()
            for index in range(calls):
                made[number] += call(connection, f"{batch}-{number}-{index}")
        except FAILURES as error:
            errors.append(error)
            start.abort()
        finally:
            connection.close()

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
