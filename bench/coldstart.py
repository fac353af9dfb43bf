"""Cold start: from launching a server process to its first 200 on a health URL.

Both servers are launched the same way, as their users launch them: the console script with a
free port (``vertex-emulator serve --port 0``, ``moto_server -p 0``). The clock starts before
``Popen`` and stops at the first 200, so it covers the interpreter's start, every import, binding
the port and the first request. moto has no health endpoint; its dashboard ``/moto-api/`` is the
URL its users poll for readiness.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.stats import Row, median_of, paired

URL = re.compile(r"http://(127\.0\.0\.1):(\d+)")
LIMIT_SECONDS = 1.5
DEADLINE_SECONDS = 60.0


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    health: str


def script(name: str) -> str:
    """A console script of this interpreter's environment."""
    return str(Path(sys.executable).with_name(name))


EMULATOR = Launch([script("vertex-emulator"), "serve", "--port", "0"], "/emulator/v1/health")
MOTO = Launch([script("moto_server"), "-p", "0"], "/moto-api/")


def _ok(host: str, port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def seconds_to_ready(launch: Launch) -> float:
    """Seconds from launch to the first 200; the port is read from the server's own output."""
    started = time.perf_counter()
    child = subprocess.Popen(launch.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            found = URL.search(line)
            if found:
                break
        else:
            raise RuntimeError(f"{launch.argv[0]} exited before saying where it listens")
        host, port = found.group(1), int(found.group(2))
        while not _ok(host, port, launch.health):
            if time.perf_counter() - started > DEADLINE_SECONDS:
                raise RuntimeError(f"{launch.argv[0]} never answered 200 on {launch.health}")
            time.sleep(0.001)
        return time.perf_counter() - started
    finally:
        child.terminate()
        child.wait(timeout=30)


def measure(repeats: int, moto: bool, warm: bool = True) -> list[Row]:
    section = "cold start"
    measure_name = "vertex-emulator serve --port 0 -> first 200 /emulator/v1/health"
    if not moto:
        alone = median_of(lambda: seconds_to_ready(EMULATOR), repeats)
        return [Row(section, measure_name, alone, "s", target=f"<= {LIMIT_SECONDS} s", met=alone <= LIMIT_SECONDS)]
    result = paired(lambda: seconds_to_ready(EMULATOR), lambda: seconds_to_ready(MOTO), repeats, warm)
    row = result.row(
        section,
        measure_name,
        "s",
        "moto_server -p 0 -> first 200 /moto-api/",
        f"<= {LIMIT_SECONDS} s and < moto",
        result.subject <= LIMIT_SECONDS and result.ratio < 1.0,
    )
    return [row]
