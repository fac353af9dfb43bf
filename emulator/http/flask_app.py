"""The Flask class the emulator serves with: Flask, minus what the emulator never uses.

Every request runs Flask's generic request machinery, and the parts of it written for features the
emulator has no use for cost a twelfth of a request (counted with cachegrind: 43k of a get's 542k
instructions, 41k of a create's 813k): each hook dispatch asks the request for its blueprints
(through context proxies, three times a request), every hook and view is checked for being a
coroutine, and a session is opened and looked at though none is ever kept. The emulator registers
no blueprint, no URL value preprocessor, no coroutine and no session (``make_app`` checks the
coroutines; an app that is given a blueprint or a preprocessor anyway gets Flask's own dispatch
back), so ``EmulatorApp`` calls the app's hooks directly, in Flask's order, and its requests share
one read-only null session. It also keeps itself, while it answers, where
:func:`current_extensions` finds it without the ``current_app`` proxy. Hooks,
``after_this_request``, the request signals and the error handlers work as in Flask;
``tests/test_flask_app.py`` checks each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, current_app
from flask.globals import request_ctx
from flask.sessions import NullSession, SecureCookieSessionInterface
from flask.signals import request_tearing_down

from vertex_emulator.http.url_map import MatchingMap, MatchingRule

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


_UNSET = object()
_answering: ContextVar[Flask] = ContextVar("vertex_emulator.answering")
"""The EmulatorApp answering a request on this thread, for the length of its ``wsgi_app``."""


def current_extensions() -> dict[str, Any]:
    """``current_app.extensions``, where the views and hooks keep the service, its options and its
    faults: read off the app answering the request, not through Flask's ``current_app`` proxy (a
    werkzeug ``LocalProxy``, about 1.5k instructions an access, and a request makes several).
    Outside a request of an ``EmulatorApp`` (an app context pushed by hand), the proxy's answer."""
    app = _answering.get(None)
    return (app if app is not None else current_app).extensions


class _NoSessions(SecureCookieSessionInterface):
    """Every request gets the same null session, even with a secret key: Flask's own, read-only
    (setting a key raises, as in any Flask app without a secret key), never saved."""

    _null = NullSession()

    def open_session(self, app: Flask, request: Request) -> NullSession:
        return self._null


class EmulatorApp(Flask):
    """Flask with the emulator's URL map and rules (``url_map``), its hooks called directly and no sessions.

    ``ensure_sync`` wraps nothing: every view, hook and error handler of the emulator is
    synchronous (:func:`vertex_emulator.http.app.routing` and ``make_app`` check it once), and
    asking ``inspect.iscoroutinefunction`` for each of them on every request cost about 4% of an
    in-process call.
    """

    url_rule_class = MatchingRule
    url_map_class = MatchingMap
    session_interface = _NoSessions()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        token = _answering.set(self)
        try:
            return super().wsgi_app(environ, start_response)
        finally:
            _answering.reset(token)

    def _generic(self) -> bool:
        """Whether Flask's own dispatch is needed: a blueprint or a URL value preprocessor was added."""
        return bool(self.blueprints or self.url_value_preprocessors)

    def preprocess_request(self) -> Any:
        """The app's before-request functions in the order they were added; the first one to
        return something answers instead of the view."""
        if self._generic():
            return super().preprocess_request()
        for before in self.before_request_funcs.get(None, ()):
            answer = before()
            if answer is not None:
                return answer
        return None

    def process_response(self, response: Response) -> Response:
        """``after_this_request`` functions, then the app's after-request functions, last added first."""
        if self._generic():
            return super().process_response(response)
        for after in request_ctx._after_request_functions:
            response = after(response)
        for after in reversed(self.after_request_funcs.get(None, ())):
            response = after(response)
        return response

    def do_teardown_request(self, exc: BaseException | object | None = _UNSET) -> None:
        """The app's teardown functions, last added first, then the ``request_tearing_down`` signal;
        without an exception given, the one being handled (as Flask does)."""
        if exc is _UNSET:
            exc = sys.exc_info()[1]
        if self._generic():
            super().do_teardown_request(exc)
            return
        for teardown in reversed(self.teardown_request_funcs.get(None, ())):
            teardown(exc)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
