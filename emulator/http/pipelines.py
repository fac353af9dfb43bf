"""Views of training pipelines (PipelineService) and models (ModelService): thin translations."""

from __future__ import annotations

from typing import Any

from flask import Response

from vertex_emulator import names, wire
from vertex_emulator.domain.models import Model
from vertex_emulator.domain.pipelines import TrainingPipeline
from vertex_emulator.http import control
from vertex_emulator.http.api import list_query, listed
from vertex_emulator.http.authz import authorize_act_as
from vertex_emulator.http.rendering import converted, operation_json, record_json, reply
from vertex_emulator.http.request import json_body, service


def _pipeline_json(pipeline: TrainingPipeline, version: str) -> dict[str, Any]:
    return record_json(pipeline, "TrainingPipeline", version)


def _model_json(model: Model, version: str, model_version: str | None = None) -> dict[str, Any]:
    with service().lock:
        body = model.render(model_version)
    return converted(body, "Model", model.version, version)


def create_pipeline(version: str, project: str, location: str) -> Response:
    body = wire.parse(version, "TrainingPipeline", json_body())
    inputs = body.get("trainingTaskInputs")
    if isinstance(inputs, dict):
        authorize_act_as(inputs.get("service_account") or inputs.get("serviceAccount"))
    return reply(_pipeline_json(service().create_pipeline(names.parent(project, location), body, version), version))


def list_pipelines(version: str, project: str, location: str) -> Response:
    found, token = service().list_pipelines(*list_query(project, location))
    return listed("trainingPipelines", [_pipeline_json(pipeline, version) for pipeline in found], token)


def _pipeline_name(project: str, location: str, pipeline: str) -> str:
    return names.child(names.parent(project, location), "trainingPipelines", pipeline)


def get_pipeline(version: str, project: str, location: str, pipeline: str) -> Response:
    return reply(_pipeline_json(service().get_pipeline(_pipeline_name(project, location, pipeline)), version))


def cancel_pipeline(version: str, project: str, location: str, pipeline: str) -> Response:
    json_body()
    service().cancel_pipeline(_pipeline_name(project, location, pipeline))
    return reply({})


def delete_pipeline(version: str, project: str, location: str, pipeline: str) -> Response:
    return reply(operation_json(service().delete_pipeline(_pipeline_name(project, location, pipeline), version)))


def set_outcome(project: str, location: str, pipeline: str) -> Response:
    """The control API's ``:setOutcome`` of a pipeline: its backing job's outcome."""
    return control.outcome_of(_pipeline_name(project, location, pipeline))


def get_model(version: str, project: str, location: str, model: str) -> Response:
    found, model_version = service().get_model(names.child(names.parent(project, location), "models", model))
    return reply(_model_json(found, version, model_version))


def list_models(version: str, project: str, location: str) -> Response:
    found, token = service().list_models(*list_query(project, location))
    return listed("models", [_model_json(model, version) for model in found], token)


def list_model_versions(version: str, project: str, location: str, model: str) -> Response:
    """Every version of a model, oldest first, on one page (``pageSize`` is accepted and not needed here)."""
    found, _ = service().get_model(names.child(names.parent(project, location), "models", model))
    with service().lock:
        bodies = found.render_versions()
    return listed("models", [converted(body, "Model", found.version, version) for body in bodies], "")
