"""The canonical proto3-JSON dict of a request body in one walk, over the official descriptors.

``wire.parse`` validates a body with protobuf's own ``json_format.ParseDict`` into the official
message and reads it back with ``MessageToDict``: exact, and two pure-Python walks that were a
third of an in-process create (README, Performance). This module makes the same dict in one walk
for the shapes requests are made of (messages, repeated fields, string maps, strings, booleans,
integers, doubles, enums, well-known types through ``json_format`` itself), reading every field
name, type, enum and oneof from the descriptor the official package ships.

It never decides a refusal: anything it is not certain of (an unknown or repeated key, a null, a
value of another type or range, a float for an integer, a number or an unknown name for an enum,
two members of a oneof, bytes, 32-bit floats) makes it answer None, and ``wire.parse`` goes the
exact way, whose errors are protobuf's. ``tests/test_canonical.py`` checks, over generated bodies
valid and not, that whenever this answers, protobuf accepts the body and reads it back to the
very same dict.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor, FieldDescriptor

Convert = Callable[[Any], Any]
"""A value's canonical JSON; raises :class:`Unsure` when only protobuf may decide."""


class Unsure(Exception):
    """The body has a shape this module leaves to protobuf."""


DIGITS = re.compile(r"-?[0-9]+")


def canonical(descriptor: Descriptor, body: dict[str, Any]) -> dict[str, Any] | None:
    """``MessageToDict(ParseDict(body))`` for a message of ``descriptor``, or None to let protobuf decide."""
    try:
        return _plan(descriptor)(body)
    except (Unsure, RecursionError):
        return None


class _Field:
    """How one field's value becomes canonical: its JSON key, its converter, when it is written."""

    __slots__ = ("alias", "convert", "default", "key", "number", "oneof", "presence")

    def __init__(self, field: FieldDescriptor) -> None:
        self.key = field.json_name
        self.alias: str | None = None
        """The field's other spelling (``display_name`` for ``displayName``), when it has one."""
        self.number = field.number
        self.oneof = field.containing_oneof.name if field.containing_oneof is not None else None
        self.presence = field.has_presence
        self.convert, self.default = _converter(field)


@functools.cache
def _plan(descriptor: Descriptor) -> Convert:
    """The converter of a message: a dict in, its canonical dict out (fields in number order).

    A body names each field once, in either spelling, and the clients write fields in number
    order: the walk checks for the other spelling only on fields that have one, and sorts only
    a body that came in another order.
    """
    fields: dict[str, _Field] = {}
    for field in descriptor.fields:
        plan = _Field(field)
        fields[field.json_name] = plan
        fields.setdefault(field.name, plan)
    for spelling, plan in fields.items():
        if spelling != plan.key:
            plan.alias = spelling
    numbers = {plan.key: plan.number for plan in fields.values()}

    def convert(body: Any) -> dict[str, Any]:
        if type(body) is not dict:
            raise Unsure
        written: dict[str, Any] = {}
        oneofs: set[str] = set()
        last = 0
        ordered = True
        for key, value in body.items():
            field = fields.get(key)
            if field is None or value is None:
                raise Unsure
            if field.alias is not None and (field.alias if key == field.key else field.key) in body:
                raise Unsure  # both spellings of one field
            if field.oneof is not None:
                if field.oneof in oneofs:
                    raise Unsure
                oneofs.add(field.oneof)
            converted = field.convert(value)
            if field.presence or converted != field.default:
                ordered = ordered and field.number > last
                last = field.number
                written[field.key] = converted
        if ordered:
            return written
        return dict(sorted(written.items(), key=lambda item: numbers[item[0]]))

    return convert


def _converter(field: FieldDescriptor) -> tuple[Convert, Any]:
    """A field's converter and the canonical value that is not written (``_EMPTY`` for repeated and maps)."""
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return _map(field.message_type), _EMPTY
    single, default = _single(field)
    if field.is_repeated:
        return _repeated(single), _EMPTY
    return single, default


_EMPTY = object()
"""Stands for "an empty list or map": one that converts to nothing is left out."""


def _repeated(item: Convert) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise Unsure
        return [item(element) for element in value] or _EMPTY

    return convert


