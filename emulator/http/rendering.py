"""JSON out, and errors rendered once as ``google.rpc.Status``."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.request import MAX_BODY_BYTES

log = logging.getLogger("vertex_emulator")

_HTTP_TO_CODE = {400: Code.INVALID_ARGUMENT, 404: Code.NOT_FOUND, 405: Code.UNIMPLEMENTED, 413: Code.INVALID_ARGUMENT}


def reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


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
