"""Training pipelines of the custom task: the create request, its backing job, and the pipeline's life.

A ``TrainingPipeline`` whose ``trainingTaskDefinition`` is the custom task runs one backing
CustomJob (``training_pipeline.proto``; ``training-contract.md`` §2). Its ``trainingTaskInputs``
is a ``google.protobuf.Value`` holding a CustomJobSpec as the SDK writes it: snake_case keys, a
camelCase ``containerSpec`` inside, integers as floats. That Struct is parsed by the official
``CustomJobSpec`` type (``vertex_emulator.wire``), which takes both spellings, takes an integral
float for an integer and refuses a fractional one or an unknown key with the key's path.

The pipeline's state follows its job's, state for state (``JOB_STATE_X`` -> ``PIPELINE_STATE_X``),
and it carries the job's error. Its ``startTime`` is when the job started running, as
``TrainingPipeline.start_time`` is documented ("first entered PIPELINE_STATE_RUNNING").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_emulator import wire
from vertex_emulator.clock import rfc3339
from vertex_emulator.domain import jobs, models
from vertex_emulator.domain.record import Record
from vertex_emulator.domain.validation import MAX_DISPLAY_NAME, check_display_name, check_labels, strip
from vertex_emulator.errors import ApiError, FieldViolation, bad_field

CUSTOM_TASK = "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"

QUEUED = "PIPELINE_STATE_QUEUED"
PENDING = "PIPELINE_STATE_PENDING"
RUNNING = "PIPELINE_STATE_RUNNING"
SUCCEEDED = "PIPELINE_STATE_SUCCEEDED"
FAILED = "PIPELINE_STATE_FAILED"
CANCELLING = "PIPELINE_STATE_CANCELLING"
CANCELLED = "PIPELINE_STATE_CANCELLED"
PAUSED = "PIPELINE_STATE_PAUSED"
STATES = ("PIPELINE_STATE_UNSPECIFIED", QUEUED, PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLING, CANCELLED, PAUSED)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

FOLLOWS = {
    jobs.QUEUED: QUEUED,
    jobs.PENDING: PENDING,
    jobs.RUNNING: RUNNING,
    jobs.SUCCEEDED: SUCCEEDED,
    jobs.FAILED: FAILED,
    jobs.CANCELLING: CANCELLING,
    jobs.CANCELLED: CANCELLED,
    "JOB_STATE_PAUSED": PAUSED,
    "JOB_STATE_EXPIRED": FAILED,
}
"""The pipeline state that goes with each state of its backing job."""

TASK_INPUTS = "training_pipeline.training_task_inputs"
BACKING_JOB_SUFFIX = "-custom-job"
"""The real service names the backing job ``<pipeline display name>-custom-job`` (python-aiplatform issue 2997)."""

OUTPUT_ONLY = (
    "name",
    "state",
    "error",
    "createTime",
    "startTime",
    "endTime",
    "updateTime",
    "trainingTaskMetadata",
)


ENVELOPE_KEYS = frozenset(
    {"trainingTaskDefinition", "training_task_definition", "trainingTaskInputs", "training_task_inputs"}
)
"""Keys only a TrainingPipeline has: how a file or dict is told apart from a CustomJob."""


def is_training_pipeline(body: Any) -> bool:
    return isinstance(body, dict) and not ENVELOPE_KEYS.isdisjoint(body)


@dataclass(frozen=True)
class Request:
    """A checked create request: what the pipeline keeps, and what its backing job is created from."""

    spec: dict[str, Any]
    job: dict[str, Any]
    """The backing CustomJob's create body, checked by ``jobs.normalize`` (camelCase, effective disks)."""

    @property
    def resource_id(self) -> str | None:
        return self.job["jobSpec"].get("persistentResourceId") or None

    @property
    def model(self) -> dict[str, Any] | None:
        return self.spec.get("modelToUpload")


def normalize(body: dict[str, Any], version: str) -> Request:
    """Check a create request's canonical TrainingPipeline; raises INVALID_ARGUMENT naming the field.

    Everything a request can get wrong is found here, before the service makes any record, so a
    refused create leaves no pipeline and no job behind.
    """
    spec = strip(dict(body), OUTPUT_ONLY)
    check_display_name(spec, required=True)
    check_labels(spec)
    definition = spec.get("trainingTaskDefinition", "")
    if not definition:
        raise bad_field(
            "training_pipeline.training_task_definition", "training_pipeline.training_task_definition is required."
        )
    if definition != CUSTOM_TASK:
        raise bad_field(
            "training_pipeline.training_task_definition",
            f'Training task definition "{definition}" is not emulated: vertex-emulator runs only the custom '
            f'training task "{CUSTOM_TASK}" (AutoML tasks are not emulated).',
        )
    if (spec.get("inputDataConfig") or {}).get("datasetId"):
        raise bad_field(
            "training_pipeline.input_data_config.dataset_id",
            "Managed datasets are not emulated: vertex-emulator runs training pipelines without input_data_config.",
        )
    if "trainingTaskInputs" not in spec:
        raise bad_field(TASK_INPUTS, f"{TASK_INPUTS} is required.")
    job_spec = wire.parse_struct(version, "CustomJobSpec", spec["trainingTaskInputs"], TASK_INPUTS)
    job = _backing_job(spec, job_spec)
    if spec.get("modelToUpload") is not None:
        spec["modelToUpload"] = models.check_upload(spec["modelToUpload"], "training_pipeline.model_to_upload")
    if spec.get("modelId"):
        models.check_model_id(spec["modelId"], "training_pipeline.model_id")
    if (spec.get("modelId") or spec.get("parentModel")) and spec.get("modelToUpload") is None:
        raise bad_field(
            "training_pipeline.model_to_upload",
            "model_id and parent_model need a model_to_upload: a pipeline without one uploads no model.",
        )
    return Request(spec, job)


