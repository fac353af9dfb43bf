"""The calls on persistent resources, and a resource's timed transitions."""

from __future__ import annotations

from typing import Any

from vertex_emulator import names
from vertex_emulator.core import hooks
from vertex_emulator.core.base import Core, api
from vertex_emulator.domain import jobs, operations, resources
from vertex_emulator.domain.jobs import CustomJob, Ending
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.domain.validation import copy_json
from vertex_emulator.errors import ApiError, Code, already_exists, failed_precondition

COLLECTION = "persistentResources"


class ResourceCalls(Core):
    @api
    def create_resource(self, parent: str, resource_id: str, body: dict[str, Any], version: str) -> Operation:
        names.scope_of_parent(parent)
        spec = resources.normalize(copy_json(body), resource_id or "")
        name = names.child(parent, COLLECTION, resource_id)
        if self.registry.find(name) is not None:
            raise already_exists("PersistentResource", name)
        now = self.clock.now()
        resource = PersistentResource(
            name=name, spec=spec, version=version, seq=self.next_seq(), create_time=now, update_time=now
        )
        self.registry.add(resource)
        operation = self.new_operation(name, operations.CREATE_RESOURCE, operations.PERSISTENT_RESOURCE, version, name)
        self._begin(resource, resources.PROVISIONING, self.settings.provision_delay, operation, now)
        return operation

    @api
    def seed_resource(self, parent: str, resource_id: str, body: dict[str, Any]) -> PersistentResource:
        """Create a resource that is RUNNING at once, as fixtures describe resources that exist."""
        operation = self.create_resource(parent, resource_id, body, "v1")
        resource = self._resource(operation.target)
        resource.next_at = None
        self.resource_step(resource, resource.create_time)
        return resource

    def _begin(self, resource: PersistentResource, state: str, delay: float, operation: Operation, now: float) -> None:
        resource.next_at = self.schedule(resource.name, resource.begin(state, now, delay, operation.name))
        self.registry.mark(resource)

    def resource_step(self, resource: PersistentResource, at: float) -> None:
        self.registry.mark(resource)
        if resource.state == resources.STOPPING:
            self.registry.remove(resource)
            self._finish_operations(resource, at, {})
            return
        resource.settle(at)
        self._finish_operations(resource, at, resource.render())
        self.start_waiting(resource, at)

    def _finish_operations(
        self,
        resource: PersistentResource,
        at: float,
        response: dict[str, Any] | None,
        error: dict[str, Any] | None = None,
    ) -> None:
        for name in resource.operations:
            operation = self.registry.find(name, Operation)
            if operation is not None and not operation.done:
                operation.finish(at, response, error)
                self.registry.mark(operation)
        resource.operations.clear()

    def _resource(self, name: str) -> PersistentResource:
        return self.registry.get(name, PersistentResource, "PersistentResource")

    @api
    def get_resource(self, name: str) -> PersistentResource:
        return self._resource(name)

    @api
    def list_resources(self, parent: str, size: str | None, token: str | None) -> tuple[list[PersistentResource], str]:
        return self.registry.page(names.scope_of_parent(parent), COLLECTION, (parent,), size, token)

    @api
    def update_resource(self, name: str, body: dict[str, Any], mask: str, version: str) -> Operation:
        resources.check_update_mask(mask)
        resource = self._resource(name)
        if resource.state != resources.RUNNING:
            raise failed_precondition(
                f'Persistent resource "{name}" is {resource.state}; only a RUNNING one can be updated.'
            )
        resource.set_pools(resource.apply_replica_counts(copy_json(body)))
        operation = self.new_operation(name, operations.UPDATE_RESOURCE, operations.PERSISTENT_RESOURCE, version, name)
        self._begin(resource, resources.UPDATING, self.settings.update_delay, operation, self.clock.now())
        return operation

    @api
    def reboot_resource(self, name: str, version: str) -> Operation:
        resource = self._resource(name)
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
        operation = self.new_operation(name, operations.REBOOT_RESOURCE, operations.PERSISTENT_RESOURCE, version, name)
        self._begin(resource, resources.REBOOTING, self.settings.reboot_delay, operation, self.clock.now())
        return operation

    @api
    def delete_resource(self, name: str, version: str) -> Operation:
        resource = self._resource(name)
        if resource.state in (resources.PROVISIONING, resources.REBOOTING, resources.STOPPING):
            raise failed_precondition(f'Persistent resource "{name}" is {resource.state} and cannot be deleted now.')
        now = self.clock.now()
        resource.state = resources.STOPPING
        ending = Ending(
            jobs.CANCELLED,
            {"code": 1, "message": f'The persistent resource "{name}" was deleted, so the job was cancelled.'},
        )
        for job_name in resource.jobs:
            job = self.registry.find(job_name, CustomJob)
            if job is not None and not job.terminal:
                self.end_job(job, ending, now, hooks.RESOURCE_DELETED)
        interrupted = ApiError(
            Code.CANCELLED, f'The persistent resource "{name}" was deleted before the operation finished.'
        )
        self._finish_operations(resource, now, None, interrupted.to_status(http=False))
        operation = self.new_operation(name, operations.DELETE, operations.EMPTY, version, name)
        self._begin(resource, resources.STOPPING, self.settings.delete_delay, operation, now)
        return operation
