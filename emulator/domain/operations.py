"""Long-running operations: what api_core's ``operation.result()`` polls.

An operation remembers the API version that started it, because the SDK polls ``/ui/...`` in
either case and unpacks the response by its exact ``@type``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_emulator.clock import rfc3339

CREATE_RESOURCE = "CreatePersistentResourceOperationMetadata"
UPDATE_RESOURCE = "UpdatePersistentResourceOperationMetadata"
REBOOT_RESOURCE = "RebootPersistentResourceOperationMetadata"
DELETE = "DeleteOperationMetadata"
EMPTY = "google.protobuf.Empty"
PERSISTENT_RESOURCE = "PersistentResource"

PROGRESS = {
    CREATE_RESOURCE: "Provisioning the persistent resource.",
    UPDATE_RESOURCE: "Updating the persistent resource.",
    REBOOT_RESOURCE: "Rebooting the persistent resource.",
}


@dataclass(slots=True)
class Operation:
    name: str
    metadata_type: str
    response_type: str
    version: str
    target: str
    seq: int
    create_time: float
    update_time: float
    done: bool = False
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def finish(self, now: float, response: dict[str, Any] | None = None, error: dict[str, Any] | None = None) -> None:
        self.done = True
        self.update_time = now
        self.response = response
        self.error = error

    def _progress(self) -> str:
        """The reboot page says the progress message "populates with an error status if one occurs"."""
        if not self.done:
            return PROGRESS[self.metadata_type]
        return str(self.error.get("message", "Failed.")) if self.error else "Done."

    def render(self, type_url: Any) -> dict[str, Any]:
        """The Operation message; ``type_url(version, message)`` builds the ``@type`` strings."""
        metadata: dict[str, Any] = {
            "@type": type_url(self.version, self.metadata_type),
            "genericMetadata": {
                "createTime": rfc3339(self.create_time),
                "updateTime": rfc3339(self.update_time),
            },
        }
        if self.metadata_type in PROGRESS:
            metadata["progressMessage"] = self._progress()
        body: dict[str, Any] = {"name": self.name, "metadata": metadata}
        if self.done:
            body["done"] = True
            if self.error is not None:
                body["error"] = self.error
            else:
                body["response"] = {"@type": type_url(self.version, self.response_type), **(self.response or {})}
        return body
