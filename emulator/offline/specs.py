"""Custom jobs and persistent resources read from dicts or files, in the shapes users already have.

A job may be the REST body of a CustomJob, or what ``gcloud ai custom-jobs create --config`` reads:
a CustomJobSpec with ``workerPoolSpecs`` at the top level, where gcloud also takes a single worker
pool written as a mapping; or a TrainingPipeline of the custom task (its REST body, or the SDK's
``TrainingPipeline.to_dict``), which stands for the backing job it would run. Keys may be
camelCase or snake_case: protobuf's JSON parser accepts both, so the official message types
decide what is valid (through ``vertex_emulator.wire``), not a schema of ours. What comes out is
the canonical proto3-JSON dict the emulator's domain reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from vertex_emulator import wire
from vertex_emulator.domain import pipelines
from vertex_emulator.errors import ApiError

Source = Mapping[str, Any] | str | Path
SPEC_KEYS = ("workerPoolSpecs", "worker_pool_specs")
DEFAULT_DISPLAY_NAME = "custom-job"


class SpecError(ValueError):
    """A job or resource that cannot be read, or is not a valid message; says where and why."""


def read_document(path: str | Path) -> Any:
    """One JSON or YAML document (JSON is YAML, but its errors read better from ``json``)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        return json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise SpecError(f"{file}: cannot be read: {error}") from None


def _load(source: Source, what: str) -> tuple[dict[str, Any], str]:
    if isinstance(source, Mapping):
        return dict(source), what
    data = read_document(source)
    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected an object, found {type(data).__name__}")
    return data, str(source)


def _parse(message: str, body: Mapping[str, Any], where: str) -> dict[str, Any]:
    try:
        return wire.parse("v1", message, body)
    except ApiError as error:
        raise SpecError(f"{where}: {error.message}") from None


def custom_job(
    source: Source, *, display_name: str | None = None, persistent_resource_id: str | None = None
) -> dict[str, Any]:
    """A canonical CustomJob from a REST body or a gcloud ``--config`` spec (dict or file).

    A gcloud spec has no display name: ``display_name``, else the file's stem, names the job.
    ``persistent_resource_id`` wins over the one in the spec, as gcloud's flag does.
    """
    data, where = _load(source, "the custom job")
    if any(key in data for key in SPEC_KEYS):
        stem = DEFAULT_DISPLAY_NAME if isinstance(source, Mapping) else Path(source).stem
        data = {"displayName": display_name or stem, "jobSpec": data}
    elif display_name:
        data["displayName"] = display_name
    job_spec = data.get("jobSpec", data.get("job_spec"))
    if isinstance(job_spec, dict):
        job_spec = dict(job_spec)
        for key in SPEC_KEYS:
            if isinstance(job_spec.get(key), Mapping):
                job_spec[key] = [job_spec[key]]
        data = {key: value for key, value in data.items() if key != "job_spec"} | {"jobSpec": job_spec}
    job = _parse("CustomJob", data, where)
    if persistent_resource_id:
        job.setdefault("jobSpec", {})["persistentResourceId"] = persistent_resource_id
    return job


def job_or_pipeline(source: Source) -> dict[str, Any]:
    """What ``check`` reads: a CustomJob as :func:`custom_job` does, or a canonical TrainingPipeline.

    A pipeline is only parsed here; the check reads its backing job out of it with the service's
    own rules, so what is wrong with it is a refusal in the service's words.
    """
    data, where = _load(source, "the custom job or training pipeline")
    if pipelines.is_training_pipeline(data):
        return _parse("TrainingPipeline", data, where)
    return custom_job(data if isinstance(source, Mapping) else source)


def persistent_resource(source: Source) -> dict[str, Any]:
    """A canonical PersistentResource from a REST body, or ``gcloud ... describe`` output."""
    data, where = _load(source, "the persistent resource")
    return _parse("PersistentResource", data, where)
