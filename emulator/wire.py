"""JSON on the wire <-> canonical dicts, through the official proto types.

The request body is parsed by the very messages ``google-cloud-aiplatform`` ships
(``google.cloud.aiplatform_v1.types`` / ``..._v1beta1.types``), so field names, enum names and
numbers, int64-as-string and unknown-field rejection are the real ones, not a schema written
twice. What comes out is the canonical proto3-JSON dict the domain works on: camelCase keys, enum
names, int64 as strings, defaults omitted.

The official types take seconds to import (their package imports every service client), so the
classes come from their descriptors, cached per installed version (``vertex_emulator.descriptors``),
and load on first use or in the background (``warm``), never on the way to serving the first
request.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from vertex_emulator import canonical, descriptors
from vertex_emulator.domain.specs import snake
from vertex_emulator.errors import ApiError, bad_field
from vertex_emulator.versions import VERSIONS

REQUEST_FIELD = {
    "PersistentResource": "persistent_resource",
    "CustomJob": "custom_job",
    "HyperparameterTuningJob": "hyperparameter_tuning_job",
}


def _request_field(message: str) -> str:
    """The request field a message's errors name (``custom_job``), computed only for an error."""
    return REQUEST_FIELD.get(message) or snake(message)


@functools.cache
def message_class(version: str, message: str) -> Any:
    """The raw protobuf class of ``google.cloud.aiplatform.{version}.{message}``."""
    return descriptors.message_class(version, message)


def warm() -> None:
    """Build the official message classes now, so that the first request does not wait for them.

    ``serve`` calls it in a background thread once it is listening: start-up stays fast, and the
    classes are usually built before the first create arrives.
    """
    _json_format()
    for version in VERSIONS:
        for message in REQUEST_FIELD:
            message_class(version, message)


def type_url(version: str, message: str) -> str:
    """The exact ``@type`` of a message of an API version, as api_core unpacks it."""
    if "." in message:
        return f"type.googleapis.com/{message}"
    return f"type.googleapis.com/google.cloud.aiplatform.{version}.{message}"


def _json_format() -> Any:
    from google.protobuf import json_format

    return json_format


def parse(version: str, message: str, body: Any, path: str | None = None) -> dict[str, Any]:
    """Validate ``body`` as ``message`` of ``version`` and return its canonical dict.

    The common shapes are made in one walk (``canonical``), anything else by protobuf's parser,
    which alone words refusals.

    ``path`` is where the message sits when it is not a request's body (a CustomJobSpec inside a
    pipeline's ``training_task_inputs``): errors name their field from there.
    """
    if not isinstance(body, Mapping):
        raise bad_field(path or _request_field(message), "Invalid JSON payload received. Expected an object.")
    cls = message_class(version, message)
    made = canonical.canonical(cls.DESCRIPTOR, body)
    if made is not None:
        return made
    where = path or _request_field(message)
    json_format = _json_format()
    pb = cls()
    try:
        json_format.ParseDict(body, pb)
    except (json_format.ParseError, RecursionError, ValueError, TypeError) as error:
        raise _explain(cls, body, where) or bad_field(where, f"Invalid JSON payload received. {error}") from None
    return json_format.MessageToDict(pb)


def parse_struct(version: str, message: str, value: Any, path: str) -> dict[str, Any]:
    """Validate a message held in a ``google.protobuf.Value`` (a pipeline's ``training_task_inputs``).

    A Struct has only doubles, so an integer arrives as ``1.0``: protobuf's parser takes an integral
    float for an integer field and refuses a fractional one, but truncates a fractional enum number
    (``1.5`` would become 1), so those are refused here first, with the field's path.
    """
    if isinstance(value, Mapping):
        _refuse_fractional_enums(message_class(version, message).DESCRIPTOR, value, path)
    return parse(version, message, value, path)


