"""Cloud Storage beside the emulator: the ``gcp-storage-emulator`` package on its own loopback port.

The official clients reach it through ``STORAGE_EMULATOR_HOST`` (``environment()``), as they
reach any Cloud Storage emulator. The emulator itself reads and writes objects through the same
JSON API over loopback (``read``, ``write``), never behind the server's back: the server handles
one request at a time in its thread, which is what keeps its unlocked in-memory store consistent.

Buckets must exist, as on the real service: the official SDK never creates its staging bucket,
so an upload into a missing one is a 404. They come from ``create_bucket`` (``serve --bucket``,
fixtures, the pytest plugin) or from the storage API itself.

This module is domain-free: it knows buckets and objects, nothing of Vertex AI. The server
package is imported by ``start`` only, so importing this module costs nothing.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import socket
import threading
from collections.abc import Iterable
from functools import cache, partial
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from http.server import HTTPServer

HOST_ENV = "STORAGE_EMULATOR_HOST"
"""What google-cloud-storage (and gcsfs, and the Go and Java clients) read; despite its name it
holds a URL with its scheme (``http://127.0.0.1:PORT``)."""
LOOPBACK = "127.0.0.1"
POLL_SECONDS = 0.05
"""How often the server's loop looks for a stop request; the library's 0.5 s made each stop half a second."""
_TIMEOUT_SECONDS = 30.0
_BACKLOG = 64
_BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")


class StorageError(Exception):
    """A bucket name Cloud Storage would refuse, a malformed ``gs://`` URI, or an answer that is not a success
    (``status`` is then its HTTP status)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ObjectNotFound(StorageError):
    """No such object, or no such bucket: the 404 of the real service."""


def check_bucket_name(name: str) -> None:
    """Cloud Storage's bucket naming rules (the documented ones this emulator can check): the
    server package itself accepts any name, so the names the emulator creates are checked here."""
    problem = None
    if not _BUCKET_NAME.match(name):
        problem = "use lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    elif not 3 <= len(name) <= (222 if "." in name else 63) or any(len(part) > 63 for part in name.split(".")):
        problem = "3 to 63 characters (222 with dots, 63 between two dots)"
    elif name.startswith("goog") or "google" in name:
        problem = "names starting with 'goog' or containing 'google' are reserved"
    elif _is_ip_address(name):
        problem = "a bucket name cannot be an IP address"
    if problem:
        raise StorageError(f"Invalid bucket name: {name!r}: {problem}")


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def bucket_name(uri: str) -> str:
    """The bucket of ``gs://BUCKET``, ``gs://BUCKET/PREFIX`` or a bare ``BUCKET`` (as ``staging_bucket`` comes)."""
    return uri.removeprefix("gs://").partition("/")[0]


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, object name) of ``gs://BUCKET/NAME``."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise StorageError(f"{uri!r} is not a Cloud Storage object URI (gs://BUCKET/OBJECT)")
    return bucket, name


