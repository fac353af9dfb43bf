"""In-process mode (moto's ``mock_aws``): Vertex AI hosts answered by an emulator in this process.

The official REST transport and the SDK send every call through ``requests``, whose transport
adapters (``requests.adapters.HTTPAdapter.send``) are where a request would meet a socket. While a
mock is active, that method hands every call to ``https://aiplatform.googleapis.com`` or
``https://{location}-aiplatform.googleapis.com`` straight to the emulator's WSGI app, as one
environ in and one ``requests.Response`` out: no socket, no HTTP parsing, no mocking library in
between. Any other host is refused (:class:`RefusedHost`), never sent out, unless passed through
explicitly (``passthrough=("http://127.0.0.1",)``).
"""

from __future__ import annotations

import functools
import io
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPResponse
from urllib3.exceptions import MaxRetryError

from vertex_emulator.clock import ManualClock
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

VERTEX_HOSTS = re.compile(r"^https://(?:[a-z0-9-]+-)?aiplatform\.googleapis\.com(?::443)?/")

F = TypeVar("F", bound=Callable[..., Any])
Send = Callable[..., requests.Response]


class RefusedHost(requests.exceptions.ConnectionError):
    """A request to a host the in-process emulator does not serve; nothing left this process."""


def _body(request: requests.PreparedRequest) -> tuple[bytes, bool]:
    """The request's body as bytes, and whether it was streamed (no length known up front)."""
    body = request.body
    if body is None:
        return b"", False
    if isinstance(body, bytes):
        return body, False
    if isinstance(body, str):
        return body.encode("utf-8"), False
    if hasattr(body, "read"):
        data = body.read()
        return (data.encode("utf-8") if isinstance(data, str) else data), False
    return b"".join(part.encode("utf-8") if isinstance(part, str) else part for part in body), True


