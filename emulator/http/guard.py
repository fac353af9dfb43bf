"""What an emulator refuses before any view runs: oversized bodies, a closed or locked control API,
and query parameters the route does not bind.

An emulator exposed beyond loopback (``serve --host``) should not let anyone reset it or move its
clock: ``--control off`` hides the control API except the health check, and ``--control-token``
requires the token on it. Bodies over ``MAX_BODY_BYTES`` are refused from their Content-Length,
before a byte of them is read. Which routes are the control API is the route's ``surface``.
"""

from __future__ import annotations

import functools
import secrets
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.http.request import MAX_BODY_BYTES, bearer_token, declared_length, json_name
from vertex_emulator.http.routes import Route, Surface

ALWAYS_OPEN = frozenset({"Health"})
"""Summaries of the control routes that stay open whatever ``--control`` says."""
TOKEN_HEADER = "X-Emulator-Token"
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
"""Google's system parameters, accepted on every method of the real API (gcloud sends ``trace``)."""


def refuse_oversized(current: Request) -> None:
    """A body over the limit is refused from its Content-Length, on any URL, before a byte is read."""
    length = declared_length(current.environ)
    if length is not None and length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()


def refuse_closed_control(route: Route, current: Request, settings: HttpOptions) -> None:
    if route.surface is not Surface.CONTROL or route.summary in ALWAYS_OPEN:
        return
    if not settings.control:
        raise ApiError(
            Code.NOT_FOUND, f"The URL {current.path} is not served: the control API is off (serve --control off)."
        )
    expected = settings.control_token
    if expected is None:
        return
    given = current.headers.get(TOKEN_HEADER) or bearer_token() or ""
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(
            Code.PERMISSION_DENIED,
            f"The control API needs the token given to --control-token, as 'Authorization: Bearer TOKEN' "
            f"or '{TOKEN_HEADER}: TOKEN'.",
        )


def refuse_unknown_query(route: Route, current: Request) -> None:
    """Query parameters the route does not bind are refused, as Google's front end refuses them.

    A bound field is accepted by its proto name and by its JSON name (``page_size``, ``pageSize``).
    """
    query_string = current.environ.get("QUERY_STRING")
    if not query_string:
        return
    name = _unbound(route.query, query_string)
    if name is not None:
        raise ApiError(
            Code.INVALID_ARGUMENT,
            f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
            f"Field '{name}' could not be found in request message.",
        )


@functools.lru_cache(maxsize=1024)
def _unbound(query: tuple[str, ...], query_string: str) -> str | None:
    """The first parameter of ``query_string`` a route binding ``query`` does not accept, or None.

    Kept per query string because nearly every call sends the same one: the official clients add
    ``$alt=json;enum-encoding=int`` to each request, and parsing it each time cost a tenth of what
    the emulator spends on a get.
    """
    allowed = _accepted(query)
    for name, _ in parse_qsl(query_string, keep_blank_values=True):
        if name not in allowed and name not in SYSTEM_PARAMETERS:
            return name
    return None


@functools.cache
def _accepted(query: tuple[str, ...]) -> frozenset[str]:
    """The names a route's query parameters are bound by: each proto name and its JSON name."""
    return frozenset({*query, *map(json_name, query)})
