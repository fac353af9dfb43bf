"""Records by name that remember which names a call reached, so persistence writes only those.

Every change the service makes to a record starts with a lookup of that record by name, or with
storing or removing it; the names reached that way are therefore a superset of the records a call
changed. The store (``vertex_emulator.store``) compares just those with what it last wrote, which keeps a
write proportional to the call, not to the state. Code that changes a record it found any other
way (iterating ``values()``) must look it up by name instead, or the change is not persisted.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Tracked(dict[str, T], Generic[T]):
    """A dict that adds every name looked up, stored or removed to a shared ``touched`` set."""

    __slots__ = ("touched",)

    def __init__(self, touched: set[str]) -> None:
        super().__init__()
        self.touched = touched

    def get(self, name: str, default: T | None = None) -> T | None:  # type: ignore[override]
        self.touched.add(name)
        return super().get(name, default)

    def __getitem__(self, name: str) -> T:
        self.touched.add(name)
        return super().__getitem__(name)

    def __setitem__(self, name: str, value: T) -> None:
        self.touched.add(name)
        super().__setitem__(name, value)

    def __delitem__(self, name: str) -> None:
        self.touched.add(name)
        super().__delitem__(name)

    def pop(self, name: str, *default: T) -> T:  # type: ignore[override]
        self.touched.add(name)
        return super().pop(name, *default)
