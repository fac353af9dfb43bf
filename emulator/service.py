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

from vertex_emulator.core.control_calls import ControlCalls
from vertex_emulator.core.job_calls import JobCalls
from vertex_emulator.core.operation_calls import MAX_WAIT_SECONDS, OperationCalls
from vertex_emulator.core.pipeline_calls import PipelineCalls
from vertex_emulator.core.resource_calls import ResourceCalls
from vertex_emulator.core.tuning_calls import TuningCalls

__all__ = ["MAX_WAIT_SECONDS", "Service"]


class Service(ResourceCalls, JobCalls, PipelineCalls, TuningCalls, OperationCalls, ControlCalls):
    """The state of an emulator and every call of the API on it. It returns records, in no API
    version: the HTTP layer renders them as the version a request names (``http.rendering``)."""