def environ_of(request: requests.PreparedRequest) -> dict[str, Any]:
    """The WSGI environ a server would build for ``request`` (PEP 3333: the path percent-decoded)."""
    url = urlsplit(str(request.url))
    body, streamed = _body(request)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(request.method),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(url.path).decode("latin-1"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "",
        "SERVER_PORT": str(url.port or 443),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": url.netloc,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": streamed,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for key, value in request.headers.items():
        name = key.upper().replace("-", "_")
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = text
        else:
            environ[f"HTTP_{name}"] = text
    return environ


def call_wsgi(app: WSGIApplication, adapter: HTTPAdapter, request: requests.PreparedRequest) -> requests.Response:
    """Run ``request`` through ``app`` and return what ``adapter.send`` would have returned."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        started[:] = [status, headers]
        return lambda data: None

    answer = app(environ_of(request), start_response)
    try:
        content = b"".join(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    status, headers = started
    response = requests.Response()
    response.status_code = int(status[:3])
    response.reason = status[4:]
    response.headers = CaseInsensitiveDict()
    for key, value in headers:
        response.headers[key] = f"{response.headers[key]}, {value}" if key in response.headers else value
    response._content = content
    response._content_consumed = True
    response.raw = io.BytesIO(content)
    response.url = str(request.url)
    response.encoding = get_encoding_from_headers(response.headers)
    response.request = request
    response.connection = adapter
    return response


class Interception:
    """While started, ``HTTPAdapter.send`` answers Vertex AI hosts from ``app`` and refuses the rest.

    ``calls`` are the requests answered or refused so far, in order (pass-throughs are not
    recorded). Adapter-level retries (``HTTPAdapter(max_retries=Retry(status_forcelist=...))``)
    are honoured as urllib3 would, without sleeping between attempts.
    """

    def __init__(self, app: WSGIApplication, passthrough: Sequence[str] = ()) -> None:
        self.app = app
        self.passthrough = tuple(passthrough)
        self.calls: list[requests.PreparedRequest] = []
        self._real: Send | None = None
        self._real_settings: Callable[..., dict[str, Any]] = requests.Session.merge_environment_settings

    def start(self) -> Interception:
        if self._real is None:
            self._real = HTTPAdapter.send
            self._real_settings = requests.Session.merge_environment_settings

            def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
                return self.send(adapter, request, **kwargs)

            def settings(session: requests.Session, url: str, *args: Any) -> dict[str, Any]:
                return self.settings(session, url, *args)

            HTTPAdapter.send = send  # type: ignore[method-assign]
            requests.Session.merge_environment_settings = settings  # type: ignore[method-assign]
        return self

    def stop(self) -> None:
        if self._real is not None:
            HTTPAdapter.send = self._real  # type: ignore[method-assign]
            requests.Session.merge_environment_settings = self._real_settings  # type: ignore[method-assign]
            self._real = None

    def settings(
        self, session: requests.Session, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """``Session.merge_environment_settings`` without the environment for a Vertex AI host.

        What it reads from the environment (proxies, CA bundles) only matters to a request that
        leaves the process, and reading it walks every environment variable twice: with the ~80
        of a CI job, a fifth of an in-process call's CPU time.
        """
        if not VERTEX_HOSTS.match(url):
            return self._real_settings(session, url, proxies, stream, verify, cert)
        return {
            "proxies": merge_setting(proxies, session.proxies),
            "stream": merge_setting(stream, session.stream),
            "verify": merge_setting(verify, session.verify),
            "cert": merge_setting(cert, session.cert),
        }

    def send(self, adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = str(request.url)
        if not VERTEX_HOSTS.match(url):
            if url.startswith(self.passthrough) and self._real is not None:
                return self._real(adapter, request, **kwargs)
            self.calls.append(request)
            raise RefusedHost(f"vertex-emulator in-process mode refused a request to {url}: not a Vertex AI host")
        self.calls.append(request)
        retries = adapter.max_retries
        while True:
            response = call_wsgi(self.app, adapter, request)
            if not retries.is_retry(str(request.method), response.status_code, "Retry-After" in response.headers):
                return response
            try:
                answered = HTTPResponse(headers=dict(response.headers), status=response.status_code, request_url=url)
                retries = retries.increment(method=request.method, url=url, response=answered)
            except MaxRetryError as error:
                if retries.raise_on_status:
                    raise requests.exceptions.RetryError(error, request=request) from None
                return response


def intercept(app: WSGIApplication, passthrough: Sequence[str] = ()) -> Interception:
    """Answer the Vertex AI requests ``requests`` makes with ``app``, without a socket; return the started interception.

    Any WSGI app can stand behind the same routing, which is how the benchmark's do-nothing floor
    pays exactly the cost this mode adds. Other hosts are refused with :class:`RefusedHost`, except
    the ``passthrough`` prefixes, which go out for real.
    """
    return Interception(app, passthrough).start()


class mock_vertex:
    """Context manager and decorator: Vertex AI calls go to a fresh in-process emulator.

    ``service`` is the emulator (manual clock by default), so a test can advance time, set job
    outcomes or inspect state directly.
    """

    def __init__(
        self,
        service: Service | None = None,
        *,
        settings: Settings | None = None,
        passthrough: Iterable[str] = (),
    ) -> None:
        self._given = service
        self._settings = settings
        self._passthrough = tuple(passthrough)
        self.service: Service | None = None
        self._interception: Interception | None = None

    def start(self) -> Service:
        self.service = self._given or Service(clock=ManualClock(), settings=self._settings)
        self._interception = intercept(make_app(self.service), self._passthrough)
        return self.service

    @property
    def calls(self) -> list[requests.PreparedRequest]:
        """The requests answered or refused so far, in order (pass-throughs are not recorded)."""
        return list(self._interception.calls) if self._interception is not None else []

    def stop(self) -> None:
        if self._interception is not None:
            self._interception.stop()
            self._interception = None

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mock_vertex(self._given, settings=self._settings, passthrough=self._passthrough):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
