"""Serving an emulator over HTTP: a threaded WSGI server, in the foreground or in a thread."""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LOOPBACK = "127.0.0.1"
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TLS_HANDSHAKE = b"\x16\x03"
"""A TLS record of type handshake (a ClientHello), any TLS version: what an ``https://`` client sends first."""
logger = logging.getLogger(__name__)

WRONG_PROTOCOL = {
    "TLS": (
        "a client at %s spoke TLS (https) to this plain-HTTP port and was disconnected: the emulator serves "
        'http:// only. Give the client an http:// endpoint (api_endpoint="http://HOST:PORT" with '
        'api_transport="rest"), or run the program under `vertex-emulator exec`, which sets both.'
    ),
    "HTTP/2": (
        "a client at %s spoke HTTP/2 (gRPC, the official SDK's default transport) to this port and was "
        'disconnected: the emulator serves REST over HTTP/1.1. Pass api_transport="rest" with an http:// '
        "api_endpoint, or run the program under `vertex-emulator exec`, which sets both."
    ),
}


def wrong_protocol(first_bytes: bytes) -> str | None:
    """``TLS`` or ``HTTP/2`` when a connection opens with a TLS ClientHello or the HTTP/2 preface."""
    if first_bytes.startswith(TLS_HANDSHAKE):
        return "TLS"
    if first_bytes.startswith(HTTP2_PREFACE[:14]):
        return "HTTP/2"
    return None


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, which first tells a TLS or HTTP/2 client apart from an HTTP/1.x one.

    Without this, a client speaking TLS or gRPC to the plain-HTTP port gets a misleading error of its
    own (``Ssl handshake failed``, ``Misformatted domain name``) and the server logs only werkzeug's
    ``Bad request version``. The first bytes are peeked at in the buffered reader, never consumed.
    """

    def handle_one_request(self) -> None:
        try:
            first = self.rfile.peek(len(HTTP2_PREFACE))  # type: ignore[attr-defined]
        except (OSError, ValueError):
            first = b""
        spoken = wrong_protocol(first)
        if spoken is None:
            super().handle_one_request()
            return
        host, port = self.client_address[:2]
        logger.warning("vertex-emulator: " + WRONG_PROTOCOL[spoken], f"{host}:{port}")
        self.close_connection = True


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening; raises ``OSError`` (``EADDRINUSE``...) to the caller.

    werkzeug's server prints its own text and exits the process when the port is taken; binding here
    first leaves the wording to the caller (``serve`` names ``--port 0`` and ``make run PORT=...``).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


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
        with listening_socket(host, port) as bound:
            self._server: BaseWSGIServer = make_server(
                host, port, self.app, threaded=True, request_handler=RequestHandler, fd=bound.fileno()
            )
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.host)

    @property
    def port(self) -> int:
        return int(self._server.port)

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
