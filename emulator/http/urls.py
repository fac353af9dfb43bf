"""Every route of the emulator, in one table: the app is built from it (and so is its description).

``<rid>`` segments use the ``id`` converter (no ``/`` and no ``:``), so ``name:verb`` custom
methods route the way Google's HTTP rules do. Each route also declares what the request hooks and
the OpenAPI description need (``routes.Route``): its surface (real API, control API, web page),
the IAM permission it checks, the query parameters it binds by proto field name (any other is
refused before the view runs) and the message its body carries.
"""

from __future__ import annotations

from collections.abc import Callable

from vertex_emulator import iam
from vertex_emulator.http import api, control, faults, logging_api, openapi, pipelines, tuning, ui
from vertex_emulator.http.routes import Route, Surface
from vertex_emulator.versions import VERSIONS

_VERSION = f"<any({', '.join(VERSIONS)}):version>"
_OPS = f"<any({', '.join(VERSIONS)}, ui):prefix>"
_LOCATION = "projects/<id:project>/locations/<id:location>"
_RESOURCES = f"/{_VERSION}/{_LOCATION}/persistentResources"
_JOBS = f"/{_VERSION}/{_LOCATION}/customJobs"
_PIPELINES = f"/{_VERSION}/{_LOCATION}/trainingPipelines"
_MODELS = f"/{_VERSION}/{_LOCATION}/models"
_TUNING = f"/{_VERSION}/{_LOCATION}/hyperparameterTuningJobs"
_TUNING_PERMISSION = "aiplatform.hyperparameterTuningJobs."

_OPERATION_PARENTS = (
    f"/{_OPS}/{_LOCATION}",
    f"/{_OPS}/{_LOCATION}/<any(persistentResources, customJobs):collection>/<id:owner>",
)


def _control(rule: str, method: str, view: Callable[..., object], summary: str) -> Route:
    """A route of the control API: no IAM permission, no query parameter, never faulted."""
    return Route(rule, (method,), view, summary, surface=Surface.CONTROL)


def _operation_routes() -> list[Route]:
    routes = []
    for parent in _OPERATION_PARENTS:
        routes += [
            Route(
                f"{parent}/operations",
                ("GET",),
                api.list_operations,
                "ListOperations",
                iam.OPERATIONS_LIST,
                ("filter", "page_size", "page_token", "return_partial_success"),
            ),
            Route(
                f"{parent}/operations/<id:operation>", ("GET",), api.get_operation, "GetOperation", iam.OPERATIONS_LIST
            ),
            Route(
                f"{parent}/operations/<id:operation>",
                ("DELETE",),
                api.delete_operation,
                "DeleteOperation",
                iam.OPERATIONS_DELETE,
            ),
            Route(
                f"{parent}/operations/<id:operation>:wait",
                ("POST",),
                api.wait_operation,
                "WaitOperation",
                iam.OPERATIONS_LIST,
                ("timeout",),
            ),
            Route(
                f"{parent}/operations/<id:operation>:cancel",
                ("POST",),
                api.cancel_operation,
                "CancelOperation",
                iam.OPERATIONS_CANCEL,
            ),
        ]
    return routes


def _pipeline_routes() -> list[Route]:
    """PipelineService's training pipelines and the ModelService reads of the models they upload."""
    return [
        Route(
            _PIPELINES,
            ("POST",),
            pipelines.create_pipeline,
            "CreateTrainingPipeline",
            "aiplatform.trainingPipelines.create",
            body="TrainingPipeline",
        ),
        Route(
            _PIPELINES,
            ("GET",),
            pipelines.list_pipelines,
            "ListTrainingPipelines",
            "aiplatform.trainingPipelines.list",
            ("filter", "page_size", "page_token", "read_mask"),
        ),
        Route(
            f"{_PIPELINES}/<id:pipeline>",
            ("GET",),
            pipelines.get_pipeline,
            "GetTrainingPipeline",
            "aiplatform.trainingPipelines.get",
        ),
        Route(
            f"{_PIPELINES}/<id:pipeline>",
            ("DELETE",),
            pipelines.delete_pipeline,
            "DeleteTrainingPipeline",
            "aiplatform.trainingPipelines.delete",
        ),
        Route(
            f"{_PIPELINES}/<id:pipeline>:cancel",
            ("POST",),
            pipelines.cancel_pipeline,
            "CancelTrainingPipeline",
            "aiplatform.trainingPipelines.cancel",
        ),
        Route(
            _MODELS,
            ("GET",),
            pipelines.list_models,
            "ListModels",
            "aiplatform.models.list",
            ("filter", "page_size", "page_token", "read_mask"),
        ),
        Route(f"{_MODELS}/<id:model>", ("GET",), pipelines.get_model, "GetModel", "aiplatform.models.get"),
        Route(
            f"{_MODELS}/<id:model>:listVersions",
            ("GET",),
            pipelines.list_model_versions,
            "ListModelVersions",
            "aiplatform.models.list",
            ("page_size", "page_token", "read_mask"),
        ),
    ]


