"""Failed provisioning: a persistent resource's transition made to end in ERROR, as the real one can.

``set_resource_outcome`` (``POST /emulator/v1/{resource}:setOutcome``) decides that the transition
under way (PROVISIONING, UPDATING or REBOOTING) ends in ERROR with a google.rpc.Status, now, at an
instant, or some seconds after the transition began. The resource then shows the error, its
operations end with it, the jobs on it fail, it refuses new jobs (it is not RUNNING) and it can be
deleted at once, as the real service's can.
"""

from __future__ import annotations

from typing import Any

from vertex_emulator.clock import parse_rfc3339
from vertex_emulator.core import hooks
from vertex_emulator.core.base import Core, api
from vertex_emulator.domain import jobs, resources
from vertex_emulator.domain.jobs import CustomJob, Ending
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import bad_field, failed_precondition


class ResourceOutcomeCalls(Core):
    @api
    def set_resource_outcome(
        self, name: str, state: str, error: dict[str, Any] | None, at: str | None, after: float | None
    ) -> PersistentResource:
        resource = self.resource(name)
        if resource.state not in resources.FAILING:
            raise failed_precondition(
                f'Persistent resource "{name}" is {resource.state}; only a {", ".join(resources.FAILING)} one '
                "can be made to fail (the outcome decides how that state ends)."
            )
        outcome = resources.check_resource_outcome(state, error)
        now = self.clock.now()
        due = now
        if at is not None:
            try:
                due = max(parse_rfc3339(at), now)
            except ValueError:
                raise bad_field("at", f"at must be an RFC 3339 timestamp, not {at!r}.") from None
        elif after is not None:
            if after < 0:
                raise bad_field("after", "after must not be negative.")
            due = max(resource.update_time + after, now)
        resource.outcome = outcome
        resource.next_at = self.schedule(name, due)
        self.registry.mark(resource)
        if due <= now:
            self._catch_up(notify=False)
        return resource

    def fail_resource(self, resource: PersistentResource, at: float) -> None:
        """The transition ends in ERROR: the resource, its operations and the jobs on it take the error."""
        outcome = resource.outcome or resources.check_resource_outcome(resources.ERROR, None)
        resource.outcome = None
        resource.state = resources.ERROR
        resource.error = outcome["error"]
        resource.update_time = at
        self.registry.mark(resource)
        self._finish_operations(resource, at, None, resource.error)
        failed = Ending(
            jobs.FAILED,
            {
                "code": resource.error["code"],
                "message": f'The persistent resource "{resource.name}" failed, so the job failed: '
                f"{resource.error.get('message', '')}",
            },
        )
        for job_name in resource.jobs:
            job = self.registry.find(job_name, CustomJob)
            if job is not None and not job.terminal:
                self.end_job(job, failed, at, hooks.RESOURCE_FAILED)
