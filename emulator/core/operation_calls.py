"""The calls on long-running operations."""

from __future__ import annotations

import time

from vertex_emulator import names
from vertex_emulator.clock import is_manual
from vertex_emulator.core.base import Core, api
from vertex_emulator.domain.operations import Operation
from vertex_emulator.errors import not_found

MAX_WAIT_SECONDS = 60.0


class OperationCalls(Core):
    def _operation(self, name: str) -> Operation:
        """By its full name, or by ``projects/P/locations/L/operations/ID`` as gcloud names any one."""
        operation = self.registry.find(name, Operation)
        suffix = names.short_operation(name) if operation is None else None
        if suffix is not None:
            scope = self.registry.scopes.get(names.scope_of(name))
            found = scope.of(names.OPERATIONS).values() if scope else ()
            operation = next((op for op in found if op.name.endswith(suffix)), None)
        if operation is None:
            raise not_found("Operation", name)
        return operation

    @api
    def get_operation(self, name: str) -> Operation:
        return self._operation(name)

    @api
    def list_operations(self, parent: str, size: str | None, token: str | None) -> tuple[list[Operation], str]:
        scope = names.scope_of(names.child(parent, names.OPERATIONS, "x"))
        location = names.parent_of(scope)
        keep = None if parent == location else (lambda op: op.target == parent)
        return self.registry.page(scope, names.OPERATIONS, (parent,), size, token, keep)

    @api
    def cancel_operation(self, name: str) -> None:
        """Cancellation is best effort on the real service; here it never stops a transition."""
        self._operation(name)

    @api
    def delete_operation(self, name: str) -> None:
        self.registry.remove(self._operation(name))

    def wait_operation(self, name: str, timeout: float | None) -> Operation:
        """Return once the operation is done or ``timeout`` seconds of real time have passed.

        Not an ``api`` call: it waits on a condition that releases the lock between looks. Like
        one, it settles (commits what the transitions it ran changed) once the lock is released.
        """
        limit = MAX_WAIT_SECONDS if timeout is None else min(timeout, MAX_WAIT_SECONDS)
        try:
            with self.lock:
                deadline = time.monotonic() + limit
                while True:
                    self._catch_up()
                    operation = self._operation(name)
                    left = deadline - time.monotonic()
                    if operation.done or left <= 0:
                        return operation
                    self.changed.wait(min(left, self._until_next_event()))
        finally:
            self.settle()

    def _until_next_event(self) -> float:
        due = self.timeline.next()
        if is_manual(self.clock) or due is None:
            return MAX_WAIT_SECONDS
        return max(0.001, due - self.clock.now())
