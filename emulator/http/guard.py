"""What an emulator refuses before any view runs: oversized bodies, and a closed or locked control API.

An emulator exposed beyond loopback (``serve --host``) should not let anyone reset it or move its
clock: ``--control off`` hides ``/emulator/v1`` except the health check, and ``--control-token``
requires the token on it. Bodies over ``MAX_BODY_BYTES`` are refused from their Content-Length,
before a byte of them is read.
"""

from __future__ import annotations

import secrets

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.options import options
from vertex_emulator.http.rendering import MAX_BODY_BYTES

CONTROL_PREFIX = "/emulator/v1/"
ALWAYS_OPEN = frozenset({"/emulator/v1/health"})
TOKEN_HEADER = "X-Emulator-Token"


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer TOKEN``, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def refuse_early() -> None:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    path = request.path.rstrip("/") or "/"
    if not path.startswith(CONTROL_PREFIX) or path in ALWAYS_OPEN:
        return
    settings = options()
    if not settings.control:
        raise ApiError(
            Code.NOT_FOUND, f"The URL {request.path} is not served: the control API is off (serve --control off)."
        )
    expected = settings.control_token
    if expected is None:
        return
    given = request.headers.get(TOKEN_HEADER) or bearer_token() or ""
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(
            Code.PERMISSION_DENIED,
            f"The control API needs the token given to --control-token, as 'Authorization: Bearer TOKEN' "
            f"or '{TOKEN_HEADER}: TOKEN'.",
        )