def _tuning_routes() -> list[Route]:
    """HyperparameterTuningJob calls (``job_service.proto``), each under its own permission."""
    return [
        Route(
            _TUNING,
            ("POST",),
            tuning.create,
            "CreateHyperparameterTuningJob",
            _TUNING_PERMISSION + "create",
            body="HyperparameterTuningJob",
        ),
        Route(
            _TUNING,
            ("GET",),
            tuning.list_jobs,
            "ListHyperparameterTuningJobs",
            _TUNING_PERMISSION + "list",
            ("filter", "page_size", "page_token", "read_mask"),
        ),
        Route(f"{_TUNING}/<id:job>", ("GET",), tuning.get, "GetHyperparameterTuningJob", _TUNING_PERMISSION + "get"),
        Route(
            f"{_TUNING}/<id:job>",
            ("DELETE",),
            tuning.delete,
            "DeleteHyperparameterTuningJob",
            _TUNING_PERMISSION + "delete",
        ),
        Route(
            f"{_TUNING}/<id:job>:cancel",
            ("POST",),
            tuning.cancel,
            "CancelHyperparameterTuningJob",
            _TUNING_PERMISSION + "cancel",
        ),
    ]


ROUTES: list[Route] = [
    Route(
        _RESOURCES,
        ("POST",),
        api.create_resource,
        "CreatePersistentResource",
        "aiplatform.persistentResources.create",
        ("persistent_resource_id",),
        "PersistentResource",
    ),
    Route(
        _RESOURCES,
        ("GET",),
        api.list_resources,
        "ListPersistentResources",
        "aiplatform.persistentResources.list",
        ("page_size", "page_token"),
    ),
    Route(
        f"{_RESOURCES}/<id:resource>",
        ("GET",),
        api.get_resource,
        "GetPersistentResource",
        "aiplatform.persistentResources.get",
    ),
    Route(
        f"{_RESOURCES}/<id:resource>",
        ("PATCH",),
        api.update_resource,
        "UpdatePersistentResource",
        "aiplatform.persistentResources.update",
        ("update_mask",),
        "PersistentResource",
    ),
    Route(
        f"{_RESOURCES}/<id:resource>",
        ("DELETE",),
        api.delete_resource,
        "DeletePersistentResource",
        "aiplatform.persistentResources.delete",
    ),
    Route(
        f"{_RESOURCES}/<id:resource>:reboot",
        ("POST",),
        api.reboot_resource,
        "RebootPersistentResource",
        "aiplatform.persistentResources.update",
    ),
    Route(_JOBS, ("POST",), api.create_job, "CreateCustomJob", "aiplatform.customJobs.create", body="CustomJob"),
    Route(
        _JOBS,
        ("GET",),
        api.list_jobs,
        "ListCustomJobs",
        "aiplatform.customJobs.list",
        ("filter", "page_size", "page_token", "read_mask"),
    ),
    Route(f"{_JOBS}/<id:job>", ("GET",), api.get_job, "GetCustomJob", "aiplatform.customJobs.get"),
    Route(f"{_JOBS}/<id:job>", ("DELETE",), api.delete_job, "DeleteCustomJob", "aiplatform.customJobs.delete"),
    Route(f"{_JOBS}/<id:job>:cancel", ("POST",), api.cancel_job, "CancelCustomJob", "aiplatform.customJobs.cancel"),
    *_pipeline_routes(),
    *_tuning_routes(),
    *_operation_routes(),
    Route("/v2/entries:list", ("POST",), logging_api.entries_list, "ListLogEntries", surface=Surface.LOGGING),
    Route("/", ("GET",), ui.page, "WebPage", media="text/html", surface=Surface.PAGE),
    Route("/emulator/ui/", ("GET",), ui.page, "WebPage", media="text/html", surface=Surface.PAGE),
    Route("/emulator/ui/<asset>", ("GET",), ui.asset, "WebPageAsset", media="text/*", surface=Surface.PAGE),
    _control("/emulator/v1/health", "GET", control.health, "Health"),
    _control("/emulator/v1/clock", "GET", control.get_clock, "GetClock"),
    _control("/emulator/v1/clock:advance", "POST", control.advance_clock, "AdvanceClock"),
    _control("/emulator/v1/overview", "GET", control.overview, "Overview"),
    _control("/emulator/v1/reset", "POST", control.reset, "Reset"),
    _control("/emulator/v1/seed", "POST", control.seed, "Seed"),
    _control("/emulator/v1/state", "GET", control.get_state, "ExportState"),
    _control("/emulator/v1/state", "PUT", control.put_state, "ImportState"),
    _control("/emulator/v1/storage", "GET", control.get_storage, "GetStorage"),
    _control(f"/emulator/v1/{_LOCATION}/customJobs/<id:job>:setOutcome", "POST", control.set_outcome, "SetJobOutcome"),
    _control(
        f"/emulator/v1/{_LOCATION}/trainingPipelines/<id:pipeline>:setOutcome",
        "POST",
        pipelines.set_outcome,
        "SetPipelineOutcome",
    ),
    _control(
        f"/emulator/v1/{_LOCATION}/hyperparameterTuningJobs/<id:job>/trials", "GET", tuning.trials, "ListTrialsView"
    ),
    _control(
        f"/emulator/v1/{_LOCATION}/persistentResources/<id:resource>:setOutcome",
        "POST",
        control.set_resource_outcome,
        "SetPersistentResourceOutcome",
    ),
    _control(
        f"/emulator/v1/{_LOCATION}/hyperparameterTuningJobs/<id:job>/trials/<id:trial>:setOutcome",
        "POST",
        tuning.set_trial_outcome,
        "SetTrialOutcome",
    ),
    _control("/emulator/v1/openapi.json", "GET", openapi.openapi, "OpenApi"),
    _control("/emulator/v1/faults", "GET", faults.list_faults, "ListFaults"),
    _control("/emulator/v1/faults", "POST", faults.add_fault, "AddFault"),
    _control("/emulator/v1/faults", "DELETE", faults.clear_faults, "ClearFaults"),
]
