"""Cloud Storage beside the emulator: the ``gcp-storage-emulator`` package on its own loopback port.

The official clients reach it through ``STORAGE_EMULATOR_HOST`` (``environment()``), as they
reach any Cloud Storage emulator. The emulator itself reads and writes objects through the same
JSON API over loopback (``read``, ``write``), never behind the server's back: the server handles
one request at a time, which is what keeps the package's unlocked store consistent.

Buckets must exist, as on the real service: the official SDK never creates its staging bucket,
so an upload into a missing one is a 404. They come from ``create_bucket`` (``serve --bucket``,
fixtures, the pytest plugin) or from the storage API itself.

This package is domain-free: it knows buckets and objects, nothing of Vertex AI. Its parts:
``errors`` (what it raises), ``names`` (bucket rules, ``gs://`` URIs), ``server`` (the
``gcp-storage-emulator`` package served, imported by ``start`` only, so importing this costs
nothing).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterable
from functools import cache
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from vertex_emulator.storage.errors import ObjectNotFound, StorageError
from vertex_emulator.storage.names import bucket_name, check_bucket_name, split_uri

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

__all__ = [
    "HOST_ENV",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "bucket_name",
    "check_bucket_name",
    "shared",
    "split_uri",
]

HOST_ENV = "STORAGE_EMULATOR_HOST"
"""What google-cloud-storage (and gcsfs, and the Go and Java clients) read; despite its name it
holds a URL with its scheme (``http://127.0.0.1:PORT``)."""
LOOPBACK = "127.0.0.1"
POLL_SECONDS = 0.05
"""How often the server's loop looks for a stop request; the library's 0.5 s made each stop half a second."""
_TIMEOUT_SECONDS = 30.0
_BACKLOG = 64


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
        self._server: ThreadingHTTPServer | None = None
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
        return self._server is not None

    def environment(self) -> dict[str, str]:
        """What a process needs in its environment to send the official clients here."""
        return {HOST_ENV: self.url}

    def bind(self) -> Storage:
        """Take the port now (OSError when it is taken); a client that connects before ``start``
        waits in the listen queue. ``serve`` binds before its ready line and starts after it, so
        importing the server package (about 0.1 s) does not delay the ready line."""
        if self._socket is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
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
        from vertex_emulator.storage.server import serve

        if self._server is None:
            self.bind()
            assert self._socket is not None
            self._server = serve(self._socket, self._data_dir, self.initial_buckets, POLL_SECONDS)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._socket is not None:
            self._socket.close()
        self._server = self._socket = None

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
        except OSError as error:
            raise StorageError(f"the storage emulator at {self.url} did not answer: {error}") from None


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
