"""In-process mode (moto's ``mock_aws``): Vertex AI hosts answered by an emulator in this process.

``responses`` patches ``requests``, which the official REST transport and the SDK use, so every
call to ``https://aiplatform.googleapis.com`` or ``https://{location}-aiplatform.googleapis.com``
is handed to the emulator's Flask app without a socket. Any other host is refused, never sent out,
unless passed through explicitly (``passthrough=("http://127.0.0.1",)``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import requests
import responses
from flask import Flask

from vertex_emulator.clock import ManualClock
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

_VERTEX_HOST = r"https://(?:[a-z0-9-]+-)?aiplatform\.googleapis\.com(?::443)?/"
VERTEX_HOSTS = re.compile(f"^{_VERTEX_HOST}")
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding"}
_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS")

F = TypeVar("F", bound=Callable[..., Any])


class RefusedHost(requests.exceptions.ConnectionError):
    """A request to a host the in-process emulator does not serve; nothing left this process."""


def intercept(app: Flask, passthrough: Sequence[str] = ()) -> responses.RequestsMock:
    """Answer the Vertex AI requests ``requests`` makes with ``app``, without a socket; return the started mock.

    Any WSGI app can stand behind the same routing, which is how the benchmark's do-nothing floor
    pays exactly the cost this mode adds. Other hosts are refused with :class:`RefusedHost`, except
    the ``passthrough`` prefixes, which match no callback and so go out for real.
    """
    client = app.test_client()

    def forward(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        answer = client.open(str(request.url), method=str(request.method), headers=headers, data=body)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
        return answer.status_code, kept, answer.get_data()

    # responses hands a request matched by two patterns to the first and then unregisters it,
    # so the refusing pattern must exclude the Vertex hosts as well as the pass-through prefixes.
    refused = re.compile("^(?!" + "|".join([_VERTEX_HOST, *map(re.escape, passthrough)]) + ")")
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    for prefix in passthrough:
        mock.add_passthru(prefix)
    for method in _METHODS:
        mock.add_callback(method, VERTEX_HOSTS, callback=forward)
        mock.add_callback(method, refused, callback=_refuse)
    return mock


def _refuse(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
    raise RefusedHost(f"vertex-emulator in-process mode refused a request to {request.url}: not a Vertex AI host")


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
        self._mock: responses.RequestsMock | None = None

    def start(self) -> Service:
        self.service = self._given or Service(clock=ManualClock(), settings=self._settings)
        self._mock = intercept(make_app(self.service), self._passthrough)
        return self.service

    @property
    def calls(self) -> list[requests.PreparedRequest]:
        """The requests answered or refused so far, in order (``responses`` does not record pass-throughs)."""
        return [call.request for call in self._mock.calls] if self._mock is not None else []

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock.reset()
            self._mock = None

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
