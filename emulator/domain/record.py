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
        """``createTime``, ``startTime`` and ``endTime`` when set, and ``updateTime``, as RFC 3339.

        Every read writes them, and formatting an instant is most of rendering a record; an instant
        equal to the one written just before it, or to the creation (a new record's update time,
        a job started in the instant it was created, an update made by the last transition), is
        the same text, so it is not formatted again."""
        create = self.create_time
        created = last_text = rfc3339(create)
        stamped = {"createTime": created}
        last = create
        if start is not None:
            last_text = stamped["startTime"] = last_text if start == last else rfc3339(start)
            last = start
        if end is not None:
            last_text = stamped["endTime"] = last_text if end == last else rfc3339(end)
            last = end
        update = self.update_time
        if update == last:
            stamped["updateTime"] = last_text
        else:
            stamped["updateTime"] = created if update == create else rfc3339(update)
        return stamped
