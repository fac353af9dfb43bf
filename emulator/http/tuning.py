"""Views of hyperparameter tuning jobs: the real API's calls, and the control API's trial outcomes."""

from __future__ import annotations

from typing import Any

from flask import Response

from vertex_emulator import names, wire
from vertex_emulator.domain.tuning import HyperparameterTuningJob
from vertex_emulator.errors import bad_field
from vertex_emulator.http.api import list_query, listed
from vertex_emulator.http.authz import authorize_act_as
from vertex_emulator.http.control import after_seconds
from vertex_emulator.http.rendering import operation_json, record_json, reply
from vertex_emulator.http.request import json_body, service

MESSAGE = "HyperparameterTuningJob"


def _name(project: str, location: str, job: str) -> str:
    return names.child(names.parent(project, location), "hyperparameterTuningJobs", job)


def _json(record: HyperparameterTuningJob, version: str) -> dict[str, Any]:
    return record_json(record, MESSAGE, version)


def create(version: str, project: str, location: str) -> Response:
    body = wire.parse(version, MESSAGE, json_body())
    authorize_act_as(body.get("trialJobSpec", {}).get("serviceAccount"))
    found = service().create_tuning_job(names.parent(project, location), body, version)
    return reply(_json(found, version))


def list_jobs(version: str, project: str, location: str) -> Response:
    found, token = service().list_tuning_jobs(*list_query(project, location))
    return listed("hyperparameterTuningJobs", [_json(record, version) for record in found], token)


def get(version: str, project: str, location: str, job: str) -> Response:
    return reply(_json(service().get_tuning_job(_name(project, location, job)), version))


def cancel(version: str, project: str, location: str, job: str) -> Response:
    json_body()
    service().cancel_tuning_job(_name(project, location, job))
    return reply({})


def delete(version: str, project: str, location: str, job: str) -> Response:
    return reply(operation_json(service().delete_tuning_job(_name(project, location, job), version)))


# ------------------------------------------------------------------------ control API


def set_trial_outcome(project: str, location: str, job: str, trial: str) -> Response:
    """``{"metrics": {...}}`` or ``{"state": "INFEASIBLE", "infeasibleReason": "..."}``, with
    ``after`` (a duration of running) or ``at`` (an instant), as a job's outcome takes them."""
    body = json_body()
    seconds = after_seconds(body)
    reason = body.get("infeasibleReason")
    if reason is not None and not isinstance(reason, str):
        raise bad_field("infeasibleReason", "infeasibleReason must be a string.")
    name = _name(project, location, job)
    service().set_trial_outcome(name, trial, body.get("metrics"), body.get("state"), reason, body.get("at"), seconds)
    return reply({"trials": service().trial_view(name)})


def trials(project: str, location: str, job: str) -> Response:
    """The trials as the control API sees them: the replicas they hold, a stand-in measurement said so."""
    return reply({"trials": service().trial_view(_name(project, location, job))})
