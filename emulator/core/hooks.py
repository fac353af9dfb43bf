"""The execution hook: what runs a job's replicas, for local execution to replace.

The default runs nothing, so the clock decides each job's outcome. A runner subclasses
:class:`Execution` and sets ``service.execution``; the service calls it under its lock, so a hook
must not block (start a process, hand work to a thread, return). From its own threads the runner
ends a job through ``service.finish_job(name, state, error)``, which takes the lock, releases the
job's replicas and tells its owner like any other end; ``stopped`` is not called for that end.
"""

from __future__ import annotations

from typing import Any

CANCELLED = "cancelled"
"""The job is being cancelled (it is CANCELLING now)."""
RESOURCE_DELETED = "resource deleted"
"""The job's persistent resource is being deleted; the job is CANCELLED."""
ENDED = "ended"
"""The emulator's clock ended the job (its duration or an outcome set through the control API)."""
SHUTDOWN = "shutdown"
"""The emulator stops (``Service.close``)."""


class Execution:
    def started(self, job: Any, at: float) -> None:
        """``job`` entered JOB_STATE_RUNNING at ``at``."""

    def stopped(self, job: Any, reason: str, at: float) -> None:
        """``job``, which had started, must stop for ``reason`` (one of this module's constants)."""
