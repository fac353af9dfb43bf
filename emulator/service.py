"""The emulated service: persistent resources, custom jobs and operations, on one clock.

Pure Python (no Flask): the HTTP views, the in-process mode and the tests all drive this class.

Locking model. One re-entrant lock guards the whole state, and every public method of the API
and of the control API holds it from start to end; the few that hand out live records to read the
whole state (``records``, ``state``, ``iter_scopes``, ``install``) expect their caller to hold it,
as the store's listener and ``export_state`` do. That is as coarse as correctness needs and, under
CPython, no coarser than what buys anything: admission reads and writes the replicas held on a
resource's pools, a release starts queued jobs on the same pools, and a clock step may touch every
scope, so a finer lock would have to be taken in a fixed order across scopes for little gain while
the GIL serialises the work anyway. The critical sections are microseconds of dict work; nothing
slow (I/O other than the optional store's commit, waiting, JSON) happens under the lock, and
``wait_operation`` waits on a condition that releases it. Records returned by a call stay live
objects that later calls mutate, so the HTTP layer copies them only through ``rendered`` and
``render_operation``, under the lock, and converts and encodes that copy outside it.

Time. Transitions are due at instants of the clock and run lazily, in order of due time, at the
start of every call (``_catch_up``) or when a manual clock is advanced. Each transition is stamped
with the instant it was due, not the instant it was noticed, so timestamps are the same whether a
test advances the clock by one second a hundred times or by a hundred seconds at once.
"""

from __future__ import annotations

import heapq
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vertex_emulator import names, snapshot, wire
from vertex_emulator.clock import Clock, ManualClock, parse_rfc3339
from vertex_emulator.domain import admission, jobs, operations, overview, resources
from vertex_emulator.domain.filters import compile_filter
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.paging import Ordered, page_size, query_key
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import ApiError, Code, already_exists, bad_field, failed_precondition, not_found
from vertex_emulator.settings import QUEUE, Settings
from vertex_emulator.tracking import Tracked

MAX_WAIT_SECONDS = 60.0


@dataclass
class Scope:
    """Everything of one project and location: the service keeps them apart.

    The records are in ``Tracked`` dicts that note every name reached into the service's
    ``touched`` set: that is how persistence learns what a call may have changed.
    """

    touched: set[str] = field(default_factory=set, repr=False)
    resources: Tracked[PersistentResource] = field(init=False)
    jobs: Tracked[CustomJob] = field(init=False)
    operations: Tracked[Operation] = field(init=False)
    resource_order: Ordered[PersistentResource] = field(default_factory=Ordered)
    job_order: Ordered[CustomJob] = field(default_factory=Ordered)
    operation_order: Ordered[Operation] = field(default_factory=Ordered)

    def __post_init__(self) -> None:
        self.resources = Tracked(self.touched)
        self.jobs = Tracked(self.touched)
        self.operations = Tracked(self.touched)

    def names(self) -> list[str]:
        return [*self.resources, *self.jobs, *self.operations]

    def add(self, record: snapshot.Stored) -> None:
        if isinstance(record, PersistentResource):
            self.resources[record.name] = record
            self.resource_order.add(record.seq, record)
        elif isinstance(record, CustomJob):
            self.jobs[record.name] = record
            self.job_order.add(record.seq, record)
        else:
            self.operations[record.name] = record
            self.operation_order.add(record.seq, record)


