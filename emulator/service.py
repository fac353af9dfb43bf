"""The emulated service: persistent resources, custom jobs and operations, on one clock.

Pure Python (no Flask): the HTTP views, the in-process mode and the tests all drive this class.
``Service`` is a facade composed of one class per capability (``vertex_emulator.core``): every
public call goes through the ``core.base.api`` decorator (lock, due transitions, listeners), and
the locking and time model is described there. New capabilities register record kinds
(``core.kinds``), create backing jobs with ``create_job(..., owner=, wait_for_room=)``, and local
execution replaces ``service.execution`` (``core.hooks``).

A new capability (pipelines, tuning) writes its calls as a class of ``@api`` methods deriving
from ``core.base.Core``, in a module of its own, and adds that class to ``Service``'s bases
below: one line here, nothing else of the core changes.
"""

from __future__ import annotations

from typing import Any

from vertex_emulator import wire
from vertex_emulator.core.control_calls import ControlCalls
from vertex_emulator.core.job_calls import JobCalls
from vertex_emulator.core.operation_calls import MAX_WAIT_SECONDS, OperationCalls
from vertex_emulator.core.pipeline_calls import PipelineCalls
from vertex_emulator.core.resource_calls import ResourceCalls
from vertex_emulator.core.tuning_calls import TuningCalls
from vertex_emulator.domain import operations
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource

__all__ = ["MAX_WAIT_SECONDS", "Service", "convert_for"]


class Service(ResourceCalls, JobCalls, PipelineCalls, TuningCalls, OperationCalls, ControlCalls):
    """The state of an emulator and every call of the API on it."""

    def rendered(self, record: PersistentResource | CustomJob) -> dict[str, Any]:
        """A record as the API shows it, read under the lock: a reader never sees half a transition
        (a job SUCCEEDED without its endTime), even when the call that found it has returned."""
        with self.lock:
            return record.render()

    def render_operation(self, operation: Operation) -> dict[str, Any]:
        with self.lock:
            body = operation.render(wire.type_url)
        response = body.get("response")
        if response and operation.response_type == operations.PERSISTENT_RESOURCE:
            fields = {key: value for key, value in response.items() if key != "@type"}
            body["response"] = {
                "@type": response["@type"],
                **wire.convert(operation.version, "PersistentResource", fields),
            }
        return body


def convert_for(version: str, message: str, data: dict[str, Any], made_in: str | None) -> dict[str, Any]:
    """Data stored from one API version, as another version returns it."""
    if made_in == version:
        return data
    return wire.convert(version, message, data)
