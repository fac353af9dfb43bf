"""The whole state of an emulator as plain JSON data: what export, import and the store exchange.

A snapshot is one object::

    {"format": "vertex-emulator-state", "version": 1,
     "clock": {"now": 1767225600.0, "manual": true}, "ids": {"seed": 7, "counter": 3}, "seq": 12,
     "persistentResources": [...], "customJobs": [...], "operations": [...]}

Every kind registered in ``vertex_emulator.core.kinds`` has its collection here, in registration
order. Each record is its dataclass's fields, verbatim (times are epoch seconds), so nothing is lost and
nothing is written twice: the emulator's own records are the schema. What follows from other
records is not kept but rebuilt on reading: the event schedule from the records' ``next_at``, and
a resource's replica accounting (``holders``, ``queue``) from its jobs, the live ones placed on it
(``placement``) and the ones waiting for it (first in, first out, in creation order). So a
resource's record does not grow with its jobs, and the accounting of a snapshot cannot disagree
with its jobs. Reading checks every field's type, names, states, and that no pool would hold
more than its capacity, because a snapshot may be hand-edited and a bad one must be refused whole,
with the field to blame, rather than break the emulator later.
"""

from __future__ import annotations

import functools
import json
import math
import os
import types
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from vertex_emulator import names
from vertex_emulator.core.kinds import KINDS, collection_of
from vertex_emulator.domain import admission, specs
from vertex_emulator.domain.jobs import TERMINAL, CustomJob
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import ApiError, bad_field
from vertex_emulator.versions import VERSIONS

FORMAT = "vertex-emulator-state"
VERSION = 1

Stored = Any
"""A record of any registered kind."""
DERIVED = frozenset({"holders", "queue", "pool_hardware"})
"""Fields of a resource rebuilt from its jobs or its pools, never stored."""
COLLECTIONS = KINDS
"""The collections of a snapshot, in order (collection name -> its ``kinds.Kind``)."""
__all__ = ["collection_of"]


@dataclass
class State:
    """The state outside the records (clock, id source, sequence) and the records themselves."""

    now: float
    manual: bool
    seed: int
    counter: int
    seq: int
    records: list[Stored] = field(default_factory=list)


@functools.cache
def _field_names(kind: type[Stored]) -> tuple[str, ...]:
    return tuple(item.name for item in fields(kind) if item.name not in DERIVED)


@functools.cache
def _hints(kind: type[Stored]) -> dict[str, Any]:
    """Type hints of a record class; resolving them is slow, and a snapshot reads thousands."""
    return get_type_hints(kind)


@functools.cache
def verbatim(kind: type[Stored]) -> bool:
    """Whether a record of ``kind`` is stored as every one of its fields (it has no derived one, and
    slots: no attribute but its fields), so that a serialiser of dataclasses writes exactly ``dump``."""
    return hasattr(kind, "__slots__") and not DERIVED & {item.name for item in fields(kind)}


def dump(record: Stored) -> dict[str, Any]:
    """A record as JSON data, equal to what parsing its JSON gives (tuples are lists, a list of
    dataclasses, such as a tuning job's trials, their fields); it shares the record's containers,
    so serialise it before the record changes."""
    data = {name: getattr(record, name) for name in _field_names(type(record))}
    for name, value in data.items():
        if isinstance(value, tuple):
            data[name] = list(value)
        elif isinstance(value, list) and value and is_dataclass(value[0]):
            data[name] = [dump(item) for item in value]
    return data


