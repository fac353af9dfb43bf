"""The emulator's HTTP surface as OpenAPI 3.0, generated from the route table, never written twice.

Paths come from the werkzeug rules (``<any(v1, v1beta1):version>`` becomes ``{version}`` with an
enum, ``<id:job>`` becomes ``{job}`` with the segment's pattern), query parameters (by JSON and
by proto name), IAM permissions and tags (the route's surface) from the routes, and request bodies
from the official proto messages they name, read through their descriptors: the schema is
protobuf's, as JSON carries it (camelCase names, enums by name, 64-bit integers as strings,
unknown fields refused).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Response

from vertex_emulator import wire
from vertex_emulator.http.flask_app import current_extensions
from vertex_emulator.http.rendering import reply
from vertex_emulator.http.request import json_name
from vertex_emulator.names import SEGMENT

if TYPE_CHECKING:
    from vertex_emulator.http.routes import Route

SCHEMA_VERSION = "v1"
_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
_INT32 = ("TYPE_INT32", "TYPE_SINT32", "TYPE_SFIXED32", "TYPE_UINT32", "TYPE_FIXED32")
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}},
}
_STATUS = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["code", "message", "status"],
        }
    },
    "required": ["error"],
}


def path_of(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """An OpenAPI path template and its path parameters, from a werkzeug rule."""
    parameters: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        converter, args, name = match.group("converter"), match.group("args"), match.group("name")
        schema: dict[str, Any] = {"type": "string"}
        if converter == "any":
            schema["enum"] = [value.strip() for value in (args or "").split(",")]
        elif converter == "id":
            schema["pattern"] = f"^{SEGMENT}$"
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _VARIABLE.sub(replace, rule), parameters


def _field_schema(field: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value = field.message_type.fields_by_name["value"]
        return {"type": "object", "additionalProperties": _single(value, schemas)}
    single = _single(field, schemas)
    return {"type": "array", "items": single} if field.is_repeated else single


def _single(field: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    if field.message_type is not None:
        return _message_ref(field.message_type, schemas)
    if field.enum_type is not None:
        return {"type": "string", "enum": [value.name for value in field.enum_type.values]}
    kind = field.type
    if kind == field.TYPE_BOOL:
        return {"type": "boolean"}
    if kind in (field.TYPE_DOUBLE, field.TYPE_FLOAT):
        return {"type": "number"}
    if kind in tuple(getattr(field, name) for name in _INT32):
        return {"type": "integer", "format": "int32"}
    if kind == field.TYPE_BYTES:
        return {"type": "string", "format": "byte"}
    if kind == field.TYPE_STRING:
        return {"type": "string"}
    return {"type": "string", "format": "int64"}


def _message_ref(descriptor: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    name = descriptor.full_name
    if name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[name])
    if name not in schemas:
        schemas[name] = {}
        schemas[name] = {
            "type": "object",
            "description": f"{name}, in proto3 JSON",
            "additionalProperties": False,
            "properties": {field.json_name: _field_schema(field, schemas) for field in descriptor.fields},
        }
    return {"$ref": f"#/components/schemas/{name}"}


_SUCCESS = {"application/json": {"type": "object"}, "text/html": {"type": "string"}, "text/*": {"type": "string"}}


def _query_parameters(field: str) -> list[dict[str, Any]]:
    """A bound field by its JSON name, and by its proto name where that is spelled otherwise."""
    camel = json_name(field)
    parameters = [{"name": camel, "in": "query", "required": False, "schema": {"type": "string"}}]
    if camel != field:
        parameters.append(
            {
                "name": field,
                "in": "query",
                "required": False,
                "description": f"{camel}, by its proto field name",
                "schema": {"type": "string"},
            }
        )
    return parameters


def _operation(route: Route, seen: dict[str, int], schemas: dict[str, Any]) -> dict[str, Any]:
    seen[route.summary] = seen.get(route.summary, 0) + 1
    count = seen[route.summary]
    operation: dict[str, Any] = {
        "operationId": route.summary if count == 1 else f"{route.summary}{count}",
        "summary": route.summary,
        "tags": [route.surface.value],
        "parameters": [parameter for field in route.query for parameter in _query_parameters(field)],
        "responses": {
            "200": {"description": "OK", "content": {route.media: {"schema": _SUCCESS[route.media]}}},
            "default": {"$ref": "#/components/responses/Error"},
        },
    }
    if route.permission:
        operation["x-iam-permission"] = route.permission
    if route.body:
        descriptor = wire.message_class(SCHEMA_VERSION, route.body).DESCRIPTOR
        body_schema = _message_ref(descriptor, schemas)
    elif "POST" in route.methods or "PATCH" in route.methods:
        body_schema = {"type": "object"}
    else:
        return operation
    operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": body_schema}}}
    return operation


def describe(routes: Iterable[Route]) -> dict[str, Any]:
    """The OpenAPI document of ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"google.rpc.Status": _STATUS}
    seen: dict[str, int] = {}
    for route in routes:
        template, parameters = path_of(route.rule)
        item = paths.setdefault(template, {"parameters": parameters})
        for method in route.methods:
            item[method.lower()] = _operation(route, seen, schemas)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "vertex-emulator",
            "version": "1",
            "description": "The Vertex AI persistent resource, custom job and operation methods the emulator "
            "serves, and its control API under /emulator/v1. Errors are google.rpc.Status.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "Error": {
                    "description": "google.rpc.Status",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}},
                }
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }


def openapi() -> Response:
    return reply(describe(current_extensions()["vertex_emulator_routes"].values()))
