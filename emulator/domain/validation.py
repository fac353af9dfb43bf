"""Field rules shared by the messages: ids, labels, display names, output-only fields."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from vertex_emulator.errors import bad_field

RESOURCE_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_LABEL_KEY = re.compile(r"^[\w-]{1,63}$", re.UNICODE)
_LABEL_VALUE = re.compile(r"^[\w-]{0,63}$", re.UNICODE)
MAX_DISPLAY_NAME = 128
MAX_LABELS = 64


def strip(spec: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Drop output-only fields: the service accepts them on input (describe output) and ignores them."""
    for name in fields:
        spec.pop(name, None)
    return spec


def check_display_name(spec: Mapping[str, Any], *, required: bool) -> None:
    name = spec.get("displayName", "")
    if required and not name:
        raise bad_field("display_name", "display_name is required.")
    if len(name) > MAX_DISPLAY_NAME:
        raise bad_field("display_name", f"display_name is longer than {MAX_DISPLAY_NAME} characters.")


def check_labels(spec: Mapping[str, Any]) -> None:
    """Label rules of the Vertex AI resources: ≤64 labels, keys start with a lowercase letter."""
    labels = spec.get("labels", {})
    if len(labels) > MAX_LABELS:
        raise bad_field("labels", f"At most {MAX_LABELS} labels are allowed.")
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not key[0].islower() or key != key.lower():
            raise bad_field(
                f"labels.{key}",
                f'Label key "{key}" must start with a lowercase letter and hold at most 63 lowercase '
                "letters, digits, underscores or dashes.",
            )
        if not _LABEL_VALUE.match(value) or value != value.lower():
            raise bad_field(
                f"labels.{key}",
                f'Label value "{value}" may hold at most 63 lowercase letters, digits, underscores or dashes.',
            )


def check_resource_id(resource_id: str, field: str) -> None:
    if not RESOURCE_ID.match(resource_id):
        raise bad_field(
            field,
            f'{field} "{resource_id}" is invalid: it must match /^[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$/ '
            "(at most 63 characters, lowercase letters, digits and dashes, starting with a letter).",
        )


def to_int(value: Any, field: str) -> int:
    """int64 fields arrive as strings; the canonical form already checked they are integers."""
    try:
        return int(value or 0)
    except (TypeError, ValueError) as error:
        raise bad_field(field, f"{field} must be an integer.") from error


def copy_json(data: Any) -> Any:
    """A copy of JSON data (dicts, lists, scalars), so a call never keeps or changes its caller's
    body; several times faster than ``copy.deepcopy``, which a create pays on every call."""
    if isinstance(data, dict):
        return {key: copy_json(value) if isinstance(value, dict | list) else value for key, value in data.items()}
    if isinstance(data, list):
        return [copy_json(value) if isinstance(value, dict | list) else value for value in data]
    return data
