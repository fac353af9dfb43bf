"""``EmulatorApp`` calls an app's hooks itself rather than through Flask's blueprint-aware dispatch,
and keeps no session: what an app built on it does must still be what Flask does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask, Response, after_this_request, session
from flask.signals import request_finished, request_started, request_tearing_down
from hypothesis import given, settings
from hypothesis import strategies as st

from vertex_emulator.http.flask_app import EmulatorApp, current_extensions
from vertex_emulator.http.rendering import Answer


def _apps() -> Iterator[Flask]:
    """The same small app on EmulatorApp and on stock Flask: each test compares the two."""
    for kind in (EmulatorApp, Flask):
        yield kind("hooks", static_folder=None)


def _wire(app: Flask, seen: list[str]) -> None:
    app.before_request(lambda: seen.append("before 1"))
    app.before_request(lambda: seen.append("before 2"))

    @app.after_request
    def first_after(response: Response) -> Response:
        seen.append("after 1")
        return response

    @app.after_request
    def second_after(response: Response) -> Response:
        seen.append("after 2")
        response.headers["X-Seen"] = "yes"
        return response

    app.teardown_request(lambda error: seen.append(f"teardown {type(error).__name__}"))

    @app.route("/view")
    def view() -> str:
        @after_this_request
        def just_this_once(response: Response) -> Response:
            seen.append("after this request")
            return response

        seen.append("view")
        return "answered"

    @app.route("/fails")
    def fails() -> str:
        raise RuntimeError("the view broke")


def _run(path: str) -> dict[type, tuple[list[str], int, str, str | None]]:
    results = {}
    for app in _apps():
        seen: list[str] = []
        _wire(app, seen)
        answer = app.test_client().get(path)
        results[type(app)] = (
            seen,
            answer.status_code,
            answer.get_data(as_text=True)[:20],
            answer.headers.get("X-Seen"),
        )
    return results


def test_hooks_run_in_flasks_order_around_the_view() -> None:
    results = _run("/view")
    seen, status, body, header = results[EmulatorApp]
    assert seen == [
        "before 1",
        "before 2",
        "view",
        "after this request",
        "after 2",
        "after 1",
        "teardown NoneType",
    ]
    assert (status, body, header) == (200, "answered", "yes")
    assert results[EmulatorApp] == results[Flask]


def test_an_unhandled_error_reaches_the_teardown_functions() -> None:
    results = _run("/fails")
    assert results[EmulatorApp][0][-1] == "teardown RuntimeError"
    assert results[EmulatorApp][1] == 500
    assert results[EmulatorApp] == results[Flask]


def test_a_before_request_function_that_answers_stops_the_rest_and_the_view() -> None:
    for app in _apps():
        seen: list[str] = []
        app.before_request(lambda: "refused")
        _wire(app, seen)
        answer = app.test_client().get("/view")
        assert answer.get_data(as_text=True) == "refused"
        assert seen == ["after 2", "after 1", "teardown NoneType"], type(app)


def test_the_request_signals_are_sent() -> None:
    app = EmulatorApp("signals", static_folder=None)
    app.add_url_rule("/", "index", lambda: "ok")
    sent: list[str] = []

    def started(sender: Flask, **extra: object) -> None:
        sent.append("started")

    def finished(sender: Flask, **extra: object) -> None:
        sent.append("finished")

    def tearing_down(sender: Flask, **extra: object) -> None:
        sent.append(f"tearing down {extra['exc']}")

    with (
        request_started.connected_to(started, app),
        request_finished.connected_to(finished, app),
        request_tearing_down.connected_to(tearing_down, app),
    ):
        assert app.test_client().get("/").status_code == 200
    assert sent == ["started", "finished", "tearing down None"]


def test_sessions_are_read_only_and_set_no_cookie() -> None:
    app = EmulatorApp("sessions", static_folder=None)
    app.testing = True
    app.secret_key = "a key changes nothing: the emulator keeps no session"

    @app.route("/read")
    def read() -> str:
        return str(session.get("user", "nobody"))

    @app.route("/write")
    def write() -> str:
        session["user"] = "someone"
        return "written"

    client = app.test_client()
    answer = client.get("/read")
    assert (answer.get_data(as_text=True), answer.headers.get("Set-Cookie")) == ("nobody", None)
    with pytest.raises(RuntimeError, match="session is unavailable"):
        client.get("/write")


def test_an_app_given_a_blueprint_gets_flasks_own_dispatch_back() -> None:
    app = EmulatorApp("blueprints", static_folder=None)
    seen: list[str] = []
    part = Blueprint("part", __name__)
    part.before_request(lambda: seen.append("blueprint before"))
    part.after_request(lambda response: seen.append("blueprint after") or response)
    part.teardown_request(lambda error: seen.append("blueprint teardown"))
    part.add_url_rule("/inside", "inside", lambda: "inside")
    app.before_request(lambda: seen.append("app before"))
    app.register_blueprint(part)
    assert app.test_client().get("/inside").get_data(as_text=True) == "inside"
    assert seen == ["app before", "blueprint before", "blueprint after", "blueprint teardown"]


def test_current_extensions_are_the_answering_apps_even_when_apps_nest() -> None:
    """A view of one app may call another in process (the in-process mock's routing does): each
    request reads its own app's extensions, and the outer one gets its own back."""
    outer, inner = EmulatorApp("outer", static_folder=None), EmulatorApp("inner", static_folder=None)
    outer.extensions["name"], inner.extensions["name"] = "outer", "inner"
    inner.add_url_rule("/", "name", lambda: current_extensions()["name"])

    @outer.route("/")
    def both() -> str:
        before = current_extensions()["name"]
        middle = inner.test_client().get("/").get_data(as_text=True)
        return f"{before} {middle} {current_extensions()['name']}"

    assert outer.test_client().get("/").get_data(as_text=True) == "outer inner outer"
    with inner.app_context():
        assert current_extensions()["name"] == "inner", "outside a request: Flask's current app"
    with pytest.raises(RuntimeError, match="application context"):
        current_extensions()


_statuses = st.sampled_from([200, 201, 204, 302, 304, 400, 404, 409, 429, 500, 503])
_extra_headers = st.lists(
    st.tuples(
        st.sampled_from(["Location", "content-location", "Content-Length", "X-Goog-Request", "Cache-Control"]),
        st.sampled_from(["/v1/projects/p", "https://example.com/é", "0", "12", "no-store"]),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=64),
    status=_statuses,
    headers=_extra_headers,
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    closes=st.booleans(),
    dropped_length=st.booleans(),
)
def test_an_answer_goes_out_as_werkzeug_sends_a_response(
    body: bytes, status: int, headers: list[tuple[str, str]], method: str, closes: bool, dropped_length: bool
) -> None:
    """``Answer`` hands its body and headers to the server as they are only when werkzeug would
    send the same: every status, header, method and close hook gives the same status line,
    headers, body and close calls as stock werkzeug."""
    environ = {
        "REQUEST_METHOD": method,
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "127.0.0.1:8080",
        "PATH_INFO": "/v1/x",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
    }
    sent = []
    for kind in (Answer, Response):
        closed: list[str] = []
        answer = kind(body, status=status, mimetype="application/json")
        for key, value in headers:
            answer.headers.add(key, value)
        if dropped_length:
            del answer.headers["Content-Length"]
        if closes:
            answer.call_on_close(lambda closed=closed: closed.append("closed"))
        app_iter, line, wsgi_headers = answer.get_wsgi_response(environ)
        chunks = list(app_iter)
        getattr(app_iter, "close", lambda: None)()
        sent.append((line, wsgi_headers, chunks, closed))
    assert sent[0] == sent[1]
