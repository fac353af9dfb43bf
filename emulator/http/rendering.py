"""JSON out: records as the API version of the request shows them, and errors rendered once as
``google.rpc.Status``.

The service returns live records and knows nothing of API versions. A record is copied under the
service's lock (a reader never sees half a transition, such as a job SUCCEEDED without its
``endTime``, even when the call that found it has returned), then converted to the version the
request names, when it was stored from the other one, and encoded outside the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from vertex_emulator import jsontext, wire
from vertex_emulator.domain import operations
from vertex_emulator.domain.operations import Operation
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.request import MAX_BODY_BYTES, service

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger("vertex_emulator")

_HTTP_TO_CODE = {400: Code.INVALID_ARGUMENT, 404: Code.NOT_FOUND, 405: Code.UNIMPLEMENTED, 413: Code.INVALID_ARGUMENT}


class Rendered(Protocol):
    """A record the API shows: its body in the version that created it."""

    version: str

    def render(self) -> dict[str, Any]: ...


_REWRITTEN = frozenset({"location", "content-location"})
"""Headers that werkzeug rewrites on the way out (made absolute, IRI to URI)."""


class Answer(Response):
    """A response whose body is set whole (``set_data``), handed to the server as it is.

    On its way out, werkzeug copies every response's headers to fix ``Location`` and
    ``Content-Location``, count a length not yet set, drop the body of a 204 or 304, and wraps the
    body in an iterator that closes the response: 10 to 15% of an emulator request's framework cost,
    none of which an answer of the emulator needs (its length is set, it names no location, it
    registers nothing on close). One that does, or that a hook changed so that it does, goes
    werkzeug's own way.
    """

    def get_wsgi_response(self, environ: WSGIEnvironment) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        body = self.response
        status = self.status_code
        if (
            type(body) is not list
            or self._on_close
            or self.direct_passthrough
            or not 200 <= status < 600
            or status in (204, 304)
            or environ["REQUEST_METHOD"] == "HEAD"
        ):
            return super().get_wsgi_response(environ)
        sized = False
        for key, _ in self.headers:
            lowered = key.lower()
            if lowered in _REWRITTEN:
                return super().get_wsgi_response(environ)
            sized = sized or lowered == "content-length"
        if not sized:
            return super().get_wsgi_response(environ)
        return body, self.status, self.headers.to_wsgi_list()


def reply(body: Any, status: int = 200) -> Response:
    return Answer(jsontext.dumps(body), status=status, mimetype="application/json")


def record_json(record: Rendered, message: str, version: str) -> dict[str, Any]:
    """``record`` (a ``message`` such as ``CustomJob``) as API ``version`` returns it."""
    with service().lock:
        body = record.render()
    return converted(body, message, record.version, version)


def converted(body: dict[str, Any], message: str, made_in: str, version: str) -> dict[str, Any]:
    """A body rendered in the version that made its record, as API ``version`` returns it."""
    return body if made_in == version else wire.convert(version, message, body)


def operation_json(operation: Operation) -> dict[str, Any]:
    """An Operation in the version that started it (the SDK polls it at ``/ui/``, which has none)."""
    with service().lock:
        body = operation.render(wire.type_url)
    response = body.get("response")
    if response and operation.response_type == operations.PERSISTENT_RESOURCE:
        fields = {key: value for key, value in response.items() if key != "@type"}
        body["response"] = {"@type": response["@type"], **wire.convert(operation.version, "PersistentResource", fields)}
    return body


def error_response(error: ApiError) -> Response:
    return reply({"error": error.to_status(http=True)}, error.status)


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = _HTTP_TO_CODE.get(status, Code.INVALID_ARGUMENT if status < 500 else Code.INTERNAL)
        if status == 404:
            message = f"The URL {request.path} is not served by this emulator (no such method or resource path)."
        elif status == 405:
            message = f"Method {request.method} is not allowed on {request.path}."
        elif status == 413:
            message = f"The request body is larger than the emulator's limit of {MAX_BODY_BYTES} bytes."
        else:
            message = error.description or error.name
        return error_response(ApiError(code, message, http_status=status))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(
            ApiError(Code.INTERNAL, f"Internal error in the emulator: {type(error).__name__}: {error}")
        )
