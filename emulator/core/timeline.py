"""The instants at which records have a transition due, in order.

An entry names a record and an instant; the record's ``next_at`` says whether the entry is still
current (a transition rescheduled or cancelled leaves its old entry behind, which is skipped), so
scheduling never searches the heap.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator


class Timeline:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str]] = []
        self._order = itertools.count()

    def schedule(self, name: str, due: float) -> float:
        """Note that ``name`` has a transition due at ``due``; returns ``due``."""
        heapq.heappush(self._heap, (due, next(self._order), name))
        return due

    def due(self, now: float) -> Iterator[tuple[float, str]]:
        """Pop the entries due by ``now``, earliest first; entries scheduled meanwhile are seen too."""
        while self._heap and self._heap[0][0] <= now:
            due, _, name = heapq.heappop(self._heap)
            yield due, name

    def next(self) -> float | None:
        """The earliest instant with an entry, or None."""
        return self._heap[0][0] if self._heap else None

    def drop(self, doomed: Callable[[str], bool]) -> None:
        """Forget the entries of the names ``doomed`` says, so a later record of that name starts clean."""
        self._heap = [entry for entry in self._heap if not doomed(entry[2])]
        heapq.heapify(self._heap)
