"""Serving the ``gcp-storage-emulator`` package: its request handler and its store, adapted.

Imported by ``Storage.start`` only: the package (with ``http.server``) costs about 0.1 s to import,
which ``serve`` pays after its ready line.
"""

from __future__ import annotations

import logging
import socket
import threading
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gcp_storage_emulator.handlers.buckets import create_bucket
from gcp_storage_emulator.server import RequestHandler, Router
from gcp_storage_emulator.storage import Storage as Store

IDLE_SECONDS = 120.0
"""A connection silent this long is closed, so a client that connects and sends nothing holds a thread only so long."""


class InMemory(Store):  # type: ignore[misc]
    """The package's in-memory store, without the copy of all metadata it serializes on every
    change (into that same memory; it is read back only when a store opens a data dir): that copy
    made each write cost in proportion to the objects already stored (3,000 small writes took
    minutes instead of seconds)."""

    def __init__(self) -> None:
        super().__init__(use_memory_fs=True)

    def _write_config_to_file(self) -> None:
        """Nothing to keep: the state is in memory and goes with the process."""


class OneAtATime(RequestHandler):  # type: ignore[misc]
    """The package's request handler, each connection in its own thread but one request handled
    at a time: its store takes no lock, and a connection that sends nothing no longer stalls the
    others (as it did with the package's single-threaded server)."""

    timeout = IDLE_SECONDS

    def __init__(self, lock: threading.Lock, *args: Any) -> None:
        self.lock = lock
        super().__init__(*args)

    def _handle(self) -> None:
        """What each of the package's ``do_*`` methods does (route by method), under the lock."""
        with self.lock:
            Router(self).handle(self.command)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def serve(listener: socket.socket, data_dir: Path | None, buckets: list[str], poll: float) -> ThreadingHTTPServer:
    """The package's API on the bound ``listener``, ``buckets`` created, served from a daemon
    thread (``shutdown`` stops it; the listener stays the caller's to close)."""
    # The package logs each 404 as an error and each JSON answer as a warning; a real failure
    # reaches the client as a 500 anyway.
    logging.getLogger("gcp_storage_emulator").setLevel(logging.CRITICAL)
    store = InMemory() if data_dir is None else Store(data_dir=str(data_dir))
    for name in buckets:
        create_bucket(name, store)
    server = ThreadingHTTPServer(listener.getsockname()[:2], partial(OneAtATime, threading.Lock(), store), False)
    server.daemon_threads = True
    server.socket.close()
    server.socket = listener
    threading.Thread(target=server.serve_forever, args=(poll,), name="vertex-emulator-storage", daemon=True).start()
    return server
