"""The emulator's URL map binds a request as werkzeug's own map does, and routes the same.

``MatchingMap`` keeps werkzeug's binding of a request's host per distinct host; everything a
bound adapter holds (and so everything it matches and refuses) must be what ``Map`` makes.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import BadHost, HTTPException
from werkzeug.routing import Map, Rule

from vertex_emulator.http.app import routing
from vertex_emulator.http.url_map import MatchingMap

_ADAPTER = (
    "server_name",
    "script_name",
    "subdomain",
    "url_scheme",
    "path_info",
    "default_method",
    "query_args",
    "websocket",
)

_latin1 = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=12)
_hosts = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "aiplatform.googleapis.com",
            "us-central1-aiplatform.googleapis.com:443",
            "127.0.0.1:8080",
            "LOCALHOST:80",
            "[::1]:8080",
            "bücher.example",
            "",
        ]
    ),
    _latin1,
)


_PATHS = [
    "",
    "/",
    "/v1/projects/p/locations/l/customJobs/1",
    "/v1beta1/projects/p/locations/l/customJobs/1:cancel",
    "/v1/projects/p/locations/l/persistentResources/",
    "//v1/projects/p/locations/l/customJobs",
    "/ui/projects/p/locations/l/operations/7",
    "/v1/projects/p/locations/l/customJobs/caf\xc3\xa9",
]


@st.composite
def environs(draw: st.DrawFn) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": draw(st.sampled_from(["GET", "POST", "DELETE", "PATCH", "OPTIONS"])),
        "wsgi.url_scheme": draw(st.sampled_from(["http", "https"])),
        "SERVER_NAME": draw(st.sampled_from(["127.0.0.1", "localhost", "::1"])),
        "SERVER_PORT": draw(st.sampled_from(["80", "443", "8080"])),
    }
    optional = {
        "HTTP_HOST": _hosts,
        "SCRIPT_NAME": st.sampled_from(["", "/", "/prefix"]),
        "PATH_INFO": st.one_of(st.sampled_from(_PATHS), _latin1),
        "QUERY_STRING": _latin1,
        "HTTP_CONNECTION": st.sampled_from(["keep-alive", "Upgrade", "keep-alive, upgrade"]),
        "HTTP_UPGRADE": st.sampled_from(["websocket", "h2c"]),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            environ[key] = draw(values)
    return environ


def _bound(kind: type[Map], environ: dict[str, Any], subdomain: str | None) -> tuple[Any, ...] | str:
    """What a map of ``kind`` binds ``environ`` to, or the name of the error it raises."""
    url_map = kind([Rule("/v1/<path:rest>", endpoint="any")])
    try:
        adapter = url_map.bind_to_environ(environ, subdomain=subdomain)
    except (HTTPException, UnicodeError) as error:
        return type(error).__name__
    return tuple(getattr(adapter, field) for field in _ADAPTER)


@settings(max_examples=300, deadline=None)
@given(environs(), st.sampled_from([None, ""]))
def test_a_request_is_bound_as_werkzeug_binds_it(environ: dict[str, Any], subdomain: str | None) -> None:
    assert _bound(MatchingMap, environ, subdomain) == _bound(Map, environ, subdomain)


def test_a_host_werkzeug_refuses_is_refused_on_every_request() -> None:
    url_map = MatchingMap([Rule("/", endpoint="root")])
    environ = {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "http", "HTTP_HOST": "a..b", "PATH_INFO": "/"}
    for _ in range(2):
        with pytest.raises(BadHost):
            url_map.bind_to_environ(environ)


@functools.cache
def _plain_table() -> Map:
    """The route table in a plain werkzeug map."""
    shared = routing().url_map
    return Map(
        [rule.empty() for rule in shared.iter_rules()],
        converters=shared.converters,
        strict_slashes=shared.strict_slashes,
    )


@given(environs())
@settings(max_examples=200, deadline=None)
def test_the_route_table_matches_what_werkzeug_matches(environ: dict[str, Any]) -> None:
    """The emulator's own table, bound both ways: the same endpoint and values, or the same refusal."""
    answers = []
    for url_map in (routing().url_map, _plain_table()):
        try:
            answers.append(url_map.bind_to_environ(environ).match(return_rule=False))
        except (HTTPException, UnicodeError) as error:
            answers.append(type(error).__name__)
    assert answers[0] == answers[1]
