"""The Flask application of an emulator, built from the route table around one :class:`Service`."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter

from emulator.http.rendering import MAX_BODY_BYTES, install_error_handlers
from emulator.http.urls import ROUTES
from emulator.service import Service


class IdConverter(BaseConverter):
    """One path segment that stops at ``:``, so ``.../jobs/123:cancel`` splits as Google's rules do."""

    regex = r"[^/:]+"


def make_app(service: Service | None = None) -> Flask:
    app = Flask("vertex_emulator")
    app.url_map.converters["id"] = IdConverter
    app.url_map.strict_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["vertex_emulator"] = service or Service()
    for route in ROUTES:
        app.add_url_rule(
            route.rule, endpoint=f"{route.summary}:{route.rule}", view_func=route.view, methods=list(route.methods)
        )
    install_error_handlers(app)
    return app
