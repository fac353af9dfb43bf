"""The calls on custom jobs, a job's timed transitions, and queueing on persistent resources.

Backing jobs: ``create_job(parent, body, version, owner=NAME, wait_for_room=True)`` creates a job
on behalf of another record through the same admission as the API's. ``owner`` is kept on the
job (``job.owner``) and the owner's kind hears of every state change of the job
(``kinds.Kind.job_changed``); ``wait_for_room`` queues a job that lacks free replicas whatever
``--admission`` says (a job that can never fit still raises the admission's error).
A runner ends a job with ``finish_job(name, state, error)``.

Marking for the store: a job is marked where it changes; its resource only where a stored field
of it changes (an autoscaled pool's ``provisioned`` count). Holding, releasing and queueing move
only the resource's accounting (``holders``, ``queue``), which is never stored but rebuilt from
the jobs (``snapshot``), so a create on a resource writes the job's row alone.
"""

from __future__ import annotations

from typing import Any

from vertex_emulator import names
from vertex_emulator.core import hooks
from vertex_emulator.core.base import Core, api
from vertex_emulator.domain import admission, jobs, resources
from vertex_emulator.domain.jobs import CustomJob, Ending
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.domain.validation import copy_json
from vertex_emulator.errors import ApiError, failed_precondition
from vertex_emulator.settings import QUEUE

COLLECTION = "customJobs"


