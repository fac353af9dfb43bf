"""Serving an emulator over HTTP: a threaded WSGI server, in the foreground or in a thread.

The server is werkzeug's threaded one (one thread per connection, so a stalled call never holds
up another client) with a request handler of its own: werkzeug's development handler answers
every request with ``Connection: close`` (each call then paid for a new connection and a new
thread) and logs each request; this one keeps connections open between calls and logs only what
is wrong. Why werkzeug's server rather than cheroot or waitress: README, "Performance".
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from werkzeug.exceptions import ClientDisconnected, InternalServerError
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LOOPBACK = "127.0.0.1"
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TLS_HANDSHAKE = b"\x16\x03"
"""A TLS record of type handshake (a ClientHello), any TLS version: what an ``https://`` client sends first."""
DROPPED = (ConnectionError, TimeoutError)
"""What a client that went away makes a read or a write raise."""
UNREAD_KEPT = 64 * 1024
"""A body left unread by the app up to this size is read and dropped, so that its connection stays open."""
DISCARD_READS = 1000
"""At most this many reads (of up to 1 MB) of a refused body before its connection is closed anyway."""
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


class Reply:
    """One response: its head goes out with the first part of its body, in one write.

    Without a ``Content-Length`` (and with a body allowed) the body is sent chunked to an HTTP/1.1
    client and ends the connection for an HTTP/1.0 one, so the client always knows where it ends.
    """

    def __init__(self, handler: RequestHandler, environ: WSGIEnvironment) -> None:
        self.handler = handler
        self.head_only = environ["REQUEST_METHOD"] == "HEAD"
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        self.chunked = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, headers
        return self.write

    def write(self, data: bytes) -> None:
        out = b"" if self.sent else self._head()
        if data and not self.head_only:
            out += b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data
        if out:
            self.handler.wfile.write(out)

    def finish(self) -> None:
        if not self.sent:
            self.write(b"")
        if self.chunked:
            self.handler.wfile.write(b"0\r\n\r\n")

    def _head(self) -> bytes:
        if not self.status:
            raise AssertionError("the application wrote before it called start_response")
        handler = self.handler
        code = int(self.status.split(None, 1)[0])
        has_length = any(name.lower() == "content-length" for name, _ in self.headers)
        if not has_length and not self.head_only and code >= 200 and code not in (204, 304):
            if handler.request_version >= "HTTP/1.1":
                self.chunked = True
            else:
                handler.close_connection = True
        if handler.body_left_unread() or handler.server.stopping:
            handler.close_connection = True
        lines = [
            f"{handler.protocol_version} {self.status}",
            f"Server: {handler.version_string()}",
            f"Date: {handler.date_time_string()}",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        if handler.close_connection:
            lines.append("Connection: close")
        self.sent = True
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, answering on kept-alive connections, which first tells a TLS or HTTP/2
    client apart from an HTTP/1.x one.

    Without the check, a client speaking TLS or gRPC to the plain-HTTP port gets a misleading error
    of its own (``Ssl handshake failed``, ``Misformatted domain name``) and the server logs only
    werkzeug's ``Bad request version``. The first bytes are peeked at in the buffered reader, never
    consumed. A request's body is limited to its ``Content-Length``, so that the next request on the
    connection is never read as part of it; a body left unread (a refused upload) or of unknown
    length (chunked) closes the connection after the answer, as does a stopping server.
    """

    protocol_version = "HTTP/1.1"
    server: ConnectionServer

    def setup(self) -> None:
        super().setup()
        self.thread = threading.current_thread()
        self.answering = False
        self.body: LimitedStream | None = None
        with self.server.lock:
            self.server.handlers.add(self)
            if self.server.stopping:  # accepted just before the stop, registered after it looked
                self.hang_up()

    def finish(self) -> None:
        with self.server.lock:
            self.server.handlers.discard(self)
        super().finish()

    def hang_up(self) -> None:
        """End the connection's wait for a next request (the server is stopping)."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def handle_one_request(self) -> None:
        try:
            first = self.rfile.peek(len(HTTP2_PREFACE))  # type: ignore[attr-defined]
        except (OSError, ValueError):
            first = b""
        with self.server.lock:
            if not first or self.server.stopping:
                self.close_connection = True
                return
            self.answering = True
        try:
            spoken = wrong_protocol(first)
            if spoken is None:
                super().handle_one_request()
            else:
                host, port = self.client_address[:2]
                logger.warning("vertex-emulator: " + WRONG_PROTOCOL[spoken], f"{host}:{port}")
                self.close_connection = True
        finally:
            with self.server.lock:
                self.answering = False
                if self.server.stopping:
                    self.close_connection = True

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        self.body = self._limited_body(environ)
        reply = Reply(self, environ)
        try:
            self._answer(self.server.app, environ, reply)
        except DROPPED:
            self.close_connection = True
            return
        except Exception:
            self.close_connection = True
            logger.exception("vertex-emulator: error answering %s %s", self.command, self.path)
            if not reply.sent:
                with contextlib.suppress(Exception):
                    self._answer(InternalServerError(), environ, Reply(self, environ))
        if self.close_connection and self.body_left_unread():
            self._discard_unread()

    def body_left_unread(self) -> bool:
        """Whether the connection must close because the body's end was not reached (a small rest is read)."""
        if self.body is None:
            return True
        if not self.body.is_exhausted and self.body.limit - self.body.tell() <= UNREAD_KEPT:
            with contextlib.suppress(OSError, ClientDisconnected):
                self.body.exhaust()
        return not self.body.is_exhausted

    @staticmethod
    def _answer(app: WSGIApplication, environ: WSGIEnvironment, reply: Reply) -> None:
        chunks = app(environ, cast("StartResponse", reply.start_response))
        try:
            for chunk in chunks:
                reply.write(chunk)
            reply.finish()
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _limited_body(self, environ: WSGIEnvironment) -> LimitedStream | None:
        """``wsgi.input`` as a stream that ends where the ``Content-Length`` says the body ends, or
        None when that is not known (a chunked body, which werkzeug decodes, or a malformed length)."""
        if environ.get("wsgi.input_terminated"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length < 0:
            return None
        body = LimitedStream(self.rfile, length)
        environ["wsgi.input"] = body
        environ["wsgi.input_terminated"] = True
        return body

    def _discard_unread(self) -> None:
        """Read and drop what the client still sends of a body the app did not read, for a bounded
        while, so that it sees the answer (a 413) rather than a reset connection."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            for _ in range(DISCARD_READS):
                if not selector.select(timeout=0.01) or not self.rfile.read1(1 << 20):  # type: ignore[attr-defined]
                    return


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening; raises ``OSError`` (``EADDRINUSE``...) to the caller.

    werkzeug's server prints its own text and exits the process when the port is taken; binding here
    first leaves the wording to the caller (``serve`` names ``--port 0`` and ``make run PORT=...``).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


class ConnectionServer(ThreadedWSGIServer):
    """werkzeug's threaded server, which knows its open connections so that a stop can close the idle ones.

    A kept-alive connection's thread waits for the client's next request; left alone, it would outlive
    the server. ``close_idle`` closes every connection that is waiting and waits for its thread; one
    being answered (a stalled call) answers with ``Connection: close`` and then ends by itself.
    """

    daemon_threads = True

    def __init__(self, host: str, port: int, app: WSGIApplication, fd: int) -> None:
        super().__init__(host, port, app, handler=RequestHandler, fd=fd)
        self.stopping = False
        self.lock = threading.Lock()
        self.handlers: set[RequestHandler] = set()

    def close_idle(self) -> None:
        with self.lock:
            self.stopping = True
            idle = [handler for handler in self.handlers if not handler.answering]
        for handler in idle:
            handler.hang_up()
        for handler in idle:
            handler.thread.join()


class ThreadedServer:
    """An emulator on a real socket, served by a background thread (moto's ``ThreadedMotoServer``).

    ``port=0`` picks a free port; ``url`` says which. Each connection has its own thread, so
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
            self._server = ConnectionServer(host, port, self.app, fd=bound.fileno())
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
        self._server.close_idle()
        self._server.server_close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
