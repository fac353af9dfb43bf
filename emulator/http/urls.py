"""Every route of the emulator, in one table: the app is built from it (and so is its description).

``<rid>`` segments use the ``id`` converter (no ``/`` and no ``:``), so ``name:verb`` custom
methods route the way Google's HTTP rules do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.http import api, control, ui


@dataclass(frozen=True)
class Route:
    rule: str
    methods: tuple[str, ...]
    view: Callable[..., object]
    summary: str


_VERSION = "<any(v1, v1beta1):version>"
_OPS = "<any(v1, v1beta1, ui):prefix>"
_LOCATION = "projects/<id:project>/locations/<id:location>"
_RESOURCES = f"/{_VERSION}/{_LOCATION}/persistentResources"
_JOBS = f"/{_VERSION}/{_LOCATION}/customJobs"

_OPERATION_PARENTS = (
    f"/{_OPS}/{_LOCATION}",
    f"/{_OPS}/{_LOCATION}/<any(persistentResources, customJobs):collection>/<id:owner>",
)


def _operation_routes() -> list[Route]:
    routes = []
    for parent in _OPERATION_PARENTS:
        routes += [
            Route(f"{parent}/operations", ("GET",), api.list_operations, "ListOperations"),
            Route(f"{parent}/operations/<id:operation>", ("GET",), api.get_operation, "GetOperation"),
            Route(f"{parent}/operations/<id:operation>", ("DELETE",), api.delete_operation, "DeleteOperation"),
            Route(f"{parent}/operations/<id:operation>:wait", ("POST",), api.wait_operation, "WaitOperation"),
            Route(f"{parent}/operations/<id:operation>:cancel", ("POST",), api.cancel_operation, "CancelOperation"),
        ]
    return routes


ROUTES: list[Route] = [
    Route(_RESOURCES, ("POST",), api.create_resource, "CreatePersistentResource"),
    Route(_RESOURCES, ("GET",), api.list_resources, "ListPersistentResources"),
    Route(f"{_RESOURCES}/<id:resource>", ("GET",), api.get_resource, "GetPersistentResource"),
    Route(f"{_RESOURCES}/<id:resource>", ("PATCH",), api.update_resource, "UpdatePersistentResource"),
    Route(f"{_RESOURCES}/<id:resource>", ("DELETE",), api.delete_resource, "DeletePersistentResource"),
    Route(f"{_RESOURCES}/<id:resource>:reboot", ("POST",), api.reboot_resource, "RebootPersistentResource"),
    Route(_JOBS, ("POST",), api.create_job, "CreateCustomJob"),
    Route(_JOBS, ("GET",), api.list_jobs, "ListCustomJobs"),
    Route(f"{_JOBS}/<id:job>", ("GET",), api.get_job, "GetCustomJob"),
    Route(f"{_JOBS}/<id:job>", ("DELETE",), api.delete_job, "DeleteCustomJob"),
    Route(f"{_JOBS}/<id:job>:cancel", ("POST",), api.cancel_job, "CancelCustomJob"),
    *_operation_routes(),
    Route("/", ("GET",), ui.page, "WebPage"),
    Route("/emulator/ui/", ("GET",), ui.page, "WebPage"),
    Route("/emulator/ui/<asset>", ("GET",), ui.asset, "WebPageAsset"),
    Route("/emulator/v1/health", ("GET",), control.health, "Health"),
    Route("/emulator/v1/clock", ("GET",), control.get_clock, "GetClock"),
    Route("/emulator/v1/clock:advance", ("POST",), control.advance_clock, "AdvanceClock"),
    Route("/emulator/v1/overview", ("GET",), control.overview, "Overview"),
    Route("/emulator/v1/reset", ("POST",), control.reset, "Reset"),
    Route("/emulator/v1/seed", ("POST",), control.seed, "Seed"),
    Route("/emulator/v1/state", ("GET",), control.get_state, "ExportState"),
    Route("/emulator/v1/state", ("PUT",), control.put_state, "ImportState"),
    Route(
        f"/emulator/v1/{_LOCATION}/customJobs/<id:job>:setOutcome",
        ("POST",),
        control.set_outcome,
        "SetJobOutcome",
    ),
]