def globals_json(state: State) -> dict[str, Any]:
    """Everything of a snapshot but its records."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "clock": {"now": state.now, "manual": state.manual},
        "ids": {"seed": state.seed, "counter": state.counter},
        "seq": state.seq,
    }


def to_json(state: State) -> dict[str, Any]:
    data = globals_json(state)
    for collection in KINDS:
        data[collection] = []
    for record in sorted(state.records, key=lambda record: record.seq):
        data[collection_of(record)].append(dump(record))
    return data


def from_json(data: Any) -> State:
    """A snapshot checked field by field; raises ``ApiError`` INVALID_ARGUMENT naming the field."""
    if not isinstance(data, dict):
        raise bad_field("snapshot", "A snapshot is a JSON object.")
    if data.get("format") != FORMAT:
        raise bad_field("format", f'"format" must be "{FORMAT}", not {data.get("format")!r}.')
    if data.get("version") != VERSION:
        raise bad_field(
            "version",
            f"This is a snapshot of layout version {data.get('version')!r}; this emulator reads version {VERSION}.",
        )
    known = {"format", "version", "clock", "ids", "seq", *KINDS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise bad_field(unknown[0], f'Unknown field "{unknown[0]}" in the snapshot.')
    clock = _object(data.get("clock"), "clock", {"now": float, "manual": bool})
    ids = _object(data.get("ids"), "ids", {"seed": int, "counter": int})
    seq = _check(data.get("seq"), int, "seq")
    for path, value in (("ids.counter", ids["counter"]), ("seq", seq)):
        if value < 0:
            raise bad_field(path, f"{path} must not be negative.")
    state = State(clock["now"], clock["manual"], ids["seed"], ids["counter"], seq)
    for collection, kind in KINDS.items():
        items = data.get(collection, [])
        if not isinstance(items, list):
            raise bad_field(collection, f"{collection} must be a list.")
        state.records += [_record(kind.record, item, f"{collection}[{index}]") for index, item in enumerate(items)]
    _check_consistency(state)
    return state


def _object(value: Any, path: str, shape: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(shape):
        raise bad_field(path, f"{path} must be an object with exactly {', '.join(shape)}.")
    return {key: _check(value[key], hint, f"{path}.{key}") for key, hint in shape.items()}


def _record(kind: type[Stored], data: Any, path: str) -> Stored:
    if not isinstance(data, dict):
        raise bad_field(path, f"{path} must be an object.")
    hints = _hints(kind)
    unknown = sorted(set(data) - set(_field_names(kind)))
    if unknown:
        raise bad_field(f"{path}.{unknown[0]}", f'Unknown field "{unknown[0]}" in {path}.')
    values = {}
    for item in fields(kind):
        if item.name in DERIVED:
            continue
        if item.name in data:
            values[item.name] = _check(data[item.name], hints[item.name], f"{path}.{item.name}")
        elif item.default is MISSING and item.default_factory is MISSING:
            raise bad_field(f"{path}.{item.name}", f"{path}.{item.name} is required.")
    try:
        return kind(**values)
    except (KeyError, TypeError, ValueError) as error:
        raise bad_field(path, f"{path} is not a valid {kind.__name__}: {error!r}.") from None


def _check(value: Any, hint: Any, path: str) -> Any:
    """``value`` if it has the type ``hint`` names (as JSON can carry it), else INVALID_ARGUMENT."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        where = _non_finite(value)
        if where is not None:
            raise bad_field(f"{path}{where}", f"{path}{where} must be a finite number: JSON has no NaN or infinity.")
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _check(value, next(arg for arg in args if arg is not type(None)), path)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    if is_dataclass(hint) and isinstance(value, dict):
        return _record(hint, value, path)
    if origin is dict and isinstance(value, dict):
        return {
            _check(key, args[0], f"{path} key"): _check(item, args[1], f"{path}.{key}") for key, item in value.items()
        }
    if origin in (list, tuple) and isinstance(value, list):
        items = [_check(item, args[0], f"{path}[{index}]") for index, item in enumerate(value)]
        return tuple(items) if origin is tuple else items
    raise bad_field(path, f"{path} must be {_describe(hint)}, not {value!r}.")


