"""What every stored object shares: its name, its canonical spec and its place in time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_emulator.clock import rfc3339


@dataclass(slots=True)
class Record:
    """``version`` is the API version that created the object; ``seq`` orders it among its kind."""

    name: str
    spec: dict[str, Any]
    version: str
    seq: int
    create_time: float
    update_time: float

    @property
    def display_name(self) -> str:
        """What list filters (``display_name``) and the web page read."""
        return str(self.spec.get("displayName", ""))

    @property
    def labels(self) -> dict[str, str]:
        """The record's labels: what list filters (``labels.KEY=VALUE``) read, for any kind."""
        return self.spec.get("labels", {})

    def stamps(self, start: float | None = None, end: float | None = None) -> dict[str, str]:
        """``createTime``, ``startTime`` and ``endTime`` when set, and ``updateTime``, as RFC 3339
        (every read writes them: no keyword dicts to merge on the way)."""
        stamped = {"createTime": rfc3339(self.create_time)}
        if start is not None:
            stamped["startTime"] = rfc3339(start)
        if end is not None:
            stamped["endTime"] = rfc3339(end)
        stamped["updateTime"] = rfc3339(self.update_time)
        return stamped
