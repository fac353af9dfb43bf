"""The request as the views and hooks read it: its body, query, token and the name it is about.

Only accessors of the current Flask request and app live here (nothing is answered), so views,
hooks and the error handlers all read the request the same way without importing each other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from vertex_emulator import jsontext
from vertex_emulator.errors import ApiError, Code, invalid_argument
from vertex_emulator.http.flask_app import current_extensions

if TYPE_CHECKING:
    from vertex_emulator.service import Service

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Bodies over this are refused with 413 before they are read (README, documented choices)."""


def service() -> Service:
    return current_extensions()["vertex_emulator"]


def resource_path() -> str:
    """The name the request is about: its path without the API version prefix and ``:verb``."""
    path = request.path.strip("/").split("/", 1)[-1]
    return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path


def json_name(field: str) -> str:
    """The JSON name protobuf gives a field: ``page_size`` -> ``pageSize`` (already camel stays)."""
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def query(field: str) -> str | None:
    """A query parameter by its proto field name (``page_size``), given in either spelling.

    Google's front end binds a query parameter to a request field by its proto name and by its
    JSON name alike (the documentation's curl sample posts ``?persistent_resource_id=ID``, the
    REST clients send ``persistentResourceId``); the first one given is taken.
    """
    spellings = {field, json_name(field)}
    return next((value for name, value in request.args.items(multi=True) if name in spellings), None)


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer TOKEN``, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


BODY_KEY = "vertex_emulator.body"
"""Where the environ keeps a body once read, for a view that reads it again."""


def declared_length(environ: dict[str, Any]) -> int | None:
    """The body's ``Content-Length`` as werkzeug reads it (digits, around spaces), None when the
    body is chunked or has none. Read off the environ: ``Request.content_length`` goes through
    the header view of the environ, which cost half of every request's checks."""
    raw = environ.get("CONTENT_LENGTH")
    if not raw or "HTTP_TRANSFER_ENCODING" in environ:
        return None
    text = raw.strip()
    return int(text) if text.isdecimal() and text.isascii() else None


def raw_body() -> bytes:
    """The request's body bytes, read once.

    A body with a ``Content-Length`` (every client's, and never over the limit here: ``guard``
    refused it before the view) is read straight from ``wsgi.input``: werkzeug's ``get_data``
    wraps the stream in two layers first, which cost more than decoding the JSON. Anything else
    (a chunked body, a malformed length) goes through werkzeug, which cuts a chunked body at the
    limit rather than refusing it, so it is refused here.
    """
    environ = request.environ
    cached = environ.get(BODY_KEY)
    if cached is not None:
        return cached
    length = declared_length(environ)
    if length is not None:
        raw = environ["wsgi.input"].read(length) if length else b""
        if len(raw) != length:
            raise ClientDisconnected()
    else:
        raw = request.get_data(cache=True)
        if request.content_length is None and len(raw) >= MAX_BODY_BYTES:
            raise RequestEntityTooLarge()
    environ[BODY_KEY] = raw
    return raw


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` as for ``body: "*"`` methods."""
    raw = raw_body()
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_argument("Invalid JSON payload received. Invalid UTF-8 in the body.") from None
    try:
        body = jsontext.loads(text)
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
