"""The state every capability of the service shares, and the one mechanism of a public call.

Locking model. One re-entrant lock guards the whole state. Every public method is decorated with
:func:`api`: it takes the lock, runs the transitions that became due, runs the call, and tells
the listeners (the store, which stages what changed) once when the outermost call returns, then,
with the lock released, the settlers (the store, which commits what was staged); a call made
from inside another (an owner's handler creating a job) just runs. That is as coarse as
correctness needs and, under
CPython, no coarser than what buys anything: admission reads and writes the replicas held on a
resource's pools, a release starts queued jobs on the same pools, and a clock step may touch
every scope, so a finer lock would have to be taken in a fixed order across scopes for little
gain while the GIL serialises the work anyway. Nothing slow happens under the lock (the
optional store commits outside it), and ``wait_operation`` waits on a condition that releases it. Records
returned by a call stay live objects that later calls change, so the HTTP layer copies them under
the lock before converting and encoding them outside it.

Time. Transitions are due at instants of the clock (``timeline``) and run lazily, in order of due
time, at the start of every call or when a manual clock is advanced. Each is stamped with the
instant it was due, not the instant it was noticed, so timestamps are the same whether a test
advances the clock by one second a hundred times or by a hundred seconds at once.

Extension points (for new capabilities; the caller holds the lock, e.g. inside an ``api`` method
or a kind's ``step``/``job_changed``): ``registry`` (find, add, remove, new names, pages, marking
records changed), ``schedule(name, due)``, ``new_operation(...)``, ``execution``; the public
calls ``create_job(..., owner=, wait_for_room=)`` and ``finish_job``; for job-like kinds,
``job_page`` (a filtered list page) and ``delete_ended``.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from vertex_emulator import names
from vertex_emulator.clock import Clock, ManualClock
from vertex_emulator.core import kinds
from vertex_emulator.core.hooks import Execution
from vertex_emulator.core.records import Records
from vertex_emulator.core.timeline import Timeline
from vertex_emulator.domain import jobs, operations
from vertex_emulator.domain.jobs import CustomJob, Ending
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import ApiError, failed_precondition, not_found
from vertex_emulator.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def api(method: F) -> F:
    """A public call: under the lock, after the due transitions, the listeners told once at the end,
    the settlers once the lock is released."""

    @functools.wraps(method)
    def call(self: Core, *args: Any, **kwargs: Any) -> Any:
        outermost = False
        try:
            with self.lock:
                if self._depth:
                    return method(self, *args, **kwargs)
                outermost = True
                self._depth += 1
                try:
                    self._catch_up(notify=False)
                    return method(self, *args, **kwargs)
                finally:
                    self._depth -= 1
                    self._notify()
        finally:
            if outermost and not getattr(self._answering, "deferred", False):
                self.settle()

    return call  # type: ignore[return-value]


class Core:
    """State and plumbing; ``vertex_emulator.service.Service`` adds the calls."""

    def __init__(self, clock: Clock | None = None, settings: Settings | None = None, seed: int | None = None) -> None:
        self.clock: Clock = clock or ManualClock()
        self.settings = settings or Settings()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.listeners: list[Callable[[], None]] = []
        self.settlers: list[Callable[[], None]] = []
        """Run after a call, outside the lock (``settle``): the store commits there what its
        listener staged under the lock, so that calls on other threads go on meanwhile."""
        self.hint_elsewhere = True
        """Whether a NOT_FOUND persistent resource names the same id under another project (``resource``)."""
        self.execution = Execution()
        """What runs the replicas of a job (``core.hooks``); replace it for local execution."""
        self._depth = 0
        self._answering = threading.local()
        """``deferred`` on a thread whose caller settles itself before it answers (``defer_settling``)."""
        self._reset_state(seed)

    def _reset_state(self, seed: int | None) -> None:
        previous: Records | None = getattr(self, "registry", None)
        self.registry = Records(previous.changed if previous else None)
        """The records of every kind (``core.records``); changes survive a reset for the store."""
        self.timeline = Timeline()
        self.ids = names.IdSource(secrets.randbits(32) if seed is None else seed)
        self._seq = 0

    # ------------------------------------------------------------ for capabilities

    def next_seq(self) -> int:
        """The creation order of a new record, shared by every kind."""
        self._seq += 1
        return self._seq

    def schedule(self, name: str, due: float) -> float:
        """Have the record ``name``'s kind step run at ``due``: the record must carry ``next_at = due``."""
        return self.timeline.schedule(name, due)

    def peek(self, name: str) -> Any | None:
        """The record of that name, of any kind, or None."""
        return self.registry.find(name)

    def new_operation(self, prefix: str, metadata: str, response: str, version: str, target: str) -> Operation:
        """A long-running operation under ``prefix`` (a location or a record), not done yet."""
        now = self.clock.now()
        operation = Operation(
            name=self.registry.new_name(prefix, names.OPERATIONS, self.ids.next),
            metadata_type=metadata,
            response_type=response,
            version=version,
            target=target,
            seq=self.next_seq(),
            create_time=now,
            update_time=now,
        )
        self.registry.add(operation)
        return operation

    def job_page(
        self,
        parent: str,
        collection: str,
        filter_text: str | None,
        size: str | None,
        token: str | None,
        states: tuple[str, ...] = jobs.STATES,
    ) -> tuple[list[Any], str]:
        """One list page of a collection of jobs (custom, tuning) or job-like records (pipelines,
        whose ``states`` differ; models, which have none): newest first, with the ``filter`` of
        ``job_service.proto`` (display name, state, create time, labels)."""
        keep = None
        if filter_text:
            from vertex_emulator.domain.filters import compile_filter  # a list with a filter only

            keep = compile_filter(filter_text, frozenset(states))
        scope = names.scope_of_parent(parent)
        return self.registry.page(scope, collection, (parent, filter_text or ""), size, token, keep)

    def delete_ended(self, record: Any, label: str, version: str) -> Operation:
        """Remove a job-like record that has ended; the answer is a DELETE operation, done at once."""
        if not record.terminal:
            raise failed_precondition(
                f'{label} "{record.name}" is {record.state}; only a job in a terminal state can be deleted. '
                "Cancel it first."
            )
        self.registry.remove(record)
        operation = self.new_operation(
            names.parent_of(names.scope_of(record.name)), operations.DELETE, operations.EMPTY, version, record.name
        )
        operation.finish(self.clock.now(), {})
        return operation

    def job_moved(self, job: CustomJob, at: float) -> None:
        """A job changed state: mark it, and tell its owner's kind (``kinds.Kind.job_changed``)."""
        self.registry.mark(job)
        if job.owner is None:
            return
        owner = self.registry.find(job.owner)
        if owner is None:
            return
        handler = kinds.of(owner).job_changed
        if handler is not None:
            handler(self, owner, job, at)

    def resource(self, name: str) -> PersistentResource:
        """The persistent resource of that name, or NOT_FOUND; when the same id exists under another
        project of the location (a resource loaded from ``gcloud ... describe`` output lives under the
        project number), the message names it, unless ``hint_elsewhere`` is off (``serve --iam-policy``:
        a caller must not learn of resources it cannot see)."""
        found = self.registry.find(name, PersistentResource)
        if found is not None:
            return found
        error = not_found("PersistentResource", name)
        others = self.registry.elsewhere(name) if self.hint_elsewhere else []
        if not others:
            raise error
        raise ApiError(
            error.code,
            f"{error.message} It exists as {' and as '.join(others)}: gcloud prints project numbers, and a "
            "resource loaded from its describe output keeps that name; ask for it under that project.",
        )

    # ------------------------------------------------ provided by the call modules

    def resource_step(self, resource: PersistentResource, at: float) -> None:
        raise NotImplementedError

    def job_step(self, job: CustomJob, at: float) -> None:
        raise NotImplementedError

    def end_job(self, job: CustomJob, ending: Ending, at: float, reason: str | None) -> None:
        raise NotImplementedError

    def start_waiting(self, resource: PersistentResource, at: float) -> None:
        raise NotImplementedError

    def fail_resource(self, resource: PersistentResource, at: float) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- time

    def _catch_up(self, notify: bool = True) -> None:
        """Run every transition that is due, in order; each may schedule the next.

        ``notify=False`` leaves telling the listeners to the caller, so that the transitions and
        the call that follows them are one change (one commit of the store, not two).
        """
        ran = False
        for due, name in self.timeline.due(self.clock.now()):
            record = self.registry.find(name)
            if record is None or getattr(record, "next_at", None) != due:
                continue
            step = kinds.of(record).step
            if step is None:
                continue
            record.next_at = None
            self.registry.mark(record)
            step(self, record, due)
            ran = True
        if ran and notify:
            self._notify()

    def _notify(self) -> None:
        self.changed.notify_all()
        try:
            for listener in self.listeners:
                listener()
        finally:
            self.registry.changed.clear()

    def settle(self) -> None:
        """Make what calls have done so far durable before telling anyone (``settlers``): every
        public call does it before it returns, unless its thread is answering an HTTP request,
        which settles once before it answers (``defer_settling``)."""
        self._answering.deferred = False
        for settler in self.settlers:
            settler()

    def defer_settling(self) -> None:
        """The calls of this thread leave settling to the caller, until its next ``settle`` (or
        ``end_deferral``): the HTTP layer answering a request settles once, after its view, so the
        commit also covers what the view rendered and comes as late as it can, which lets more
        concurrent calls share it."""
        self._answering.deferred = True

    def end_deferral(self) -> None:
        """The end of a request, answered or not: this thread's calls settle by themselves again."""
        self._answering.deferred = False

    def changes(self) -> set[str]:
        """Names of the records changed since listeners were last told: what a store writes."""
        return self.registry.changed