def _non_finite(value: Any) -> str | None:
    """Where in a free-form value (``Any``) a NaN or an infinity is, as a path suffix, or None.

    Python's JSON reader accepts them, JSON does not: the data dir's writer (orjson) would write
    null, and a restart would not give back what was imported."""
    if type(value) is float:
        return None if math.isfinite(value) else ""
    if type(value) is dict:
        for key, item in value.items():
            found = _non_finite(item)
            if found is not None:
                return f".{key}{found}"
    elif type(value) is list:
        for index, item in enumerate(value):
            found = _non_finite(item)
            if found is not None:
                return f"[{index}]{found}"
    return None


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join("null" if arg is type(None) else _describe(arg) for arg in get_args(hint))
    if origin is dict:
        return "an object"
    if origin in (list, tuple):
        return "a list"
    return {float: "a finite number", int: "an integer", str: "a string", bool: "true or false"}.get(hint, str(hint))


def _check_consistency(state: State) -> None:
    seen: set[str] = set()
    seqs: set[int] = set()
    for record in state.records:
        collection = collection_of(record)
        where = f"{collection}[{record.name}]"
        try:
            names.scope_of(record.name)
        except ApiError:
            raise bad_field(f"{where}.name", f"{record.name!r} is not a valid resource name.") from None
        if names.collection_of(record.name) != collection:
            raise bad_field(f"{where}.name", f"{record.name!r} is not the name of one of the {collection}.")
        states = KINDS[collection].states
        if states and record.state not in states:
            raise bad_field(f"{where}.state", f"{record.state!r} is not a state of the {collection}.")
        if record.version not in VERSIONS:
            raise bad_field(f"{where}.version", f"version must be one of {VERSIONS}, not {record.version!r}.")
        if record.name in seen:
            raise bad_field(f"{where}.name", f"{record.name!r} appears twice in the snapshot.")
        if record.seq in seqs or not 0 < record.seq <= state.seq:
            raise bad_field(f"{where}.seq", f"seq {record.seq} is repeated or not between 1 and seq ({state.seq}).")
        seen.add(record.name)
        seqs.add(record.seq)
    _rebuild_accounting(state)


def _rebuild_accounting(state: State) -> None:
    """Holders and queues from the jobs; each job's resource and pools must exist, and fit."""
    owners = {record.name: record for record in state.records if isinstance(record, PersistentResource)}
    for job in sorted((r for r in state.records if isinstance(r, CustomJob)), key=lambda job: job.seq):
        if job.resource is None or job.state in TERMINAL or not (job.waiting or any(job.placement)):
            continue
        where = f"customJobs[{job.name}]"
        resource = owners.get(job.resource)
        if resource is None:
            raise bad_field(f"{where}.resource", f"The job holds or awaits replicas of {job.resource!r}, not here.")
        if job.waiting:
            resource.queue.append(job.name)
            continue
        held = admission.held_by(job.spec, job.placement)
        if not set(held) <= set(resource.holders):
            raise bad_field(f"{where}.placement", f"{job.placement} names pools {job.resource!r} does not have.")
        resource.hold(job.name, held)
    for resource in owners.values():
        where = f"persistentResources[{resource.name}]"
        pool_ids = sorted(resource.holders)
        if sorted(resource.provisioned) != pool_ids:
            raise bad_field(f"{where}.provisioned", f"provisioned must have exactly the pools {pool_ids}.")
        for pool in resource.pools:
            if resource.used(pool["id"]) > specs.pool_capacity(pool):
                raise bad_field(
                    f"{where}.resourcePools.{pool['id']}",
                    f"Pool {pool['id']} would have {resource.used(pool['id'])} replicas held by its jobs, "
                    "more than its capacity.",
                )


class SnapshotError(Exception):
    """A snapshot file that cannot be imported: names the file and the reason."""


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A snapshot file's data, checked (``serve --import``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SnapshotError(f"{path}: cannot be read: {error}") from None
    try:
        from_json(data)
    except ApiError as error:
        fields = ", ".join(violation.field for violation in error.violations)
        raise SnapshotError(f"{path}: field {fields}: {error.message}") from None
    return data


def write_file(path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    """Write a snapshot whole or not at all: a crash mid-write leaves the previous file (``--export-on-exit``)."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, target)