class Storage:
    """A Cloud Storage emulator on ``host:port`` (port 0: a free one, known once started).

    ``data_dir`` keeps buckets and objects in that folder across restarts; without it they are in
    memory. ``buckets`` are created at start and again after each ``reset``.
    """

    def __init__(
        self, host: str = LOOPBACK, port: int = 0, data_dir: str | Path | None = None, buckets: Iterable[str] = ()
    ) -> None:
        self.initial_buckets: list[str] = []
        self._bind = (host, port)
        self._data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self._socket: socket.socket | None = None
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        for name in buckets:
            self.create_bucket(name)

    @property
    def host(self) -> str:
        return self._bind[0]

    @property
    def port(self) -> int:
        if self._socket is None:
            raise StorageError("the storage emulator is not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT``: the endpoint, and the value of ``STORAGE_EMULATOR_HOST``."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def environment(self) -> dict[str, str]:
        """What a process needs in its environment to send the official clients here."""
        return {HOST_ENV: self.url}

    def bind(self) -> Storage:
        """Take the port now (OSError when it is taken); a client that connects before ``start``
        waits in the listen queue. ``serve`` binds before its ready line and starts after it, so
        importing the server package (about 0.1 s) does not delay the ready line."""
        if self._socket is None:
            listener = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(self._bind)
                listener.listen(_BACKLOG)
            except OSError:
                listener.close()
                raise
            self._socket = listener
        return self

    def start(self) -> Storage:
        """Bind (unless bound), create the initial buckets, serve from a daemon thread."""
        from http.server import HTTPServer

        from gcp_storage_emulator.handlers.buckets import create_bucket
        from gcp_storage_emulator.server import RequestHandler
        from gcp_storage_emulator.storage import Storage as Store

        if self.running:
            return self
        # The package logs each 404 as an error and each JSON answer as a warning; a real failure
        # reaches the client as a 500 anyway.
        logging.getLogger("gcp_storage_emulator").setLevel(logging.CRITICAL)
        self.bind()
        assert self._socket is not None
        store = Store(use_memory_fs=True) if self._data_dir is None else Store(data_dir=str(self._data_dir))
        for name in self.initial_buckets:
            create_bucket(name, store)
        server = HTTPServer(self._socket.getsockname()[:2], partial(RequestHandler, store), bind_and_activate=False)
        server.socket.close()
        server.socket = self._socket
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(POLL_SECONDS,), name="vertex-emulator-storage", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Storage:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def create_bucket(self, name: str) -> bool:
        """Create bucket ``name`` unless it exists; True when it was created. Raises StorageError for
        a bad name. Before ``start``, the bucket joins those created at start and after each ``reset``."""
        check_bucket_name(name)
        if not self.running:
            if name in self.initial_buckets:
                return False
            self.initial_buckets.append(name)
            return True
        try:
            self._call("POST", "/storage/v1/b?project=vertex-emulator", json.dumps({"name": name}).encode())
        except StorageError as error:
            if error.status == HTTPStatus.CONFLICT:
                return False
            raise
        return True

    def buckets(self) -> list[str]:
        """Every bucket's name, sorted."""
        answer = json.loads(self._call("GET", "/storage/v1/b?project=vertex-emulator"))
        return sorted(item["name"] for item in answer.get("items", []))

    def objects(self, bucket: str, prefix: str = "") -> list[str]:
        """The names of a bucket's objects under ``prefix``, sorted; ObjectNotFound for a missing bucket."""
        query = f"?prefix={quote(prefix, safe='')}" if prefix else ""
        answer = json.loads(self._call("GET", f"/storage/v1/b/{quote(bucket, safe='')}/o{query}"))
        return sorted(item["name"] for item in answer.get("items", []))

    def read(self, uri: str) -> bytes:
        """The bytes of object ``gs://BUCKET/NAME``; ObjectNotFound when it (or its bucket) does not exist."""
        bucket, name = split_uri(uri)
        return self._call("GET", f"/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media")

    def write(self, uri: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write object ``gs://BUCKET/NAME`` (a multipart upload, as the official client sends small
        objects); ObjectNotFound when the bucket does not exist."""
        bucket, name = split_uri(uri)
        boundary = f"vertex-emulator-{secrets.token_hex(8)}"
        metadata = json.dumps({"name": name, "contentType": content_type})
        body = (
            (
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n"
                f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        path = f"/upload/storage/v1/b/{quote(bucket, safe='')}/o?uploadType=multipart"
        self._call("POST", path, body, f"multipart/related; boundary={boundary}")

    def exists(self, uri: str) -> bool:
        bucket, name = split_uri(uri)
        try:
            self._call("GET", f"/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}")
        except ObjectNotFound:
            return False
        return True

    def reset(self) -> None:
        """Delete every object and bucket, then create the initial buckets again."""
        self._call("GET", "/wipe")
        for name in self.initial_buckets:
            self.create_bucket(name)

    def describe(self) -> dict[str, Any]:
        """What the control API answers at ``GET /emulator/v1/storage``."""
        return {
            "url": self.url,
            "hostEnv": HOST_ENV,
            "persistent": self._data_dir is not None,
            "buckets": self.buckets(),
        }

    def _call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json") -> bytes:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with _direct().open(request, timeout=_TIMEOUT_SECONDS) as answer:
                return bytes(answer.read())
        except urllib.error.HTTPError as error:
            kind = ObjectNotFound if error.code == HTTPStatus.NOT_FOUND else StorageError
            raise kind(f"{method} {path}: {error.code} {error.reason}", error.code) from None
        except urllib.error.URLError as error:
            raise StorageError(f"the storage emulator at {self.url} cannot be reached: {error.reason}") from None


@cache
def _direct() -> Any:
    """An opener that never sends loopback calls through an HTTP proxy the environment names
    (imported on first use: ``urllib.request`` costs about 0.1 s, which ``serve``'s start must not pay)."""
    import urllib.request

    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


_shared: Storage | None = None
_shared_lock = threading.Lock()


def shared() -> Storage:
    """One storage emulator for this whole process, started on first use and left to run until the
    process ends (its thread is a daemon): the pytest fixtures empty it per test instead of
    starting one per test."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Storage().start()
        return _shared
