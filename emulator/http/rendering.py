"""Request bodies in, JSON out, and errors rendered once as ``google.rpc.Status``."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from vertex_emulator.errors import ApiError, Code, invalid_argument

if TYPE_CHECKING:
    from vertex_emulator.http.urls import Route

log = logging.getLogger("vertex_emulator")

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Bodies over this are refused with 413 before they are read (README, documented choices)."""

SYSTEM_PARAMETERS = frozenset(
    {
        "$alt",
        "alt",
        "$.xgafv",
        "fields",
        "key",
        "prettyPrint",
        "quotaUser",
        "access_token",
        "callback",
        "upload_protocol",
        "uploadType",
        "oauth_token",
        "trace",
    }
)
_HTTP_TO_CODE = {400: Code.INVALID_ARGUMENT, 404: Code.NOT_FOUND, 405: Code.UNIMPLEMENTED, 413: Code.INVALID_ARGUMENT}


def reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` as for ``body: "*"`` methods."""
    raw = request.get_data(cache=True)
    if request.content_length is None and len(raw) >= MAX_BODY_BYTES:
        raise RequestEntityTooLarge()  # a chunked body is cut at the limit, not refused, by werkzeug
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_argument("Invalid JSON payload received. Invalid UTF-8 in the body.") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise ApiError(
            Code.INVALID_ARGUMENT,
            f"Invalid JSON payload received. {error.msg} at line {error.lineno} column {error.colno}.",
        ) from None
    except RecursionError:
        raise invalid_argument("Invalid JSON payload received. The body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise invalid_argument("Invalid JSON payload received. Expected a JSON object.")
    return body


def check_query(*allowed: str) -> None:
    """Unknown query parameters are refused, as Google's front end refuses to bind them."""
    for name in request.args:
        if name not in allowed and name not in SYSTEM_PARAMETERS:
            raise ApiError(
                Code.INVALID_ARGUMENT,
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                f"Field '{name}' could not be found in request message.",
            )


def current_route() -> Route | None:
    """The ``urls.Route`` the request matched, or None when it matched none (a 404 or 405 to come)."""
    if request.url_rule is None:
        return None
    return current_app.extensions["vertex_emulator_routes"].get(request.url_rule.endpoint)


def resource_path() -> str:
    """The name the request is about: its path without the API version prefix and ``:verb``."""
    path = request.path.strip("/").split("/", 1)[-1]
    return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path


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