def _refuse_fractional_enums(descriptor: Any, body: Mapping[str, Any], path: str) -> None:
    for key, value in body.items():
        field = descriptor.fields_by_camelcase_name.get(key) or descriptor.fields_by_name.get(key)
        if field is None:
            continue
        here = f"{path}.{field.name}"
        repeated = field.is_repeated and isinstance(value, list)
        for index, item in enumerate(value if repeated else [value]):
            where = f"{here}[{index}]" if repeated else here
            if field.enum_type is not None and isinstance(item, float) and not item.is_integer():
                raise bad_field(where, f"Invalid value at '{where}' ({field.enum_type.full_name}), {item}")
            nested = field.message_type
            if (
                nested is not None
                and isinstance(item, Mapping)
                and not nested.GetOptions().map_entry
                and not nested.full_name.startswith("google.protobuf.")
            ):
                _refuse_fractional_enums(nested, item, where)


def parse_status(body: Any, path: str) -> dict[str, Any]:
    """Validate ``body`` as a ``google.rpc.Status`` (details must be messages protobuf knows), as stored errors are."""
    from google.rpc import error_details_pb2, status_pb2  # noqa: F401 - registers the detail types

    json_format = _json_format()
    if not isinstance(body, Mapping):
        raise bad_field(path, f"Invalid value at '{path}', expected a google.rpc.Status object.")
    pb = status_pb2.Status()
    try:
        json_format.ParseDict(body, pb)
    except (json_format.ParseError, RecursionError, ValueError, TypeError) as error:
        raise bad_field(path, f"Invalid value at '{path}' (google.rpc.Status), {error}") from None
    return json_format.MessageToDict(pb)


def convert(version: str, message: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Re-express a canonical dict in another API version, dropping fields that version lacks."""
    json_format = _json_format()
    pb = message_class(version, message)()
    json_format.ParseDict(data, pb, ignore_unknown_fields=True)
    return json_format.MessageToDict(pb)


def _explain(cls: Any, body: Any, path: str) -> ApiError | None:
    """Find the first field protobuf refuses, and say so as Google's front end does.

    Only runs once a parse has failed, so the fast path stays one ``ParseDict``. Each field is
    tried alone with protobuf's own parser, so the rules stay protobuf's.
    """
    json_format = _json_format()
    if not isinstance(body, Mapping):
        return bad_field(path, f"Invalid value at '{path}', expected an object.")
    descriptor = cls.DESCRIPTOR
    for key, value in body.items():
        field = descriptor.fields_by_camelcase_name.get(key) or descriptor.fields_by_name.get(key)
        if field is None:
            return bad_field(
                path,
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field.",
            )
        here = f"{path}.{field.name}"
        try:
            json_format.ParseDict({key: value}, cls())
            continue
        except (json_format.ParseError, RecursionError, ValueError, TypeError) as error:
            reason = str(error).split(" at ", 1)[0].rsplit(": ", 1)[-1]
        nested = _explain_nested(field, value, here)
        return nested or bad_field(here, f"Invalid value at '{here}' ({_type_name(field)}), {reason}")
    return None


def _explain_nested(field: Any, value: Any, path: str) -> ApiError | None:
    if field.message_type is None or field.message_type.GetOptions().map_entry:
        return None
    if field.message_type.full_name.startswith("google.protobuf."):
        return None
    sub = _message_for(field)
    if field.is_repeated:
        if not isinstance(value, list):
            return bad_field(path, f"Invalid value at '{path}', expected a list.")
        for index, item in enumerate(value):
            found = _explain(sub, item, f"{path}[{index}]")
            if found:
                return found
        return None
    return _explain(sub, value, path)


def _message_for(field: Any) -> Any:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(field.message_type)


def _type_name(field: Any) -> str:
    if field.message_type is not None:
        return field.message_type.full_name
    if field.enum_type is not None:
        return field.enum_type.full_name
    names = {
        field.TYPE_INT64: "TYPE_INT64",
        field.TYPE_INT32: "TYPE_INT32",
        field.TYPE_STRING: "TYPE_STRING",
        field.TYPE_BOOL: "TYPE_BOOL",
        field.TYPE_DOUBLE: "TYPE_DOUBLE",
        field.TYPE_FLOAT: "TYPE_FLOAT",
        field.TYPE_UINT64: "TYPE_UINT64",
        field.TYPE_UINT32: "TYPE_UINT32",
        field.TYPE_BYTES: "TYPE_BYTES",
    }
    return names.get(field.type, "value")
