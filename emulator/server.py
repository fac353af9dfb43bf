"""Serving an emulator over HTTP: a threaded WSGI server, in the foreground or in a thread."""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, make_server

from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LOOPBACK = "127.0.0.1"


class ThreadedServer:
    """An emulator on a real socket, served by a background thread (moto's ``ThreadedMotoServer``).

    ``port=0`` picks a free port; ``url`` says which. Each request runs in its own thread, so
    concurrent clients are served concurrently. ``app`` serves another WSGI app the same way (the
    benchmark's do-nothing floor); by default it is the emulator's app around ``service``.
    """

    def __init__(
        self, service: Service | None = None, host: str = LOOPBACK, port: int = 0, app: WSGIApplication | None = None
    ) -> None:
        self.service = service or Service()
        self.app = app or make_app(self.service)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.host)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def address(self) -> str:
        """``host:port``, the form ``VERTEX_AI_EMULATOR_HOST`` takes."""
        return f"{self.host}:{self.port}"

    def start(self) -> ThreadedServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="vertex-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
