"""How an emulator behaves where the real service leaves a choice: admission policy and delays."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

REJECT = "reject"
QUEUE = "queue"
POLICIES = (REJECT, QUEUE)


@dataclass(frozen=True)
class Settings:
    """Delays are seconds on the emulator's clock; ``job_duration`` None runs jobs until told."""

    admission: str = REJECT
    provision_delay: float = 0.0
    update_delay: float = 0.0
    reboot_delay: float = 0.0
    delete_delay: float = 0.0
    job_queued_delay: float = 0.0
    job_pending_delay: float = 0.0
    job_duration: float | None = 0.0
    cancel_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.admission not in POLICIES:
            raise ValueError(f"admission must be one of {', '.join(POLICIES)}, not {self.admission!r}")
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, float | int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{item.name} must not be negative")

    @classmethod
    def interactive(cls, **overrides: Any) -> Settings:
        """Delays for a person watching: long enough to see each state, short enough not to wait."""
        base = cls(
            provision_delay=2.0,
            update_delay=1.0,
            reboot_delay=2.0,
            delete_delay=1.0,
            job_queued_delay=1.0,
            job_pending_delay=2.0,
            job_duration=10.0,
            cancel_delay=1.0,
        )
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}
