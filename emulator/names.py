"""Resource names of the API: parsing, building, and the ids the server assigns."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from vertex_emulator.errors import bad_field

SEGMENT = r"[^/:]+"
_PARENT = re.compile(rf"^projects/({SEGMENT})/locations/({SEGMENT})$")
_CHILD = re.compile(rf"^projects/({SEGMENT})/locations/({SEGMENT})/(persistentResources|customJobs)/({SEGMENT})$")
_OPERATION = re.compile(
    rf"^projects/({SEGMENT})/locations/({SEGMENT})/(?:(?:persistentResources|customJobs)/{SEGMENT}/)?operations/({SEGMENT})$"
)

Scope = tuple[str, str]


def scope_of_parent(parent: str) -> Scope:
    match = _PARENT.match(parent)
    if not match:
        raise bad_field("parent", f'"{parent}" is not a location name (projects/PROJECT/locations/LOCATION).')
    return match.group(1), match.group(2)


def scope_of(name: str) -> Scope:
    """The (project, location) an object's name lives in."""
    match = _CHILD.match(name) or _OPERATION.match(name)
    if not match:
        raise bad_field("name", f'"{name}" is not a valid resource name.')
    return match.group(1), match.group(2)


def parent_of(scope: Scope) -> str:
    return f"projects/{scope[0]}/locations/{scope[1]}"


@dataclass
class IdSource:
    """Numeric ids like the service's, reproducible for a seed: id n is a hash of (seed, n)."""

    seed: int
    counter: int = 0

    def next(self) -> str:
        self.counter += 1
        digest = hashlib.blake2b(f"{self.seed}:{self.counter}".encode(), digest_size=8).digest()
        return str(10**18 + int.from_bytes(digest, "big") % (9 * 10**18))
