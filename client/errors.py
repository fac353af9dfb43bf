"""What the client raises of its own. API errors are never wrapped: they stay the official
``google.api_core.exceptions`` classes, so code written against GAPIC catches them unchanged."""

from __future__ import annotations

from typing import Any


class JobFailed(RuntimeError):
    """A custom job ended FAILED; ``job`` is its final state and ``error`` its google.rpc.Status.

    A ``RuntimeError``, as the SDK's own ``CustomJob.run()`` raises, so existing handlers catch it.
    """

    def __init__(self, job: Any) -> None:
        self.job = job
        self.error = job.error
        super().__init__(f"Custom job {job.name} ended {job.state.name}: {job.error.message} (code {job.error.code})")


class JobCancelled(JobFailed):
    """A custom job ended CANCELLED (its ``error`` has code 1)."""


class ResourceFailed(RuntimeError):
    """A persistent resource ended in ERROR while the client waited for it to run."""

    def __init__(self, resource: Any) -> None:
        self.resource = resource
        self.error = resource.error
        super().__init__(f"Persistent resource {resource.name} is in ERROR: {resource.error.message}")


class WaitTimeout(TimeoutError):
    """The wait ran out of time; ``last`` is what the final poll saw."""

    def __init__(self, last: Any, timeout: float) -> None:
        self.last = last
        self.timeout = timeout
        super().__init__(f"{getattr(last, 'name', last)} did not finish within {timeout:g} s")
