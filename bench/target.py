"""One server under load, in its own process: ``python -m bench.target KIND [CANNED]``.

``KIND`` is one of ``KINDS``; the floor takes the emulator's canned bodies as ``CANNED`` (JSON),
made once by the parent, so that it never imports the official SDK it does not use.

The load generator runs in the parent, so server and clients each have a core of this 2-core
machine and neither's interpreter lock slows the other. The server prints its URL, then serves
until its standard input closes (the parent ended, or is done with it).
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Callable

from bench import floor, workload
from vertex_emulator.server import ThreadedServer
from vertex_emulator.store import Store

KINDS = ("emulator", "data-dir", "floor", "moto")
Stop = Callable[[], None]


def _moto() -> tuple[str, Stop]:
    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    host, port = moto.get_host_and_port()
    return f"http://{host}:{port}", moto.stop


def _persisted(directory: str) -> tuple[str, Stop]:
    """What ``serve --data-dir`` does: every change committed to the data dir before it is answered."""
    service = workload.service()
    kept = Store(service, directory).listen()
    server = ThreadedServer(service).start()

    def stop() -> None:
        server.stop()
        kept.close()

    return server.url, stop


def start(kind: str, directory: str, canned: str = "") -> tuple[str, Stop]:
    """A started server of ``kind`` on a free loopback port, and how to stop it."""
    if kind == "moto":
        return _moto()
    if kind == "data-dir":
        return _persisted(directory)
    if kind == "floor":
        server = ThreadedServer(app=floor.app(floor.Canned.from_json(canned)))
    else:
        server = ThreadedServer(workload.service())
    server.start()
    return server.url, server.stop


def main(kind: str, canned: str = "") -> None:
    with tempfile.TemporaryDirectory(prefix="vertex-emulator-bench-") as directory:
        url, stop = start(kind, directory, canned)
        print(url, flush=True)
        sys.stdin.read()
        stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
