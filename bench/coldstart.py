"""Cold start: from launching a server process to its first answered create, and to its first health 200.

Both servers are launched the same way, as their users launch them: the console script with a
free port (``vertex-emulator serve --port 0``, ``moto_server -p 0``). The clock starts before
``Popen`` and stops at the answer, so it covers the interpreter's start, every import, binding the
port and the request. The figure users feel is the first real call: a create (a custom job; for
moto, SageMaker ``CreateTrainingJob``), sent as soon as the server says where it listens (retried
while the port refuses), in a launch of its own. The health check is measured in separate
launches; moto has no health endpoint, its dashboard ``/moto-api/`` is what its users poll.

Both launch with Python's bytecode cache on, as their users run them: ``pip install`` compiles every
module of moto, Flask and the emulator, and an editable install writes the cache on first import.
An environment with ``PYTHONDONTWRITEBYTECODE`` set would otherwise recompile the editable
emulator's modules from source on every launch while moto's stay compiled.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import workload
from bench.moto_peer import TRAINING_JOB, sagemaker_headers
from bench.stats import Row, median_of, paired

URL = re.compile(r"http://(127\.0\.0\.1):(\d+)")
HEALTH_LIMIT_SECONDS = 0.3
CREATE_RATIO = 0.5
DEADLINE_SECONDS = 60.0
SECTION = "cold start"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    health: Request
    create: Request


def script(name: str) -> str:
    """A console script of this interpreter's environment."""
    return str(Path(sys.executable).with_name(name))


EMULATOR = Launch(
    [script("vertex-emulator"), "serve", "--port", "0"],
    Request("GET", "/emulator/v1/health"),
    Request(
        "POST",
        f"/v1/{workload.PARENT}/customJobs",
        json.dumps(workload.job_body(resource=False)),
        (("Content-Type", "application/json"),),
    ),
)
MOTO = Launch(
    [script("moto_server"), "-p", "0"],
    Request("GET", "/moto-api/"),
    Request(
        "POST",
        "/",
        json.dumps(dict(TRAINING_JOB, TrainingJobName="cold-start")),
        tuple(sagemaker_headers("CreateTrainingJob").items()),
    ),
)


_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _answered(host: str, port: int, request: Request) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=DEADLINE_SECONDS)
    try:
        connection.request(request.method, request.path, body=request.body or None, headers=dict(request.headers))
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def seconds_to(launch: Launch, request: Request) -> float:
    """Seconds from launch to a 200 for ``request``; the port is read from the server's own output."""
    started = time.perf_counter()
    child = subprocess.Popen(launch.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_ENV)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            found = URL.search(line)
            if found:
                break
        else:
            raise RuntimeError(f"{launch.argv[0]} exited before saying where it listens")
        host, port = found.group(1), int(found.group(2))
        while not _answered(host, port, request):
            if time.perf_counter() - started > DEADLINE_SECONDS:
                raise RuntimeError(f"{launch.argv[0]} never answered 200 to {request.method} {request.path}")
            time.sleep(0.001)
        return time.perf_counter() - started
    finally:
        child.terminate()
        child.wait(timeout=30)


def _timing(launch: Launch, first: str) -> Callable[[], float]:
    """A measure of ``launch`` to its first answer to its ``first`` request (``create``, ``health``)."""
    return lambda: seconds_to(launch, getattr(launch, first))


def measure(repeats: int, moto: bool, warm: bool = True) -> list[Row]:
    """The first answered create (paired with moto's, when installed) and the first health 200.

    The warm-up launch also writes the official types' descriptor cache if this machine has none
    yet (``vertex_emulator.descriptors``): the rows are the start of every launch but the very first.
    """
    create_name = "vertex-emulator serve --port 0 -> first answered create (custom job)"
    health_name = "vertex-emulator serve --port 0 -> first 200 /emulator/v1/health"
    health_target = f"<= {HEALTH_LIMIT_SECONDS} s"

    if not moto:
        if warm:
            _timing(EMULATOR, "create")()
        created = median_of(_timing(EMULATOR, "create"), repeats)
        healthy = median_of(_timing(EMULATOR, "health"), repeats)
        return [
            Row(SECTION, create_name, created, "s", target="<= 1.0 s", met=created <= 1.0),
            Row(SECTION, health_name, healthy, "s", target=health_target, met=healthy <= HEALTH_LIMIT_SECONDS),
        ]
    created_pair = paired(_timing(EMULATOR, "create"), _timing(MOTO, "create"), repeats, warm)
    health_pair = paired(_timing(EMULATOR, "health"), _timing(MOTO, "health"), repeats, warm)
    return [
        created_pair.row(
            SECTION,
            create_name,
            "s",
            "moto_server -p 0 -> first answered CreateTrainingJob",
            f"<= {CREATE_RATIO}x moto",
            created_pair.ratio <= CREATE_RATIO,
        ),
        health_pair.row(
            SECTION,
            health_name,
            "s",
            "moto_server -p 0 -> first 200 /moto-api/",
            health_target,
            health_pair.subject <= HEALTH_LIMIT_SECONDS,
        ),
    ]
