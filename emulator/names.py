"""Resource names of the API: parsing, building, and the ids the server assigns.

Every name is built and parsed here. A record kind's collection (``persistentResources``,
``customJobs``, and whatever a new capability adds, e.g. ``trainingPipelines``) is registered
with :func:`register_collection`; the parsers then accept ``projects/P/locations/L/COLLECTION/ID``
and the operations under it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from vertex_emulator.errors import bad_field

SEGMENT = r"[^/:]+"
OPERATIONS = "operations"
_PARENT = re.compile(rf"^projects/({SEGMENT})/locations/({SEGMENT})$")
_COLLECTIONS: list[str] = []
_patterns: tuple[re.Pattern[str], re.Pattern[str]] | None = None

Scope = tuple[str, str]


def _compiled() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns of a record's name and of an operation's, over every registered collection.

    Compiled on first use after a registration: the collections register as their modules are
    imported, and compiling both patterns anew at each of the five cost ``serve``'s start 3 ms.
    """
    global _patterns
    if _patterns is None:
        kinds = "|".join(map(re.escape, _COLLECTIONS))
        _patterns = (
            re.compile(rf"^projects/({SEGMENT})/locations/({SEGMENT})/({kinds})/({SEGMENT})$"),
            re.compile(
                rf"^projects/({SEGMENT})/locations/({SEGMENT})/(?:(?:{kinds})/{SEGMENT}/)?{OPERATIONS}/({SEGMENT})$"
            ),
        )
    return _patterns


def register_collection(collection: str) -> None:
    """Let names of ``collection`` (and of operations under its records) parse."""
    global _patterns
    if collection not in _COLLECTIONS:
        _COLLECTIONS.append(collection)
        _patterns = None


register_collection("persistentResources")
register_collection("customJobs")


@functools.lru_cache(maxsize=1024)
def scope_of_parent(parent: str) -> Scope:
    """The (project, location) of a location name; a suite names few, and every create and list
    parses one (a name that does not parse raises, which is not cached)."""
    match = _PARENT.match(parent)
    if not match:
        raise bad_field("parent", f'"{parent}" is not a location name (projects/PROJECT/locations/LOCATION).')
    return match.group(1), match.group(2)


def scope_of(name: str) -> Scope:
    """The (project, location) an object's name lives in."""
    record, operation = _compiled()
    match = record.match(name) or operation.match(name)
    if not match:
        raise bad_field("name", f'"{name}" is not a valid resource name.')
    return match.group(1), match.group(2)


def parse(name: str) -> tuple[Scope, str] | None:
    """The scope and the collection (``operations`` for any operation) of a record's name, or None."""
    record, operation = _compiled()
    match = record.match(name)
    if match:
        return (match.group(1), match.group(2)), match.group(3)
    match = operation.match(name)
    return ((match.group(1), match.group(2)), OPERATIONS) if match else None


def collection_of(name: str) -> str | None:
    """The collection a record's name belongs to (``operations`` for any operation), or None."""
    record, operation = _compiled()
    if operation.match(name):
        return OPERATIONS
    match = record.match(name)
    return match.group(3) if match else None


def parent_of(scope: Scope) -> str:
    return f"projects/{scope[0]}/locations/{scope[1]}"


def parent(project: str, location: str) -> str:
    return parent_of((project, location))


def child(parent_name: str, collection: str, object_id: str) -> str:
    """``PARENT/COLLECTION/ID``: a record's name, or an operation's under ``parent_name``."""
    return f"{parent_name}/{collection}/{object_id}"


def last_id(name: str) -> str:
    """The last segment of a name: a record's or an operation's own id."""
    return name.rsplit("/", 1)[1]


def short_operation(name: str) -> str | None:
    """For ``projects/P/locations/L/operations/ID`` (how gcloud names any operation), the suffix
    ``/operations/ID`` every operation of that id ends with; None for a full name."""
    match = _compiled()[1].match(name)
    if match and name == child(parent(match.group(1), match.group(2)), OPERATIONS, match.group(3)):
        return f"/{OPERATIONS}/{match.group(3)}"
    return None


def split_child(name: str, collection: str) -> tuple[str, str] | None:
    """``(parent, id)`` of a record's name in ``collection``, or None when it is not one."""
    match = _compiled()[0].match(name)
    if not match or match.group(3) != collection:
        return None
    return parent(match.group(1), match.group(2)), match.group(4)


@dataclass
class IdSource:
    """Numeric ids like the service's, reproducible for a seed: id n is a hash of (seed, n)."""

    seed: int
    counter: int = 0

    def next(self) -> str:
        self.counter += 1
        digest = hashlib.blake2b(f"{self.seed}:{self.counter}".encode(), digest_size=8).digest()
        return str(10**18 + int.from_bytes(digest, "big") % (9 * 10**18))
