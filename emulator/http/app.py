"""The Flask application of an emulator, built from the route table around one :class:`Service`."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter

from vertex_emulator.http import authz, faults, guard
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.http.rendering import install_error_handlers
from vertex_emulator.http.request import MAX_BODY_BYTES
from vertex_emulator.http.urls import ROUTES
from vertex_emulator.service import Service


class IdConverter(BaseConverter):
    """One path segment that stops at ``:``, so ``.../jobs/123:cancel`` splits as Google's rules do."""

    regex = r"[^/:]+"


def make_app(service: Service | None = None, options: HttpOptions | None = None) -> Flask:
    """The app around ``service``; its request hooks run in order, cheapest and most general first."""
    app = Flask("vertex_emulator")
    app.url_map.converters["id"] = IdConverter
    app.url_map.strict_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["vertex_emulator"] = service or Service()
    app.extensions["vertex_emulator_options"] = options or HttpOptions()
    app.extensions["vertex_emulator_faults"] = faults.Faults()
    app.extensions["vertex_emulator_routes"] = {route.endpoint: route for route in ROUTES}
    for route in ROUTES:
        app.add_url_rule(route.rule, endpoint=route.endpoint, view_func=route.view, methods=list(route.methods))
    for hook in (guard.refuse_early, faults.inject, guard.refuse_unknown_query, authz.authorize):
        app.before_request(hook)
    install_error_handlers(app)
    return app
