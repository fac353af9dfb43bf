"""The Flask application of an emulator, built from the route table around one :class:`Service`.

Every in-process mock and every test builds an app, so building one must cost next to nothing:
werkzeug compiles each URL rule (it generates and compiles Python code for each), about 40 ms for
the whole table here. The rules, their map and the view table are therefore made once per process
(:func:`routing`) and shared by every app; what is per app is only what differs between
emulators: the service, the HTTP options and the fault registry, in ``app.extensions``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from flask import Flask, Response, request
from werkzeug.routing import Map

from vertex_emulator.errors import ApiError
from vertex_emulator.http import authz, faults, guard
from vertex_emulator.http.flask_app import EmulatorApp, current_extensions
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.http.rendering import error_response, install_error_handlers
from vertex_emulator.http.request import MAX_BODY_BYTES
from vertex_emulator.http.routes import Route
from vertex_emulator.http.url_map import IdConverter
from vertex_emulator.http.urls import ROUTES
from vertex_emulator.service import Service

ROOT = str(Path(__file__).resolve().parent.parent)
"""The package's folder, given to Flask so that it does not search for it on every app."""


def _synchronous(functions: Iterable[Callable[..., object]]) -> None:
    for function in functions:
        if inspect.iscoroutinefunction(function):
            raise TypeError(f"{function.__qualname__} is a coroutine function; the emulator's app runs none")


class Routing(NamedTuple):
    """The compiled URL map and the views of the route table, the same for every app of a process."""

    url_map: Map
    views: dict[str, Callable[..., object]]
    routes: dict[str, Route]


@functools.cache
def routing() -> Routing:
    """Compile the route table once; Flask's ``add_url_rule`` semantics (``OPTIONS`` answered for
    every rule, ``HEAD`` for every ``GET``) are kept by building the map with a Flask app."""
    template = EmulatorApp("vertex_emulator", static_folder=None, root_path=ROOT)
    template.url_map.converters["id"] = IdConverter
    template.url_map.strict_slashes = False
    for route in ROUTES:
        route.check()
        template.add_url_rule(route.rule, endpoint=route.endpoint, view_func=route.view, methods=list(route.methods))
    template.url_map.update()  # compile the matcher now, not on some app's first request
    _synchronous([*template.view_functions.values(), before_view])
    return Routing(template.url_map, template.view_functions, {route.endpoint: route for route in ROUTES})


def before_view() -> None:
    """Every refusal before a view, in one pass that finds the request's route once: cheapest and
    most general first (a body too large for any URL, then what the route's surface decides).

    The request and the app are taken out of Flask's context proxies once and handed on: each
    proxy access costs about a microsecond, and the checks made ten of them per request.
    """
    current = request._get_current_object()  # type: ignore[attr-defined]
    guard.refuse_oversized(current)
    if current.url_rule is None:
        return
    extensions = current_extensions()
    route = extensions["vertex_emulator_routes"][current.url_rule.endpoint]
    settings = extensions["vertex_emulator_options"]
    guard.refuse_closed_control(route, current, settings)
    faults.inject(route, current, extensions["vertex_emulator_faults"])
    guard.refuse_unknown_query(route, current)
    authz.authorize(route, settings)


def install_settling(app: Flask, service: Service) -> None:
    """What an answer shows is durable before it is sent (``Service.settle``: the data dir's
    commit): once, after the view, rather than in each call the view makes, since a view may
    render records after its call returned, with changes other calls made since. A commit that
    fails answers 503 UNAVAILABLE. The deferral ends with the request whatever happened."""

    def after_view(response: Response) -> Response:
        try:
            service.settle()
        except ApiError as error:
            return error_response(error)
        return response

    app.before_request(service.defer_settling)
    app.after_request(after_view)
    app.teardown_request(lambda error: service.end_deferral())


def make_app(service: Service | None = None, options: HttpOptions | None = None) -> Flask:
    """The app around ``service``, with :func:`before_view` before every view.

    Its URL map and views are the process's shared ones (:func:`routing`): add no rule to an app.
    """
    shared = routing()
    app = EmulatorApp("vertex_emulator", static_folder=None, root_path=ROOT)
    app.url_map = shared.url_map
    app.view_functions = shared.views
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    served = app.extensions["vertex_emulator"] = service or Service()
    app.extensions["vertex_emulator_options"] = options or HttpOptions()
    app.extensions["vertex_emulator_faults"] = faults.Faults()
    app.extensions["vertex_emulator_routes"] = shared.routes
    app.before_request(before_view)
    install_settling(app, served)
    install_error_handlers(app)
    return app
