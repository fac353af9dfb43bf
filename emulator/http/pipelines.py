"""Views of training pipelines (PipelineService) and models (ModelService): thin translations."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from vertex_emulator import names, wire
from vertex_emulator.domain.models import Model
from vertex_emulator.domain.pipelines import TrainingPipeline
from vertex_emulator.http.api import apply_read_mask, service
from vertex_emulator.http.authz import authorize_act_as
from vertex_emulator.http.rendering import json_body, reply
from vertex_emulator.service import convert_for


def _pipeline_json(pipeline: TrainingPipeline, version: str) -> dict[str, Any]:
    return convert_for(version, "TrainingPipeline", service().rendered(pipeline), pipeline.version)


def _model_json(model: Model, version: str, model_version: str | None = None) -> dict[str, Any]:
    with service().lock:
        body = model.render(model_version)
    return convert_for(version, "Model", body, model.version)


def _page(key: str, items: list[dict[str, Any]], token: str) -> Response:
    """A list answer; a ``readMask`` keeps only the fields it names, as on custom jobs."""
    mask = request.args.get("readMask")
    body: dict[str, Any] = {key: [apply_read_mask(item, mask) for item in items] if mask else items}
    if token:
        body["nextPageToken"] = token
    return reply(body)


def create_pipeline(version: str, project: str, location: str) -> Response:
    body = wire.parse(version, "TrainingPipeline", json_body())
    inputs = body.get("trainingTaskInputs")
    if isinstance(inputs, dict):
        authorize_act_as(inputs.get("service_account") or inputs.get("serviceAccount"))
    return reply(_pipeline_json(service().create_pipeline(names.parent(project, location), body, version), version))


def _query(project: str, location: str) -> tuple[str, str | None, str | None, str | None]:
    """A list call's parent, ``filter``, ``pageSize`` and ``pageToken``."""
    args = request.args
    return names.parent(project, location), args.get("filter"), args.get("pageSize"), args.get("pageToken")


def list_pipelines(version: str, project: str, location: str) -> Response:
    found, token = service().list_pipelines(*_query(project, location))
    return _page("trainingPipelines", [_pipeline_json(pipeline, version) for pipeline in found], token)


def _pipeline_name(project: str, location: str, pipeline: str) -> str:
    return f"{names.parent(project, location)}/trainingPipelines/{pipeline}"


def get_pipeline(version: str, project: str, location: str, pipeline: str) -> Response:
    return reply(_pipeline_json(service().get_pipeline(_pipeline_name(project, location, pipeline)), version))


def cancel_pipeline(version: str, project: str, location: str, pipeline: str) -> Response:
    json_body()
    service().cancel_pipeline(_pipeline_name(project, location, pipeline))
    return reply({})


def delete_pipeline(version: str, project: str, location: str, pipeline: str) -> Response:
    return reply(
        service().render_operation(service().delete_pipeline(_pipeline_name(project, location, pipeline), version))
    )


def get_model(version: str, project: str, location: str, model: str) -> Response:
    found, model_version = service().get_model(f"{names.parent(project, location)}/models/{model}")
    return reply(_model_json(found, version, model_version))


def list_models(version: str, project: str, location: str) -> Response:
    found, token = service().list_models(*_query(project, location))
    return _page("models", [_model_json(model, version) for model in found], token)


def list_model_versions(version: str, project: str, location: str, model: str) -> Response:
    """Every version of a model, oldest first, on one page (``pageSize`` is accepted and not needed here)."""
    found, _ = service().get_model(f"{names.parent(project, location)}/models/{model}")
    with service().lock:
        bodies = found.render_versions()
    return _page("models", [convert_for(version, "Model", body, found.version) for body in bodies], "")
