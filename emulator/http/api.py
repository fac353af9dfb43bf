"""Views of the real API surface: thin translations between HTTP and :class:`Service` calls."""

from __future__ import annotations

from typing import Any

from flask import Response

from vertex_emulator import names, wire
from vertex_emulator.clock import parse_duration
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import invalid_argument
from vertex_emulator.http.authz import authorize_act_as
from vertex_emulator.http.rendering import operation_json, record_json, reply
from vertex_emulator.http.request import json_body, json_name, query, service


def _resource_json(resource: PersistentResource, version: str) -> dict[str, Any]:
    return record_json(resource, "PersistentResource", version)


def _job_json(job: CustomJob, version: str) -> dict[str, Any]:
    return record_json(job, "CustomJob", version)


def _operation(operation: Any) -> Response:
    return reply(operation_json(operation))


# ------------------------------------------------------------------ persistent resources


def create_resource(version: str, project: str, location: str) -> Response:
    body = wire.parse(version, "PersistentResource", json_body())
    resource_id = query("persistent_resource_id") or ""
    return _operation(service().create_resource(names.parent(project, location), resource_id, body, version))


def list_resources(version: str, project: str, location: str) -> Response:
    found, token = service().list_resources(names.parent(project, location), query("page_size"), query("page_token"))
    body: dict[str, Any] = {"persistentResources": [_resource_json(r, version) for r in found]}
    if token:
        body["nextPageToken"] = token
    return reply(body)


def get_resource(version: str, project: str, location: str, resource: str) -> Response:
    name = names.child(names.parent(project, location), "persistentResources", resource)
    return reply(_resource_json(service().get_resource(name), version))


def update_resource(version: str, project: str, location: str, resource: str) -> Response:
    name = names.child(names.parent(project, location), "persistentResources", resource)
    body = wire.parse(version, "PersistentResource", json_body())
    return _operation(service().update_resource(name, body, query("update_mask") or "", version))


def delete_resource(version: str, project: str, location: str, resource: str) -> Response:
    name = names.child(names.parent(project, location), "persistentResources", resource)
    return _operation(service().delete_resource(name, version))


def reboot_resource(version: str, project: str, location: str, resource: str) -> Response:
    if json_body():
        raise invalid_argument("The request body must be empty.")
    name = names.child(names.parent(project, location), "persistentResources", resource)
    return _operation(service().reboot_resource(name, version))


# ------------------------------------------------------------------------- custom jobs


def create_job(version: str, project: str, location: str) -> Response:
    body = wire.parse(version, "CustomJob", json_body())
    authorize_act_as(body.get("jobSpec", {}).get("serviceAccount"))
    job = service().create_job(names.parent(project, location), body, version, adopt=True)
    return reply(_job_json(job, version))


def list_jobs(version: str, project: str, location: str) -> Response:
    found, token = service().list_jobs(*list_query(project, location))
    return listed("customJobs", [_job_json(job, version) for job in found], token)


def list_query(project: str, location: str) -> tuple[str, str | None, str | None, str | None]:
    """A filtered list call's parent, ``filter``, ``pageSize`` and ``pageToken`` (either spelling)."""
    return names.parent(project, location), query("filter"), query("page_size"), query("page_token")


def listed(key: str, items: list[dict[str, Any]], token: str) -> Response:
    """A list page: the items under ``key`` (as the request's ``readMask`` keeps them), and the next token."""
    mask = query("read_mask")
    body: dict[str, Any] = {key: [apply_read_mask(item, mask) for item in items] if mask else items}
    if token:
        body["nextPageToken"] = token
    return reply(body)


def get_job(version: str, project: str, location: str, job: str) -> Response:
    return reply(_job_json(service().get_job(names.child(names.parent(project, location), "customJobs", job)), version))


def cancel_job(version: str, project: str, location: str, job: str) -> Response:
    json_body()
    service().cancel_job(names.child(names.parent(project, location), "customJobs", job))
    return reply({})


def delete_job(version: str, project: str, location: str, job: str) -> Response:
    return _operation(service().delete_job(names.child(names.parent(project, location), "customJobs", job), version))


def apply_read_mask(body: dict[str, Any], mask: str) -> dict[str, Any]:
    """Keep only the fields a ``readMask`` names (snake_case or camelCase, dotted for nesting)."""
    kept: dict[str, Any] = {}
    for raw in mask.split(","):
        path = [json_name(part) for part in raw.strip().split(".") if part]
        source, target = body, kept
        for depth, key in enumerate(path):
            if not isinstance(source, dict) or key not in source:
                break
            if depth == len(path) - 1:
                target[key] = source[key]
            else:
                target = target.setdefault(key, {})
                source = source[key]
    return kept


# -------------------------------------------------------------------------- operations


def _operations_parent(project: str, location: str, collection: str | None, owner: str | None) -> str:
    """A location, or the resource or job whose operations a path names."""
    base = names.parent(project, location)
    return names.child(base, collection, owner) if collection and owner else base


def _operation_name(project: str, location: str, collection: str | None, owner: str | None, operation: str) -> str:
    return names.child(_operations_parent(project, location, collection, owner), "operations", operation)


def get_operation(
    prefix: str, project: str, location: str, operation: str, collection: str | None = None, owner: str | None = None
) -> Response:
    return _operation(service().get_operation(_operation_name(project, location, collection, owner, operation)))


def wait_operation(
    prefix: str, project: str, location: str, operation: str, collection: str | None = None, owner: str | None = None
) -> Response:
    raw = query("timeout") or json_body().get("timeout")
    timeout = None
    if raw is not None:
        try:
            timeout = parse_duration(raw)
        except ValueError:
            raise invalid_argument(f'timeout must be a duration such as "10s", not {raw!r}.') from None
    name = _operation_name(project, location, collection, owner, operation)
    return _operation(service().wait_operation(name, timeout))


def cancel_operation(
    prefix: str, project: str, location: str, operation: str, collection: str | None = None, owner: str | None = None
) -> Response:
    service().cancel_operation(_operation_name(project, location, collection, owner, operation))
    return reply({})


def delete_operation(
    prefix: str, project: str, location: str, operation: str, collection: str | None = None, owner: str | None = None
) -> Response:
    service().delete_operation(_operation_name(project, location, collection, owner, operation))
    return reply({})


def list_operations(
    prefix: str, project: str, location: str, collection: str | None = None, owner: str | None = None
) -> Response:
    parent = _operations_parent(project, location, collection, owner)
    found, token = service().list_operations(parent, query("page_size"), query("page_token"))
    body: dict[str, Any] = {"operations": [operation_json(op) for op in found]}
    if token:
        body["nextPageToken"] = token
    return reply(body)