class Service:
    """The state of an emulator and every call of the API on it."""

    def __init__(self, clock: Clock | None = None, settings: Settings | None = None, seed: int | None = None) -> None:
        self.clock: Clock = clock or ManualClock()
        self.settings = settings or Settings()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.listeners: list[Callable[[], None]] = []
        self.touched: set[str] = set()
        """Names of the records reached since the last ``_notify``: what a listener may persist."""
        self._reset_state(seed)

    def _reset_state(self, seed: int | None) -> None:
        self.scopes: dict[names.Scope, Scope] = {}
        self.ids = names.IdSource(secrets.randbits(32) if seed is None else seed)
        self._events: list[tuple[float, int, str, str]] = []
        self._seq = 0
        self._wanted: dict[str, frozenset[str]] = {}

    # ----------------------------------------------------------------- plumbing

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _scope(self, scope: names.Scope) -> Scope:
        found = self.scopes.get(scope)
        if found is None:
            found = self.scopes[scope] = Scope(self.touched)
        return found

    def _schedule(self, kind: str, name: str, due: float) -> float:
        heapq.heappush(self._events, (due, self._next_seq(), kind, name))
        return due

    def _catch_up(self, notify: bool = True) -> None:
        """Run every transition that is due, in order; each may schedule the next.

        ``notify=False`` leaves telling the listeners to the caller, so that the transitions and
        the call that follows them are one change (one commit of the store, not two).
        """
        now = self.clock.now()
        ran = False
        while self._events and self._events[0][0] <= now:
            due, _, kind, name = heapq.heappop(self._events)
            if kind == "job":
                job = self._find_job(name)
                if job is not None and job.next_at == due:
                    job.next_at = None
                    self._job_step(job, due)
                    ran = True
            else:
                resource = self._find_resource(name)
                if resource is not None and resource.next_at == due:
                    resource.next_at = None
                    self._resource_step(resource, due)
                    ran = True
        if ran and notify:
            self._notify()

    def _notify(self) -> None:
        self.changed.notify_all()
        try:
            for listener in self.listeners:
                listener()
        finally:
            self.touched.clear()

    def _find_job(self, name: str) -> CustomJob | None:
        scope = self.scopes.get(names.scope_of(name))
        return scope.jobs.get(name) if scope else None

    def _find_resource(self, name: str) -> PersistentResource | None:
        scope = self.scopes.get(names.scope_of(name))
        return scope.resources.get(name) if scope else None

    def peek(self, name: str) -> snapshot.Stored | None:
        """The record of that name, found without noting it as touched: only for reads that change nothing."""
        parts = name.split("/", 4)
        if len(parts) < 5 or parts[0] != "projects" or parts[2] != "locations":
            return None
        scope = self.scopes.get((parts[1], parts[3]))
        if scope is None:
            return None
        for records in (scope.resources, scope.jobs, scope.operations):
            found = dict.get(records, name)
            if found is not None:
                return found
        return None

    def _new_name(self, collection: str) -> str:
        """``collection/ID`` with the next id that names nothing yet: a reseed repeats the sequence."""
        while True:
            name = f"{collection}/{self.ids.next()}"
            if self.peek(name) is None:
                return name

    def _new_operation(
        self, scope: names.Scope, prefix: str, metadata: str, response: str, version: str, target: str
    ) -> Operation:
        now = self.clock.now()
        operation = Operation(
            name=self._new_name(f"{prefix}/operations"),
            metadata_type=metadata,
            response_type=response,
            version=version,
            target=target,
            seq=self._next_seq(),
            create_time=now,
            update_time=now,
        )
        store = self._scope(scope)
        store.operations[operation.name] = operation
        store.operation_order.add(operation.seq, operation)
        return operation

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one API call under the lock, after the transitions that became due."""
        with self.lock:
            self._catch_up(notify=False)
            try:
                return method(*args, **kwargs)
            finally:
                self._notify()

    # ------------------------------------------------------- persistent resources

    def create_resource(self, parent: str, resource_id: str, body: dict[str, Any], version: str) -> Operation:
        return self.call(self._create_resource, parent, resource_id, body, version)

    def _create_resource(self, parent: str, resource_id: str, body: dict[str, Any], version: str) -> Operation:
        scope = names.scope_of_parent(parent)
        spec = resources.normalize(body, resource_id or "")
        name = f"{parent}/persistentResources/{resource_id}"
        store = self._scope(scope)
        if name in store.resources:
            raise already_exists("PersistentResource", name)
        now = self.clock.now()
        resource = PersistentResource(
            name=name, spec=spec, version=version, seq=self._next_seq(), create_time=now, update_time=now
        )
        store.resources[name] = resource
        store.resource_order.add(resource.seq, resource)
        operation = self._new_operation(
            scope, name, operations.CREATE_RESOURCE, operations.PERSISTENT_RESOURCE, version, name
        )
        self._begin(resource, resources.PROVISIONING, self.settings.provision_delay, operation, now)
        return operation

    def seed_resource(self, parent: str, resource_id: str, body: dict[str, Any]) -> PersistentResource:
        """Create a resource that is RUNNING at once, as fixtures describe resources that exist."""
        with self.lock:
            operation = self._create_resource(parent, resource_id, body, "v1")
            resource = self._get_resource(operation.target)
            resource.next_at = None
            self._resource_step(resource, resource.create_time)
            self._notify()
            return resource

    def _begin(self, resource: PersistentResource, state: str, delay: float, operation: Operation, now: float) -> None:
        resource.state = state
        resource.update_time = now
        resource.operations.append(operation.name)
        resource.next_at = self._schedule("resource", resource.name, now + delay)

    def _resource_step(self, resource: PersistentResource, at: float) -> None:
        scope = self._scope(names.scope_of(resource.name))
        if resource.state == resources.STOPPING:
            del scope.resources[resource.name]
            scope.resource_order.remove(resource.seq)
            self._finish_operations(resource, at, {})
            return
        resource.state = resources.RUNNING
        resource.update_time = at
        if resource.start_time is None:
            resource.start_time = at
        self._finish_operations(resource, at, resource.render())
        self._start_waiting(resource, at)

    def _finish_operations(
        self,
        resource: PersistentResource,
        at: float,
        response: dict[str, Any] | None,
        error: dict[str, Any] | None = None,
    ) -> None:
        scope = self._scope(names.scope_of(resource.name))
        for name in resource.operations:
            operation = scope.operations.get(name)
            if operation is not None and not operation.done:
                operation.finish(at, response, error)
        resource.operations.clear()

    def get_resource(self, name: str) -> PersistentResource:
        return self.call(self._get_resource, name)

    def _get_resource(self, name: str) -> PersistentResource:
        resource = self._find_resource(name)
        if resource is None:
            raise not_found("PersistentResource", name)
        return resource

    def list_resources(self, parent: str, size: str | None, token: str | None) -> tuple[list[PersistentResource], str]:
        return self.call(self._list_resources, parent, size, token)

    def _list_resources(self, parent: str, size: str | None, token: str | None) -> tuple[list[PersistentResource], str]:
        store = self._scope(names.scope_of_parent(parent))
        return store.resource_order.page(query_key("persistentResources", parent), page_size(size), token)

    def update_resource(self, name: str, body: dict[str, Any], mask: str, version: str) -> Operation:
        return self.call(self._update_resource, name, body, mask, version)

    def _update_resource(self, name: str, body: dict[str, Any], mask: str, version: str) -> Operation:
        resources.check_update_mask(mask)
        resource = self._get_resource(name)
        if resource.state != resources.RUNNING:
            raise failed_precondition(
                f'Persistent resource "{name}" is {resource.state}; only a RUNNING one can be updated.'
            )
        pools = resource.apply_replica_counts(body)
        resource.set_pools(pools)
        operation = self._new_operation(
            names.scope_of(name), name, operations.UPDATE_RESOURCE, operations.PERSISTENT_RESOURCE, version, name
        )
        self._begin(resource, resources.UPDATING, self.settings.update_delay, operation, self.clock.now())
        return operation

    def reboot_resource(self, name: str, version: str) -> Operation:
        return self.call(self._reboot_resource, name, version)

    def _reboot_resource(self, name: str, version: str) -> Operation:
        resource = self._get_resource(name)
        if resource.state not in (resources.RUNNING, resources.ERROR):
            raise failed_precondition(
                f'Persistent resource "{name}" is {resource.state}; only a RUNNING or ERROR one can be rebooted.'
            )
        if resource.busy:
            holders = sorted({job for held in resource.holders.values() for job in held})
            raise failed_precondition(
                f'Persistent resource "{name}" has jobs running on it ({", ".join(holders)}); '
                "cancel them or wait for them to end before rebooting."
            )
        resource.rebooted()
        resource.error = None
        operation = self._new_operation(
            names.scope_of(name), name, operations.REBOOT_RESOURCE, operations.PERSISTENT_RESOURCE, version, name
        )
        self._begin(resource, resources.REBOOTING, self.settings.reboot_delay, operation, self.clock.now())
        return operation

    def delete_resource(self, name: str, version: str) -> Operation:
        return self.call(self._delete_resource, name, version)

    def _delete_resource(self, name: str, version: str) -> Operation:
        resource = self._get_resource(name)
        if resource.state in (resources.PROVISIONING, resources.REBOOTING, resources.STOPPING):
            raise failed_precondition(f'Persistent resource "{name}" is {resource.state} and cannot be deleted now.')
        now = self.clock.now()
        resource.state = resources.STOPPING
        doomed = [*{job for held in resource.holders.values() for job in held}, *resource.queue]
        for job_name in doomed:
            job = self._find_job(job_name)
            if job is not None and not job.terminal:
                error = {
                    "code": 1,
                    "message": f'The persistent resource "{name}" was deleted, so the job was cancelled.',
                }
                self._end_job(job, jobs.CANCELLED, error, now)
        interrupted = ApiError(
            Code.CANCELLED, f'The persistent resource "{name}" was deleted before the operation finished.'
        )
        self._finish_operations(resource, now, None, interrupted.to_status(http=False))
        operation = self._new_operation(names.scope_of(name), name, operations.DELETE, operations.EMPTY, version, name)
        self._begin(resource, resources.STOPPING, self.settings.delete_delay, operation, now)
        return operation

    # ----------------------------------------------------------------- custom jobs

    def create_job(self, parent: str, body: dict[str, Any], version: str) -> CustomJob:
        return self.call(self._create_job, parent, body, version)

    def _create_job(self, parent: str, body: dict[str, Any], version: str) -> CustomJob:
        scope = names.scope_of_parent(parent)
        spec = jobs.normalize(body)
        resource = None
        resource_id = spec["jobSpec"].get("persistentResourceId")
        if resource_id:
            resource_name = f"{parent}/persistentResources/{resource_id}"
            resource = self._find_resource(resource_name)
            if resource is None:
                raise not_found("PersistentResource", resource_name)
        placement = self._placement(spec, resource) if resource is not None else None
        now = self.clock.now()
        job = CustomJob(
            name=self._new_name(f"{parent}/customJobs"),
            spec=spec,
            version=version,
            seq=self._next_seq(),
            create_time=now,
            update_time=now,
        )
        if resource is None:
            job.next_at = self._schedule("job", job.name, now + self.settings.job_queued_delay)
        elif placement is None:
            job.resource = resource.name
            job.waiting = True
            resource.queue.append(job.name)
        else:
            job.resource = resource.name
            self._hold(job, resource, placement, now)
        store = self._scope(scope)
        store.jobs[job.name] = job
        store.job_order.add(job.seq, job)
        return job

    def _wants(self, job: CustomJob, view: dict[str, Any]) -> frozenset[str]:
        """The pools a queued job waits for; a pool's hardware never changes, so it is kept."""
        wanted = self._wanted.get(job.name)
        if wanted is None:
            wanted = self._wanted[job.name] = frozenset(admission.candidate_pools(job.spec, view))
        return wanted

    def _dequeue(self, resource: PersistentResource, name: str) -> None:
        resource.queue.remove(name)
        self._wanted.pop(name, None)

    def _waiting_pools(self, resource: PersistentResource) -> set[str]:
        """Pools that have jobs queued for them; stops early once every pool is taken."""
        view = resource.admission_view()
        every = {pool["id"] for pool in resource.pools}
        blocked: set[str] = set()
        for name in resource.queue:
            waiting = self.peek(name)
            if isinstance(waiting, CustomJob):
                blocked |= self._wants(waiting, view)
                if blocked >= every:
                    break
        return blocked

    def _placement(self, spec: dict[str, Any], resource: PersistentResource) -> admission.Placement | None:
        """Where a new job runs, or None when it is to wait in the queue.

        Decided before the job takes an id and a sequence number, so a refused create leaves the
        state as it was: the next accepted job gets the id it would have had without the refusal.
        """
        try:
            return admission.admit(
                spec, resource.admission_view(), resource.holders, blocked=self._waiting_pools(resource)
            )
        except admission.NoFreeReplicas:
            if self.settings.admission != QUEUE:
                raise
            return None

    def _hold(self, job: CustomJob, resource: PersistentResource, placement: admission.Placement, at: float) -> None:
        resource.hold(job.name, dict(placement.demand))
        job.placement = placement.pools
        job.waiting = False
        job.update_time = at
        job.next_at = self._schedule("job", job.name, at + self.settings.job_queued_delay)

    def _start_waiting(self, resource: PersistentResource, at: float) -> None:
        """Start queued jobs in first-in-first-out order per pool, as far as replicas allow."""
        if resource.state != resources.RUNNING or not resource.queue:
            return
        view = resource.admission_view()
        every = {pool["id"] for pool in resource.pools}
        blocked: set[str] = set()
        for name in list(resource.queue):
            if blocked >= every:
                break
            job = self._find_job(name)
            if job is None or job.terminal:
                self._dequeue(resource, name)
                continue
            wanted = self._wants(job, view)
            if wanted <= blocked:
                continue
            try:
                placement = admission.admit(job.spec, view, resource.holders, blocked=blocked)
            except admission.NoFreeReplicas:
                blocked |= wanted
                continue
            except ApiError as error:
                self._dequeue(resource, name)
                self._end_job(job, jobs.FAILED, error.to_status(http=False), at)
                continue
            self._dequeue(resource, name)
            self._hold(job, resource, placement, at)

    def _job_step(self, job: CustomJob, at: float) -> None:
        job.update_time = at
        if job.state == jobs.QUEUED:
            job.state = jobs.PENDING
            job.next_at = self._schedule("job", job.name, at + self.settings.job_pending_delay)
        elif job.state == jobs.PENDING:
            job.state = jobs.RUNNING
            job.start_time = at
            if job.spec["jobSpec"].get("enableWebAccess"):
                job.web_access = self._web_access(job)
            self._schedule_outcome(job, at)
        elif job.state == jobs.RUNNING:
            outcome = job.outcome or {"state": jobs.SUCCEEDED}
            self._end_job(job, outcome["state"], outcome.get("error"), at)
        elif job.state == jobs.CANCELLING:
            self._end_job(job, jobs.CANCELLED, jobs.CANCELLED_ERROR, at)

    def _schedule_outcome(self, job: CustomJob, started: float) -> None:
        outcome = job.outcome or {}
        if "at" in outcome:
            due: float | None = max(outcome["at"], started)
        elif "after" in outcome:
            due = started + outcome["after"]
        elif self.settings.job_duration is None:
            due = None
        else:
            due = started + self.settings.job_duration
        job.next_at = None if due is None else self._schedule("job", job.name, due)

    def _web_access(self, job: CustomJob) -> dict[str, str]:
        location = names.scope_of(job.name)[1]
        token = job.name.rsplit("/", 1)[1]
        uris = {}
        for index, pool in enumerate(job.spec["jobSpec"]["workerPoolSpecs"]):
            for replica in range(int(pool.get("replicaCount") or 0)):
                uris[f"workerpool{index}-{replica}"] = (
                    f"https://{token}-{index}-{replica}-dot-{location}.aiplatform-training.googleusercontent.com"
                )
        return uris

    def _end_job(self, job: CustomJob, state: str, error: dict[str, Any] | None, at: float) -> None:
        job.state = state
        job.error = error
        job.end_time = at
        job.update_time = at
        job.next_at = None
        job.waiting = False
        if job.resource is None:
            return
        resource = self._find_resource(job.resource)
        if resource is None:
            return
        queued = job.name in resource.queue
        if queued:
            self._dequeue(resource, job.name)
        if resource.release(job.name) or queued:
            self._start_waiting(resource, at)

    def get_job(self, name: str) -> CustomJob:
        return self.call(self._get_job, name)

    def _get_job(self, name: str) -> CustomJob:
        job = self._find_job(name)
        if job is None:
            raise not_found("CustomJob", name)
        return job

    def list_jobs(
        self, parent: str, filter_text: str | None, size: str | None, token: str | None
    ) -> tuple[list[CustomJob], str]:
        return self.call(self._list_jobs, parent, filter_text, size, token)

    def _list_jobs(
        self, parent: str, filter_text: str | None, size: str | None, token: str | None
    ) -> tuple[list[CustomJob], str]:
        keep = compile_filter(filter_text or "", frozenset(jobs.STATES)) if filter_text else None
        store = self._scope(names.scope_of_parent(parent))
        return store.job_order.page(query_key("customJobs", parent, filter_text or ""), page_size(size), token, keep)

    def cancel_job(self, name: str) -> None:
        self.call(self._cancel_job, name)

    def _cancel_job(self, name: str) -> None:
        job = self._get_job(name)
        if job.terminal:
            raise failed_precondition(f'CustomJob "{name}" is already {job.state} and cannot be cancelled.')
        if job.state == jobs.CANCELLING:
            return
        now = self.clock.now()
        if job.waiting and job.resource:
            resource = self._find_resource(job.resource)
            job.waiting = False
            if resource is not None and name in resource.queue:
                self._dequeue(resource, name)
                self._start_waiting(resource, now)
        job.state = jobs.CANCELLING
        job.update_time = now
        job.next_at = self._schedule("job", name, now + self.settings.cancel_delay)

    def delete_job(self, name: str, version: str) -> Operation:
        return self.call(self._delete_job, name, version)

    def _delete_job(self, name: str, version: str) -> Operation:
        job = self._get_job(name)
        if not job.terminal:
            raise failed_precondition(
                f'CustomJob "{name}" is {job.state}; only a job in a terminal state can be deleted. Cancel it first.'
            )
        scope = names.scope_of(name)
        store = self._scope(scope)
        del store.jobs[name]
        store.job_order.remove(job.seq)
        operation = self._new_operation(
            scope, names.parent_of(scope), operations.DELETE, operations.EMPTY, version, name
        )
        operation.finish(self.clock.now(), {})
        return operation

    # ------------------------------------------------------------------ operations

    def get_operation(self, name: str) -> Operation:
        return self.call(self._get_operation, name)

    def _get_operation(self, name: str) -> Operation:
        """By its full name, or by ``projects/P/locations/L/operations/ID`` as gcloud names any one."""
        scope = self.scopes.get(names.scope_of(name))
        operation = scope.operations.get(name) if scope else None
        if operation is None and scope and name.count("/") == 5:
            suffix = "/operations/" + name.rsplit("/", 1)[1]
            operation = next((op for op in scope.operations.values() if op.name.endswith(suffix)), None)
        if operation is None:
            raise not_found("Operation", name)
        return operation

    def list_operations(self, parent: str, size: str | None, token: str | None) -> tuple[list[Operation], str]:
        return self.call(self._list_operations, parent, size, token)

    def _list_operations(self, parent: str, size: str | None, token: str | None) -> tuple[list[Operation], str]:
        scope = names.scope_of(parent + "/operations/x")
        store = self._scope(scope)
        location = names.parent_of(scope)
        keep = None if parent == location else (lambda op: op.target == parent)
        return store.operation_order.page(query_key("operations", parent), page_size(size), token, keep)

    def cancel_operation(self, name: str) -> None:
        """Cancellation is best effort on the real service; here it never stops a transition."""
        self.call(self._get_operation, name)

    def delete_operation(self, name: str) -> None:
        self.call(self._delete_operation, name)

    def _delete_operation(self, name: str) -> None:
        operation = self._get_operation(name)
        store = self._scope(names.scope_of(name))
        del store.operations[operation.name]
        store.operation_order.remove(operation.seq)

    def wait_operation(self, name: str, timeout: float | None) -> Operation:
        """Return once the operation is done or ``timeout`` seconds of real time have passed."""
        limit = MAX_WAIT_SECONDS if timeout is None else min(timeout, MAX_WAIT_SECONDS)
        with self.lock:
            deadline = time.monotonic() + limit
            while True:
                self._catch_up()
                operation = self._get_operation(name)
                left = deadline - time.monotonic()
                if operation.done or left <= 0:
                    return operation
                self.changed.wait(min(left, self._until_next_event()))

    def _until_next_event(self) -> float:
        if getattr(self.clock, "manual", False) or not self._events:
            return MAX_WAIT_SECONDS
        return max(0.001, self._events[0][0] - self.clock.now())

    # ---------------------------------------------------------------- control API

    def advance(self, seconds: float) -> float:
        """Move a manual clock forward and run what became due."""
        with self.lock:
            if not isinstance(self.clock, ManualClock):
                raise failed_precondition("The clock is real; start the emulator with --clock manual to move it.")
            try:
                self.clock.advance(seconds)
            except ValueError as error:
                raise bad_field("seconds", str(error)) from None
            self._catch_up()
            self._notify()
            return self.clock.now()

    def set_outcome(
        self, name: str, state: str, error: dict[str, Any] | None, at: str | None, after: float | None
    ) -> CustomJob:
        return self.call(self._set_outcome, name, state, error, at, after)

    def _set_outcome(
        self, name: str, state: str, error: dict[str, Any] | None, at: str | None, after: float | None
    ) -> CustomJob:
        job = self._get_job(name)
        if job.terminal or job.state == jobs.CANCELLING:
            raise failed_precondition(f'CustomJob "{name}" is {job.state}; its outcome is already decided.')
        outcome = jobs.check_outcome(state, error)
        now = self.clock.now()
        if at is not None:
            try:
                outcome["at"] = parse_rfc3339(at)
            except ValueError:
                raise bad_field("at", f"at must be an RFC 3339 timestamp, not {at!r}.") from None
        elif after is not None:
            if after < 0:
                raise bad_field("after", "after must not be negative.")
            outcome["after"] = after
        else:
            self._end_job(job, outcome["state"], outcome.get("error"), now)
            return job
        job.outcome = outcome
        if job.state == jobs.RUNNING:
            self._schedule_outcome(job, job.start_time or now)
            if job.next_at is not None and job.next_at <= now:
                self._catch_up()
        return job

    def reset(self, project: str | None = None) -> None:
        """Forget everything, or every location of one project; the id seed and the clock stay."""
        with self.lock:
            doomed = [scope for scope in self.scopes if project is None or scope[0] == project]
            for scope in doomed:
                self.touched.update(self.scopes[scope].names())
            if project is None:
                self._reset_state(self.ids.seed)
            else:
                for scope in doomed:
                    del self.scopes[scope]
            self._notify()

    def reseed(self, seed: int) -> None:
        """Restart the id sequence from ``seed``: the same calls then get the same ids on every run."""
        with self.lock:
            self.ids = names.IdSource(seed)
            self._notify()

    def records(self) -> Iterator[snapshot.Stored]:
        """Every record, untracked: for reading the whole state, never for changing a record."""
        for scope in self.scopes.values():
            yield from dict.values(scope.resources)
            yield from dict.values(scope.jobs)
            yield from dict.values(scope.operations)

    def state(self, with_records: bool = True) -> snapshot.State:
        """The state as ``vertex_emulator.snapshot`` reads and writes it; the records are the live objects."""
        return snapshot.State(
            now=self.clock.now(),
            manual=isinstance(self.clock, ManualClock),
            seed=self.ids.seed,
            counter=self.ids.counter,
            seq=self._seq,
            records=list(self.records()) if with_records else [],
        )

    def export_state(self) -> dict[str, Any]:
        """The whole state as JSON data (``GET /emulator/v1/state``), a copy that ``import_state`` reads."""
        with self.lock:
            self._catch_up()
            return json.loads(json.dumps(snapshot.to_json(self.state())))

    def import_state(self, data: Any) -> None:
        """Replace the whole state by a snapshot, or raise ``ApiError`` and change nothing.

        A manual clock moves to the snapshot's instant (back, too); a real clock stays real time.
        """
        state = snapshot.from_json(json.loads(json.dumps(data)))
        with self.lock:
            self.install(state)
            self._notify()

    def install(self, state: snapshot.State) -> None:
        """Take ``state`` as the whole state (checked records; the caller holds the lock)."""
        for scope in self.scopes.values():
            self.touched.update(scope.names())
        self._reset_state(state.seed)
        self.ids.counter = state.counter
        self._seq = state.seq
        if isinstance(self.clock, ManualClock):
            self.clock = ManualClock(state.now)
        for record in sorted(state.records, key=lambda record: record.seq):
            self._scope(names.scope_of(record.name)).add(record)
            if not isinstance(record, Operation) and record.next_at is not None:
                kind = "job" if isinstance(record, CustomJob) else "resource"
                heapq.heappush(self._events, (record.next_at, record.seq, kind, record.name))

    def iter_scopes(self) -> Iterator[tuple[names.Scope, Scope]]:
        yield from self.scopes.items()

    def overview(self) -> dict[str, Any]:
        """Every scope at a glance, read in one critical section so holders and queues agree."""
        return self.call(self._overview)

    def _overview(self) -> dict[str, Any]:
        return {
            "admission": self.settings.admission,
            "scopes": [
                overview.scope_overview(
                    scope, store.resources.values(), store.jobs.values(), store.operations.values(), self._peek_job
                )
                for scope, store in sorted(self.scopes.items())
                if store.resources or store.jobs or store.operations
            ],
        }

    def _peek_job(self, name: str) -> CustomJob | None:
        """A read-only lookup: a poll of the overview leaves nothing for persistence to compare."""
        found = self.peek(name)
        return found if isinstance(found, CustomJob) else None

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