def _backing_job(spec: dict[str, Any], job_spec: dict[str, Any]) -> dict[str, Any]:
    """The CustomJob the pipeline runs, checked by the custom job's own rules, errors named from the pipeline."""
    job: dict[str, Any] = {
        "displayName": (spec["displayName"] + BACKING_JOB_SUFFIX)[:MAX_DISPLAY_NAME],
        "jobSpec": job_spec,
    }
    for key in ("labels", "encryptionSpec"):
        if key in spec:
            job[key] = spec[key]
    try:
        return jobs.normalize(job)
    except ApiError as error:
        raise _from_task_inputs(error) from None


def _from_task_inputs(error: ApiError) -> ApiError:
    """A custom job's field error re-expressed at ``training_task_inputs``: the job spec is that Struct."""

    def moved(text: str) -> str:
        return text.replace("job_spec", TASK_INPUTS)

    return ApiError(
        error.code,
        moved(error.message),
        [FieldViolation(moved(v.field), moved(v.description)) for v in error.violations],
        error.details,
    )


def base_output_directory(spec: dict[str, Any]) -> str | None:
    """``trainingTaskInputs.base_output_directory.output_uri_prefix``, in either spelling."""
    inputs = spec.get("trainingTaskInputs") or {}
    base = inputs.get("base_output_directory") or inputs.get("baseOutputDirectory") or {}
    return base.get("output_uri_prefix") or base.get("outputUriPrefix") or None


@dataclass(slots=True)
class TrainingPipeline(Record):
    """What the emulator keeps of one training pipeline; ``job`` is its backing CustomJob's full name."""

    state: str = QUEUED
    start_time: float | None = None
    end_time: float | None = None
    error: dict[str, Any] | None = None
    job: str | None = None
    model: str | None = None
    model_version: str | None = None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def follow(self, job_state: str, job_error: dict[str, Any] | None, at: float) -> bool:
        """Take the state of the backing job; True when the pipeline has just succeeded."""
        state = FOLLOWS.get(job_state, self.state)
        if state == self.state:
            return False
        self.state = state
        self.update_time = at
        if state == RUNNING and self.start_time is None:
            self.start_time = at
        if state in TERMINAL:
            self.end_time = at
            self.error = job_error if state != SUCCEEDED else None
        return state == SUCCEEDED

    def fail(self, error: dict[str, Any], at: float) -> None:
        """End the pipeline FAILED with ``error``: its job could not be admitted, or its model not uploaded."""
        self.state = FAILED
        self.error = error
        self.end_time = at
        self.update_time = at

    def uploaded(self, model: str, version_id: str) -> None:
        self.model = model
        self.model_version = version_id

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, **self.spec, "state": self.state}
        if self.job:
            body["trainingTaskMetadata"] = {"backingCustomJob": self.job}
        if self.model and "modelToUpload" in body:
            body["modelToUpload"] = {**body["modelToUpload"], "name": self.model, "versionId": self.model_version}
        body.update(self.stamps(self.start_time, self.end_time))
        if self.error:
            body["error"] = self.error
        return body


def overview(pipeline: TrainingPipeline, job_state: str | None) -> dict[str, Any]:
    """A pipeline on the web page: its state, its backing job (and that job's state), its model."""
    body: dict[str, Any] = {
        "name": pipeline.name,
        "displayName": pipeline.display_name,
        "state": pipeline.state,
        "createTime": rfc3339(pipeline.create_time),
        "backingCustomJob": None if pipeline.job is None else {"name": pipeline.job, "state": job_state},
        "model": None if pipeline.model is None else f"{pipeline.model}@{pipeline.model_version}",
    }
    if pipeline.error:
        body["error"] = pipeline.error
    return body


def owner_ref(pipeline: TrainingPipeline) -> dict[str, Any]:
    """How a pool's holder or queued job names the pipeline it runs for."""
    return {"name": pipeline.name, "displayName": pipeline.display_name, "state": pipeline.state}