class JobCalls(Core):
    @api
    def create_job(
        self,
        parent: str,
        body: dict[str, Any],
        version: str,
        *,
        owner: str | None = None,
        wait_for_room: bool = False,
        adopt: bool = False,
    ) -> CustomJob:
        """``adopt``: ``body`` is the caller's to give away (an HTTP view's, parsed for this request
        alone), so it becomes the job's spec as it is; any other body is copied, so that the
        caller's later changes never reach the stored job."""
        names.scope_of_parent(parent)
        spec = jobs.normalize(body if adopt else copy_json(body))
        resource = None
        resource_id = spec["jobSpec"].get("persistentResourceId")
        if resource_id:
            resource = self.resource(names.child(parent, "persistentResources", resource_id))
        placement = self._placement(spec, resource, wait_for_room) if resource is not None else None
        now = self.clock.now()
        job = CustomJob(
            name=self.registry.new_name(parent, COLLECTION, self.ids.next),
            spec=spec,
            version=version,
            seq=self.next_seq(),
            create_time=now,
            update_time=now,
            owner=owner,
        )
        self.registry.add(job)
        if resource is None:
            job.next_at = self.schedule(job.name, now + self.settings.job_queued_delay)
        elif placement is None:
            job.resource = resource.name
            job.waiting = True
            resource.queue.append(job.name)
        else:
            job.resource = resource.name
            self._hold(job, resource, placement, now)
        return job

    def _placement(
        self, spec: dict[str, Any], resource: PersistentResource, wait_for_room: bool
    ) -> admission.Placement | None:
        """Where a new job runs, or None when it is to wait in the queue.

        Decided before the job takes an id and a sequence number, so a refused create leaves the
        state as it was: the next accepted job gets the id it would have had without the refusal.
        """
        view = resource.admission_view()
        try:
            blocked = resource.queue.blocked(self._waiting, view)
            return admission.admit(spec, view, resource.holders, blocked=blocked, hardware=resource.pool_hardware)
        except admission.NoFreeReplicas:
            if not wait_for_room and self.settings.admission != QUEUE:
                raise
            return None

    def _waiting(self, name: str) -> dict[str, Any] | None:
        """The spec of a queued job still waiting (``queue.FindSpec``)."""
        job = self.registry.find(name, CustomJob)
        return None if job is None or job.terminal else job.spec

    def _hold(self, job: CustomJob, resource: PersistentResource, placement: admission.Placement, at: float) -> None:
        if resource.hold(job.name, dict(placement.demand)):
            self.registry.mark(resource)
        job.placement = placement.pools
        job.waiting = False
        job.update_time = at
        job.next_at = self.schedule(job.name, at + self.settings.job_queued_delay)
        self.registry.mark(job)

    def start_waiting(self, resource: PersistentResource, at: float) -> None:
        """Start the queued jobs that may start now (``Queue.admissions``)."""
        if resource.state != resources.RUNNING or not resource.queue:
            return
        view = resource.admission_view()
        for name, outcome in resource.queue.admissions(self._waiting, view, resource.holders, resource.pool_hardware):
            job = self.registry.find(name, CustomJob)
            if job is None or outcome is None:
                continue
            if isinstance(outcome, ApiError):
                self.end_job(job, Ending(jobs.FAILED, outcome.to_status(http=False)), at, None)
            else:
                self._hold(job, resource, outcome, at)

    def job_step(self, job: CustomJob, at: float) -> None:
        was = job.state
        result = job.step(at, self.settings.job_pending_delay, self.settings.job_duration)
        if isinstance(result, Ending):
            self.end_job(job, result, at, hooks.ENDED if was == jobs.RUNNING else None)
            return
        job.next_at = None if result is None else self.schedule(job.name, result)
        if job.state == jobs.RUNNING:
            self.execution.started(job, at)
        self.job_moved(job, at)

    def end_job(self, job: CustomJob, ending: Ending, at: float, reason: str | None) -> None:
        """End a job: release its replicas (starting queued jobs), tell the execution hook
        ``reason`` when the job was RUNNING (None: the hook knows already, as when it finished the
        job itself; a CANCELLING job was told at its cancel), then the job's owner."""
        running = job.state == jobs.RUNNING
        job.end(ending, at)
        if running and reason is not None:
            self.execution.stopped(job, reason, at)
        resource = self.registry.find(job.resource, PersistentResource) if job.resource else None
        if resource is not None:
            provisioned = dict(resource.provisioned)
            queued = job.name in resource.queue
            resource.queue.remove(job.name)
            if resource.release(job.name) or queued:
                self.start_waiting(resource, at)
            if resource.provisioned != provisioned:
                self.registry.mark(resource)
        self.job_moved(job, at)

    def _job(self, name: str) -> CustomJob:
        return self.registry.get(name, CustomJob, "CustomJob")

    @api
    def get_job(self, name: str) -> CustomJob:
        return self._job(name)

    @api
    def list_jobs(
        self, parent: str, filter_text: str | None, size: str | None, token: str | None
    ) -> tuple[list[CustomJob], str]:
        return self.job_page(parent, COLLECTION, filter_text, size, token)

    @api
    def cancel_job(self, name: str) -> None:
        job = self._job(name)
        if job.terminal:
            raise failed_precondition(f'CustomJob "{name}" is already {job.state} and cannot be cancelled.')
        if job.state == jobs.CANCELLING:
            return
        now = self.clock.now()
        if job.waiting and job.resource:
            resource = self.registry.find(job.resource, PersistentResource)
            if resource is not None and name in resource.queue:
                resource.queue.remove(name)
                self.start_waiting(resource, now)
        started = job.state == jobs.RUNNING
        job.next_at = self.schedule(name, job.cancel(now, self.settings.cancel_delay))
        if started:
            self.execution.stopped(job, hooks.CANCELLED, now)
        self.job_moved(job, now)

    @api
    def finish_job(self, name: str, state: str, error: dict[str, Any] | None = None) -> CustomJob:
        """End a started job now, as its runner saw it end: SUCCEEDED, FAILED (with a
        google.rpc.Status) or CANCELLED (a job being cancelled). Releases its replicas and tells
        its owner like any other end; the execution hook is not told."""
        job = self._job(name)
        if job.state not in (jobs.RUNNING, jobs.CANCELLING):
            raise failed_precondition(f'CustomJob "{name}" is {job.state}; only a started job can be finished.')
        if state == jobs.CANCELLED:
            ending = Ending(jobs.CANCELLED, error or jobs.CANCELLED_ERROR)
        else:
            outcome = jobs.check_outcome(state, error)
            ending = Ending(outcome["state"], outcome.get("error"))
        self.end_job(job, ending, self.clock.now(), None)
        return job

    @api
    def delete_job(self, name: str, version: str) -> Operation:
        return self.delete_ended(self._job(name), "CustomJob", version)
