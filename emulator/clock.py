"""The one source of time of an emulator.

Every timestamp and every scheduled transition reads this clock, so a manual clock makes a whole
run deterministic: nothing moves until a test says so.
"""

from __future__ import annotations

import functools
import math
import time
from datetime import UTC, date, datetime
from typing import Protocol, TypeGuard


class Clock(Protocol):
    """Seconds since the Unix epoch, as a float."""

    def now(self) -> float: ...


class RealClock:
    """Wall-clock time, for interactive use."""

    manual = False

    def now(self) -> float:
        return time.time()


class ManualClock:
    """Time that moves only when told; starts at a fixed instant so runs are reproducible."""

    manual = True
    DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    LAST_INSTANT = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()
    """The last instant a ``google.protobuf.Timestamp`` can carry: the clock stops short of it."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock never goes back")
        self.set(self._now + seconds)
        return self._now

    def set(self, instant: float) -> None:
        if instant < self._now:
            raise ValueError("the clock never goes back")
        if not math.isfinite(instant) or instant > self.LAST_INSTANT:
            raise ValueError(f"the clock cannot pass {rfc3339(self.LAST_INSTANT)}, the last instant of a timestamp")
        self._now = instant


def is_manual(clock: Clock) -> TypeGuard[ManualClock]:
    """The one way to tell a clock a test moves (``--clock manual``) from real time."""
    return isinstance(clock, ManualClock)


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))
_THREE_DIGITS = tuple(f"{number:03d}" for number in range(1000))


def rfc3339(instant: float) -> str:
    """A timestamp as proto3 JSON writes it: UTC, ``Z``, and 0, 3 or 6 fraction digits.

    Every read of a record writes its times again, and the general formatters (``strftime``,
    ``isoformat``, format specs) cost more than the rest of a job's rendering: the date comes from
    a cache by day (records share few days), every other part from a table of 2- or 3-digit numbers.
    """
    moment = datetime.fromtimestamp(instant, UTC)
    micro = moment.microsecond
    if not micro:
        fraction = ""
    elif micro % 1000:
        fraction = f".{_THREE_DIGITS[micro // 1000]}{_THREE_DIGITS[micro % 1000]}"
    else:
        fraction = f".{_THREE_DIGITS[micro // 1000]}"
    return (
        f"{_date(moment.toordinal())}T{_TWO_DIGITS[moment.hour]}:{_TWO_DIGITS[moment.minute]}:"
        f"{_TWO_DIGITS[moment.second]}{fraction}Z"
    )


@functools.lru_cache(maxsize=4096)
def _date(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def parse_rfc3339(text: str) -> float:
    """Parse an RFC 3339 timestamp (``Z`` or an offset, any fraction) into epoch seconds."""
    if not isinstance(text, str):
        raise ValueError(f"not a timestamp: {text!r}")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, rest = value.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, tail = rest[:digits], rest[digits:]
        value = f"{head}.{(fraction + '000000')[:6]}{tail}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return parsed.timestamp()


def parse_duration(text: str | float | int) -> float:
    """Seconds from a protobuf Duration string (``"3600s"``, ``"1.5s"``) or a plain number."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    elif isinstance(text, str):
        raw = text.strip()
        seconds = float(raw[:-1] if raw.endswith("s") else raw)
    else:
        raise ValueError(f"not a duration: {text!r}")
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"not a duration: {text!r}")
    return seconds
