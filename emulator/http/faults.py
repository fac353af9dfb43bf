"""Injected faults, so users can test their retry logic: errors and stalls on chosen calls.

A fault makes the next ``count`` calls that match it (by method, the route's summary such as
``CreateCustomJob``, and/or a glob over the resource name) answer 429, 500 or 503 as the real
front end words them, or stall for a bounded time first. Faults are added through the control API
(``POST /emulator/v1/faults``) or, for one request, through the ``X-Vertex-Emulator-Fault`` header
(``503``, ``stall=2s``, ``stall=2s,429``). A faulted call does nothing else: the state is untouched,
so a retry meets the emulator as the first attempt would have. Only the real API's routes fault
(``Surface.API``), never the control API or the web page. The registry lives on the app, not in a
global, so emulators stay apart.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Request, Response

from vertex_emulator.clock import parse_duration
from vertex_emulator.errors import ApiError, Code, bad_field
from vertex_emulator.http.flask_app import current_extensions
from vertex_emulator.http.rendering import reply
from vertex_emulator.http.request import json_body, resource_path
from vertex_emulator.http.routes import Route, Surface

HEADER = "X-Vertex-Emulator-Fault"
HEADER_ENVIRON = "HTTP_" + HEADER.upper().replace("-", "_")
"""Where WSGI keeps the header, read there without building the request's header view."""
MAX_STALL_SECONDS = 30.0
MAX_COUNT = 10_000

ERRORS: dict[int, tuple[Code, str]] = {
    429: (
        Code.RESOURCE_EXHAUSTED,
        "Quota exceeded for quota metric 'Resource management requests' of service 'aiplatform.googleapis.com'.",
    ),
    500: (Code.INTERNAL, "Internal error encountered."),
    503: (Code.UNAVAILABLE, "The service is currently unavailable."),
}


@dataclass
class Fault:
    id: str
    status: int | None
    stall: float
    method: str | None
    name: str | None
    remaining: int

    def matches(self, method: str, name: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.name is None or fnmatch.fnmatchcase(name, self.name)
        )

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "count": self.remaining}
        if self.status is not None:
            body["status"] = self.status
        if self.stall:
            body["stall"] = f"{self.stall:g}s"
        if self.method is not None:
            body["method"] = self.method
        if self.name is not None:
            body["name"] = self.name
        return body


def parse_fault(spec: Mapping[str, Any], fault_id: str) -> Fault:
    """A fault from its JSON form: ``status`` and/or ``stall``, optional ``method``, ``name``, ``count``."""
    unknown = set(spec) - {"status", "stall", "method", "name", "count"}
    if unknown:
        raise bad_field(
            sorted(unknown)[0],
            f"Unknown fault field(s) {sorted(unknown)}; expected status, stall, method, name, count.",
        )
    status = spec.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or status not in ERRORS):
        raise bad_field("status", f"status must be one of {sorted(ERRORS)}, not {status!r}.")
    stall = _stall(spec.get("stall", 0))
    if status is None and not stall:
        raise bad_field("status", 'A fault needs a status (429, 500, 503), a stall (such as "2s"), or both.')
    count = spec.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise bad_field("count", f"count must be an integer from 1 to {MAX_COUNT}, not {count!r}.")
    for key in ("method", "name"):
        if spec.get(key) is not None and (not isinstance(spec[key], str) or not spec[key]):
            raise bad_field(key, f"{key} must be a non-empty string.")
    return Fault(fault_id, status, stall, spec.get("method"), spec.get("name"), count)


def _stall(raw: Any) -> float:
    try:
        seconds = parse_duration(raw)
    except (ValueError, TypeError):
        raise bad_field("stall", f'stall must be a duration such as "2s", not {raw!r}.') from None
    if seconds > MAX_STALL_SECONDS:
        raise bad_field("stall", f"stall must be at most {MAX_STALL_SECONDS:g}s, not {seconds:g}s.")
    return seconds


def parse_header(text: str) -> dict[str, Any]:
    """``503``, ``stall=2s``, ``stall=2s,429``: the header's comma-separated parts as a fault spec."""
    spec: dict[str, Any] = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        key, has_value, value = part.partition("=")
        if not has_value and key.isdigit():
            spec["status"] = int(key)
        elif has_value and key.strip() == "stall":
            spec["stall"] = value.strip()
        else:
            raise ApiError(
                Code.INVALID_ARGUMENT,
                f"{HEADER} takes a status (429, 500, 503) and/or stall=DURATION, comma-separated; not {part!r}.",
            )
    return spec


class Faults:
    """The faults of one emulator; ``sleep`` is how a stall waits (tests replace it)."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self._lock = threading.Lock()
        self._items: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: Mapping[str, Any]) -> Fault:
        with self._lock:
            fault = parse_fault(spec, f"fault-{next(self._ids)}")
            self._items.append(fault)
            return fault

    def __bool__(self) -> bool:
        """Whether any fault is registered: read without the lock, as a request that races an ``add``
        may run before it either way."""
        return bool(self._items)

    def take(self, method: str, name: str) -> Fault | None:
        """The first fault matching a call, used up by one."""
        with self._lock:
            for fault in self._items:
                if fault.matches(method, name):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._items.remove(fault)
                    return fault
            return None

    def render(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.render() for fault in self._items]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def registry() -> Faults:
    return current_extensions()["vertex_emulator_faults"]


def inject(route: Route, current: Request, faults: Faults) -> None:
    """Apply a header fault or the first registered fault that matches the request to ``route``."""
    if route.surface is not Surface.API:
        return
    header = current.environ.get(HEADER_ENVIRON)
    if header:
        fault: Fault | None = parse_fault(parse_header(header), "header")
    elif faults:
        fault = faults.take(route.summary, resource_path())
    else:
        return
    if fault is None:
        return
    if fault.stall:
        faults.sleep(fault.stall)
    if fault.status is not None:
        code, message = ERRORS[fault.status]
        raise ApiError(code, f"{message} (fault injected by the emulator: {fault.id})")


def list_faults() -> Response:
    return reply({"faults": registry().render()})


def add_fault() -> Response:
    return reply(registry().add(json_body()).render())


def clear_faults() -> Response:
    registry().clear()
    return reply({})
