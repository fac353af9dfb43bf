"""The jobs waiting for a resource's replicas, first in, first out, and which of them may start now.

A resource owns its queue. Each entry keeps the replicas its job could want of each pool (read
off the job's hardware once: a pool's hardware never changes), so the cache goes with the entry
when the job leaves the queue, is cancelled, or its resource is deleted or forgotten. This is the
one implementation of "which queued jobs may start now" (:meth:`Queue.admissions`) and "which
pools have jobs queued ahead" (:meth:`Queue.blocked`); the service and the overview both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from vertex_emulator.domain import admission
from vertex_emulator.errors import ApiError

FindSpec = Callable[[str], Mapping[str, Any] | None]
"""The spec of a queued job that is still waiting, or None when it is gone or has ended."""


class Queue:
    __slots__ = ("_entries",)

    def __init__(self, queued: Iterable[str] = ()) -> None:
        self._entries: dict[str, dict[str, int] | None] = dict.fromkeys(queued)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Queue) and list(self._entries) == list(other._entries)

    def __repr__(self) -> str:
        return f"Queue({list(self._entries)!r})"

    def append(self, name: str) -> None:
        self._entries[name] = None

    def remove(self, name: str) -> None:
        """Take a job out of the queue (its cached wants go with it); a job not queued is ignored."""
        self._entries.pop(name, None)

    def wanted(self, name: str, spec: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, int]:
        """Replicas the queued job ``name`` could want of each pool (``admission.wanted_replicas``)."""
        wanted = self._entries.get(name)
        if wanted is None:
            wanted = admission.wanted_replicas(spec, resource)
            if name in self._entries:
                self._entries[name] = wanted
        return wanted

    def blocked(self, find: FindSpec, resource: Mapping[str, Any]) -> set[str]:
        """Pools some queued job waits for: first in, first out, a new job finds no room there."""
        if not self._entries:
            return set()
        every = {pool["id"] for pool in resource.get("resourcePools", [])}
        blocked: set[str] = set()
        for name in list(self._entries):
            spec = find(name)
            if spec is not None:
                blocked |= set(self.wanted(name, spec, resource))
                if blocked >= every:
                    break
        return blocked

    def admissions(
        self,
        find: FindSpec,
        resource: Mapping[str, Any],
        held: admission.Held,
        hardware: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Iterator[tuple[str, admission.Placement | ApiError | None]]:
        """The queued jobs that may leave the queue now, in order, and why each leaves: a placement
        to start it, the error for a job that can never fit, or None for a job gone or ended.

        Each one leaves the queue as it is yielded; the caller takes a placement's replicas
        before asking for the next, so later jobs see them held. A job that finds no room blocks
        the pools it wants for the jobs behind it (first in, first out, per pool).
        """
        every = {pool["id"] for pool in resource.get("resourcePools", [])}
        blocked: set[str] = set()
        for name in list(self._entries):
            if blocked >= every:
                return
            spec = find(name)
            if spec is None:
                self.remove(name)
                yield name, None
                continue
            wanted = set(self.wanted(name, spec, resource))
            if wanted <= blocked:
                continue
            try:
                placement = admission.admit(spec, resource, held, blocked=blocked, hardware=hardware)
            except admission.NoFreeReplicas:
                blocked |= wanted
                continue
            except ApiError as error:
                self.remove(name)
                yield name, error
                continue
            self.remove(name)
            yield name, placement
