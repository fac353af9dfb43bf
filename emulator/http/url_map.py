"""The URL map the emulator routes with: werkzeug's, made for matching alone.

Every app of a process shares one map (``app.routing``), and every request is matched against it.
werkzeug's map is general: it compiles URL builders for each rule, lets converters span path
segments, and binds each request to its host from scratch. The emulator builds no URL, its
segments never span, and its clients name the same few hosts on every call, so the pieces here
keep werkzeug's matching exactly and drop the rest: ``tests/test_url_map.py`` compares each with
werkzeug's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.routing import BaseConverter, Map, MapAdapter, Rule

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


class IdConverter(BaseConverter):
    """One path segment that stops at ``:``, so ``.../jobs/123:cancel`` splits as Google's rules do.

    werkzeug takes any converter whose regex holds a ``/`` for one that may span segments, and then
    matches everything after it as one regex per rule, trying the rules one by one (13 regexes for
    a get of a custom job). This one never spans a segment, so it says so: the map then walks the
    path a segment at a time, by dictionary lookups for the literal segments.
    """

    regex = r"[^/:]+"
    part_isolating = True


class MatchingRule(Rule):
    """A URL rule whose URL builders are compiled when first used, not when the rule is.

    The emulator matches URLs and never builds them (no ``url_for``), and werkzeug generates and
    compiles two builder functions per rule: four fifths of compiling the route table, paid by every
    ``serve`` before its first answer and by every test process before its first mock.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(compile_now(append_unknown).__get__(rule, None))
            return compiled[0](*args, **kwargs)

        return build


_HOST_KEYS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "HTTP_CONNECTION", "HTTP_UPGRADE")
"""What of an environ decides a request's host, subdomain and scheme (``Map.bind_to_environ``)."""


def _decoded(environ: WSGIEnvironment, key: str, missing: str | None = None) -> str | None:
    """A path or query string of the environ as werkzeug reads it (PEP 3333's latin-1 text, as
    UTF-8), or ``missing`` when the environ has none."""
    value = environ.get(key)
    return missing if value is None else value.encode("latin1").decode(errors="replace")


class MatchingMap(Map):
    """A URL map that binds a request to its host once per host, not once per request.

    Flask binds the map to every request (``bind_to_environ``), and most of that is working out
    the host: the ``Host`` header or the server's address, standard ports dropped, lowercased,
    IDNA-encoded, and whether the connection asks for a websocket. That depends on six values of
    the environ that a client sends the same on every call, so werkzeug's own binding of those six
    is kept per distinct set (the hosts a process talks to are few; at most 256 are kept), and
    each request adds its own path, query and method to a copy. A host werkzeug refuses
    (``BadHost``, a 400) is refused on every request, as it is never kept.
    """

    def bind_to_environ(self, environ: Any, server_name: str | None = None, subdomain: str | None = None) -> MapAdapter:
        if not isinstance(environ, dict):
            return super().bind_to_environ(environ, server_name, subdomain)
        host = self._host_binding(tuple(environ.get(key) for key in _HOST_KEYS), server_name, subdomain)
        return MapAdapter(
            self,
            host.server_name,
            _decoded(environ, "SCRIPT_NAME", "/"),
            host.subdomain,
            host.url_scheme,
            _decoded(environ, "PATH_INFO", "/"),
            environ["REQUEST_METHOD"],
            _decoded(environ, "QUERY_STRING"),
        )

    @functools.lru_cache(maxsize=256)  # noqa: B019 (the maps are the process's shared ones, never freed)
    def _host_binding(self, host: tuple[str | None, ...], server_name: str | None, subdomain: str | None) -> MapAdapter:
        environ = {key: value for key, value in zip(_HOST_KEYS, host, strict=True) if value is not None}
        return super().bind_to_environ({**environ, "REQUEST_METHOD": "GET"}, server_name, subdomain)
