"""The records of each project and location, for every registered kind, and what changed.

Records of one scope are kept by collection (``kinds.KINDS``), by name and in creation order
(``seq``) for listing and paging. Persistence is explicit: whoever changes a record calls
:meth:`Records.mark` (adding and removing mark by themselves), and the store writes just the
marked names; nothing is inferred from lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from vertex_emulator import names
from vertex_emulator.core import kinds
from vertex_emulator.domain.paging import Ordered, page_size, query_key
from vertex_emulator.errors import not_found

R = TypeVar("R")


class Scope:
    """Everything of one project and location, by collection."""

    __slots__ = ("by_name", "order")

    def __init__(self) -> None:
        self.by_name: dict[str, dict[str, Any]] = {collection: {} for collection in kinds.KINDS}
        self.order: dict[str, Ordered[Any]] = {collection: Ordered() for collection in kinds.KINDS}

    def of(self, collection: str) -> dict[str, Any]:
        """The records of one collection by name (a kind registered after the scope was made, too)."""
        try:
            return self.by_name[collection]
        except KeyError:
            self.order[collection] = Ordered()
            found = self.by_name[collection] = {}
            return found

    def names(self) -> list[str]:
        return [name for records in self.by_name.values() for name in records]

    def empty(self) -> bool:
        return not any(self.by_name.values())


class Records:
    def __init__(self, changed: set[str] | None = None) -> None:
        self.scopes: dict[names.Scope, Scope] = {}
        self.named: dict[str, Any] = {}
        """Every record by its full name: what each lookup by name reads (a create looks up four,
        a get one), without parsing the name into its scope and collection first."""
        self.changed: set[str] = set() if changed is None else changed
        """Names of the records added, removed or marked since the store last took them."""

    def scope(self, scope: names.Scope) -> Scope:
        found = self.scopes.get(scope)
        if found is None:
            found = self.scopes[scope] = Scope()
        return found

    def find(self, name: str, record_type: type[R] | None = None) -> R | None:
        """The record of that name (of that type, when given), or None."""
        found = self.named.get(name)
        if record_type is not None and not isinstance(found, record_type):
            return None
        return found

    def get(self, name: str, record_type: type[R], label: str) -> R:
        """The record of that name, or NOT_FOUND naming it as a ``label``."""
        found = self.find(name, record_type)
        if found is None:
            raise not_found(label, name)
        return found

    def elsewhere(self, name: str) -> list[str]:
        """Names of records with the same collection, location and id as ``name`` under other projects."""
        parsed = names.parse(name)
        if parsed is None:
            return []
        (project, location), collection = parsed
        object_id = names.last_id(name)
        found = []
        for other, records in self.scopes.items():
            candidate = names.child(names.parent(other[0], location), collection, object_id)
            if other[1] == location and other[0] != project and candidate in records.of(collection):
                found.append(candidate)
        return sorted(found)

    def new_name(self, parent: str, collection: str, next_id: Callable[[], str]) -> str:
        """``parent/collection/ID`` with the next id that names nothing yet (a reseed repeats ids)."""
        while True:
            name = names.child(parent, collection, next_id())
            if self.find(name) is None:
                return name

    def add(self, record: Any) -> None:
        collection = kinds.collection_of(record)
        scope = self.scope(names.scope_of(record.name))
        scope.of(collection)[record.name] = record
        scope.order[collection].add(record.seq, record)
        self.named[record.name] = record
        self.changed.add(record.name)

    def remove(self, record: Any) -> None:
        collection = kinds.collection_of(record)
        scope = self.scope(names.scope_of(record.name))
        del scope.of(collection)[record.name]
        scope.order[collection].remove(record.seq)
        del self.named[record.name]
        self.changed.add(record.name)

    def mark(self, record: Any) -> None:
        """Note a record as changed, for persistence."""
        self.changed.add(record.name)

    def page(
        self,
        scope: names.Scope,
        collection: str,
        query: tuple[str, ...],
        size: str | None,
        token: str | None,
        keep: Callable[[Any], bool] | None = None,
    ) -> tuple[list[Any], str]:
        """One list page of a collection of a scope, newest first; ``query`` (the parent and any
        filter) is what the page token is bound to."""
        records = self.scope(scope)
        records.of(collection)
        return records.order[collection].page(query_key(collection, *query), page_size(size), token, keep)

    def all(self) -> Iterator[Any]:
        """Every record, by scope and kind: for reading the whole state."""
        for scope in self.scopes.values():
            for records in scope.by_name.values():
                yield from records.values()

    def drop(self, project: str | None) -> list[str]:
        """Forget every scope (or those of one project); returns the names forgotten."""
        doomed = [key for key in self.scopes if project is None or key[0] == project]
        gone = [name for key in doomed for name in self.scopes.pop(key).names()]
        for name in gone:
            del self.named[name]
        self.changed.update(gone)
        return gone
