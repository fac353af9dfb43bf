"""Polling until something is final, with a timeout and an exponential backoff.

Time waited is the larger of the wall time and the sum of the pauses asked for, so a ``sleep``
that moves an emulator's manual clock instead of sleeping still reaches the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from vertex_emulator.client.errors import WaitTimeout

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Pauses between polls: ``initial``, then times ``multiplier``, never above ``maximum``."""

    initial: float = 1.0
    multiplier: float = 1.5
    maximum: float = 30.0

    def __post_init__(self) -> None:
        if self.initial < 0 or self.multiplier < 1 or self.maximum < self.initial:
            raise ValueError("Backoff needs 0 <= initial <= maximum and multiplier >= 1")

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.multiplier, self.maximum)


def poll(
    fetch: Callable[[], T],
    finished: Callable[[T], bool],
    *,
    timeout: float | None,
    backoff: Backoff,
    sleep: Callable[[float], object] = time.sleep,
) -> T:
    """Fetch until ``finished``; the first fetch is immediate. Raises :class:`WaitTimeout`."""
    started = time.monotonic()
    slept = 0.0
    delays = backoff.delays()
    while True:
        current = fetch()
        if finished(current):
            return current
        delay = next(delays)
        waited = max(slept, time.monotonic() - started)
        if timeout is not None:
            if waited >= timeout:
                raise WaitTimeout(current, timeout)
            delay = min(delay, timeout - waited)
        sleep(delay)
        slept += delay
