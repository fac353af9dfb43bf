"""Views of the control API under ``/emulator/v1``: what is not part of the real service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from vertex_emulator import names, wire
from vertex_emulator.clock import is_manual, parse_duration, rfc3339
from vertex_emulator.errors import ApiError, Code, bad_field
from vertex_emulator.http import faults
from vertex_emulator.http.options import options
from vertex_emulator.http.rendering import record_json, reply
from vertex_emulator.http.request import json_body, service


def health() -> Response:
    return reply({"status": "ok"})


def _clock_json() -> dict[str, Any]:
    clock = service().clock
    return {"now": rfc3339(clock.now()), "manual": is_manual(clock)}


def get_clock() -> Response:
    return reply(_clock_json())


def overview() -> Response:
    """Read-only: what the web page shows, including the holders and queues the real API does not expose."""
    return reply({"clock": _clock_json(), **service().overview()})


def advance_clock() -> Response:
    body = json_body()
    raw = body.get("seconds", body.get("duration"))
    if raw is None:
        raise bad_field("seconds", 'Give "seconds" (a number) or "duration" (such as "90s").')
    try:
        seconds = parse_duration(raw)
    except ValueError:
        raise bad_field("seconds", f"{raw!r} is not a non-negative duration.") from None
    service().advance(seconds)
    return reply(_clock_json())


def after_seconds(body: dict[str, Any]) -> float | None:
    """An outcome's ``after``: a duration of running (``"30s"`` or seconds), or None."""
    after = body.get("after")
    try:
        return None if after is None else parse_duration(after)
    except ValueError:
        raise bad_field("after", f"{after!r} is not a non-negative duration.") from None


def _set_outcome(call: Callable[..., Any], name: str, default_state: str, record_kind: str) -> Response:
    """A ``:setOutcome`` body (``state``, ``error`` a google.rpc.Status, ``at`` or ``after``) applied by ``call``."""
    body = json_body()
    seconds = after_seconds(body)
    error = body.get("error")
    status = None if error is None else wire.parse_status(error, "error")
    found = call(name, str(body.get("state", default_state)), status, body.get("at"), seconds)
    return reply(record_json(found, record_kind, found.version))


def set_outcome(project: str, location: str, job: str) -> Response:
    return outcome_of(names.child(names.parent(project, location), "customJobs", job))


def outcome_of(name: str) -> Response:
    """Decide how the job ``name`` ends (a training pipeline's name stands for its backing job)."""
    return _set_outcome(service().set_outcome, name, "JOB_STATE_SUCCEEDED", "CustomJob")


def set_resource_outcome(project: str, location: str, resource: str) -> Response:
    """``{"state": "ERROR", "error": {...}, "after": "30s"}``: the resource's transition ends in ERROR."""
    name = names.child(names.parent(project, location), "persistentResources", resource)
    return _set_outcome(service().set_resource_outcome, name, "ERROR", "PersistentResource")


def reset() -> Response:
    project = json_body().get("project")
    if project is not None and not isinstance(project, str):
        raise bad_field("project", "project must be a string.")
    service().reset(project)
    if project is None:
        faults.registry().clear()
        storage = options().storage
        if storage is not None:
            storage.reset()
    return reply({})


def get_storage() -> Response:
    """The Cloud Storage emulator beside this one: its URL (for ``STORAGE_EMULATOR_HOST``) and buckets."""
    storage = options().storage
    if storage is None:
        raise ApiError(Code.NOT_FOUND, "No Cloud Storage emulator runs beside this emulator (serve --storage off).")
    return reply(storage.describe())


def get_state() -> Response:
    return reply(service().export_state())


def put_state() -> Response:
    """Replace the whole state by a snapshot; answers how many records of each collection it holds."""
    from vertex_emulator import snapshot

    body = json_body()
    service().import_state(body)
    return reply({collection: len(body.get(collection, [])) for collection in snapshot.COLLECTIONS})


def seed() -> Response:
    value = json_body().get("seed")
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_field("seed", "seed must be an integer.")
    service().reseed(value)
    return reply({"seed": value})
