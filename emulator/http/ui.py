"""The web page: static files shipped as package data in ``emulator/ui``, no build step, no CDN.

The page only reads the emulator's own API (the real list endpoints and ``/emulator/v1/overview``)
and acts through the control API, so these views serve files and nothing else.
"""

from __future__ import annotations

from importlib import resources

from flask import Response

from vertex_emulator.errors import not_found

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_PAGE = "index.html"
_SECURITY = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
"""The page loads nothing from elsewhere, so the policy can say so; ``no-cache`` keeps upgrades visible."""


def _send(name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    file = resources.files("vertex_emulator").joinpath("ui", name)
    if suffix not in _TYPES or not file.is_file():
        raise not_found("Web page file", f"/emulator/ui/{name}")
    return Response(file.read_bytes(), content_type=_TYPES[suffix], headers=_SECURITY)


def page() -> Response:
    return _send(_PAGE)


def asset(asset: str) -> Response:
    return _send(asset)