def _map(entry: Descriptor) -> Convert:
    key_field, value_field = entry.fields_by_name["key"], entry.fields_by_name["value"]
    if key_field.type != key_field.TYPE_STRING:
        return _unsure
    value, _ = _single(value_field)

    def convert(mapping: Any) -> Any:
        if type(mapping) is not dict:
            raise Unsure
        converted = {}
        for key, item in mapping.items():
            if item is None:
                raise Unsure
            converted[_string(key)] = value(item)
        return converted or _EMPTY

    return convert


def _single(field: FieldDescriptor) -> tuple[Convert, Any]:
    """The converter of one value of ``field`` (an element, for a repeated field) and its default."""
    kind = field.type
    if kind == field.TYPE_MESSAGE:
        message = field.message_type
        if message.full_name.startswith("google.protobuf."):
            return _well_known(message), None
        return _Nested(message), None
    if kind == field.TYPE_ENUM:
        if field.enum_type.full_name == "google.protobuf.NullValue":
            return _unsure, None
        zero = field.enum_type.values_by_number.get(0)
        return _enum(field), zero.name if zero is not None else None
    if kind == field.TYPE_STRING:
        return _string, ""
    if kind == field.TYPE_BOOL:
        return _bool, False
    if kind == field.TYPE_DOUBLE:
        return _double, 0.0
    bounds = _integer_bounds(field)
    if bounds is not None:
        return _integer(*bounds), "0" if bounds[2] else 0
    return _unsure, None


def _integer_bounds(field: FieldDescriptor) -> tuple[int, int, bool] | None:
    """An integer field's lowest and highest value, and whether proto3 JSON writes it as a string
    (the 64-bit types); None for any other type."""
    kind = field.type
    if kind in (field.TYPE_INT32, field.TYPE_SINT32, field.TYPE_SFIXED32):
        return -(2**31), 2**31 - 1, False
    if kind in (field.TYPE_UINT32, field.TYPE_FIXED32):
        return 0, 2**32 - 1, False
    if kind in (field.TYPE_INT64, field.TYPE_SINT64, field.TYPE_SFIXED64):
        return -(2**63), 2**63 - 1, True
    if kind in (field.TYPE_UINT64, field.TYPE_FIXED64):
        return 0, 2**64 - 1, True
    return None


class _Nested:
    """A message field's converter, planned on first use (messages may contain themselves) and
    kept from then on."""

    __slots__ = ("message", "plan")

    def __init__(self, message: Descriptor) -> None:
        self.message = message
        self.plan: Convert | None = None

    def __call__(self, value: Any) -> Any:
        if self.plan is None:
            self.plan = _plan(self.message)
        return self.plan(value)


def _unsure(value: Any) -> Any:
    raise Unsure


def _string(value: Any) -> str:
    if type(value) is not str:
        raise Unsure
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Unsure from None
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise Unsure
    return value


def _double(value: Any) -> float:
    if type(value) is int:
        value = float(value)
    if type(value) is not float or not math.isfinite(value) or (value == 0 and math.copysign(1, value) < 0):
        raise Unsure
    return value


def _integer(lowest: int, highest: int, as_string: bool) -> Convert:
    def convert(value: Any) -> int | str:
        if type(value) is str and DIGITS.fullmatch(value):
            value = int(value)
        if type(value) is not int or not lowest <= value <= highest:
            raise Unsure
        return str(value) if as_string else value

    return convert


def _enum(field: FieldDescriptor) -> Convert:
    """By name or by number (the REST clients send numbers); the canonical name is the number's first."""
    numbers = field.enum_type.values_by_number
    names: dict[str | int, str] = {number: value.name for number, value in numbers.items()}
    names.update({name: numbers[value.number].name for name, value in field.enum_type.values_by_name.items()})

    def convert(value: Any) -> str:
        if type(value) not in (str, int) or value not in names:
            raise Unsure
        return names[value]

    return convert


def _well_known(message: Descriptor) -> Convert:
    """Duration, Timestamp, Struct, Value and the other ``google.protobuf`` types, by protobuf itself."""
    from google.protobuf import json_format, message_factory

    cls = message_factory.GetMessageClass(message)

    def convert(value: Any) -> Any:
        pb = cls()
        try:
            json_format.ParseDict(value, pb)
            return json_format.MessageToDict(pb)
        except (json_format.ParseError, ValueError, TypeError, KeyError):
            raise Unsure from None

    return convert
