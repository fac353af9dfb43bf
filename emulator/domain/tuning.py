"""Hyperparameter tuning jobs: the create request's checks, the trials and the rules of the job's end.

A tuning job runs each trial as a CustomJob built from ``trialJobSpec`` (the trial's parameters
appended to every worker pool's args as ``--ID=VALUE``, ``baseOutputDirectory`` ``<base>/<trialId>``),
and follows those jobs: a trial is REQUESTED while its job waits for replicas, ACTIVE once the job
holds them (or runs without a persistent resource), STOPPING while the job is being cancelled,
and SUCCEEDED or INFEASIBLE when the job ends (``trial.proto`` has no FAILED: a failed trial is
INFEASIBLE with an ``infeasibleReason``). The record only decides; the service creates and cancels
the jobs it asks for (``next_trials``, ``settle``, ``cancel``).

The job's end:
- with ``maxFailedTrialCount`` 0 or unset the first failed trial fails the job, otherwise the
  ``maxFailedTrialCount``-th does; the job then stops its other trials and ends FAILED once they
  have stopped;
- once every trial has ended and no further trial is due (``maxTrialCount`` reached, or the grid
  walked), it ends SUCCEEDED when at least one trial succeeded, FAILED otherwise;
- a cancel, or a trial's job cancelled by anything else (its persistent resource deleted, say),
  stops the other trials and ends the job CANCELLED, with that job's error.

A trial's final measurement comes from the control API's metrics, else from the measurements
reported for it (``report``; ``measurementSelectionType`` picks one), else from a stand-in: a
deterministic value of the seed and the parameters, marked ``stand-in`` in the control API's
view and never in the API's own messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vertex_emulator.clock import rfc3339
from vertex_emulator.domain import jobs, study, suggestions
from vertex_emulator.domain.record import Record
from vertex_emulator.domain.validation import (
    MAX_DISPLAY_NAME,
    check_display_name,
    check_labels,
    copy_json,
    strip,
    to_int,
)
from vertex_emulator.errors import ApiError, FieldViolation, bad_field, failed_precondition, not_found

REQUESTED = "REQUESTED"
ACTIVE = "ACTIVE"
STOPPING = "STOPPING"
SUCCEEDED = "SUCCEEDED"
INFEASIBLE = "INFEASIBLE"
OPEN = frozenset({REQUESTED, ACTIVE, STOPPING})

CONTROL = "control"
REPORTED = "reported"
STAND_IN = "stand-in"

OUTPUT_ONLY = (
    "name",
    "state",
    "trials",
    "createTime",
    "startTime",
    "endTime",
    "updateTime",
    "error",
    "satisfiesPzs",
    "satisfiesPzi",
)
STOPPED_REASON = "The trial was stopped because its hyperparameter tuning job is ending."


def normalize(body: dict[str, Any]) -> dict[str, Any]:
    """Check a create request's HyperparameterTuningJob; the trial spec is checked as a CustomJob's."""
    spec = strip(body, OUTPUT_ONLY)
    check_display_name(spec, required=True)
    check_labels(spec)
    study.check(spec.get("studySpec"))
    most = to_int(spec.get("maxTrialCount"), "max_trial_count")
    if most <= 0:
        raise bad_field("max_trial_count", "max_trial_count must be greater than 0.")
    parallel = to_int(spec.get("parallelTrialCount"), "parallel_trial_count")
    if parallel <= 0:
        raise bad_field("parallel_trial_count", "parallel_trial_count must be greater than 0.")
    if parallel > most:
        raise bad_field(
            "parallel_trial_count",
            f"parallel_trial_count ({parallel}) must not be greater than max_trial_count ({most}).",
        )
    failed = to_int(spec.get("maxFailedTrialCount"), "max_failed_trial_count")
    if not 0 <= failed <= most:
        raise bad_field(
            "max_failed_trial_count",
            f"max_failed_trial_count ({failed}) must be between 0 and max_trial_count ({most}).",
        )
    if not spec.get("trialJobSpec"):
        raise bad_field("trial_job_spec", "trial_job_spec is required.")
    try:
        checked = jobs.normalize({"displayName": "trial", "jobSpec": spec["trialJobSpec"]})
    except ApiError as error:
        raise as_trial_spec(error) from None
    spec["trialJobSpec"] = checked["jobSpec"]
    return spec


_JOB_SPEC = re.compile(r"\bjob_spec\b")


def as_trial_spec(error: ApiError) -> ApiError:
    """A CustomJob's refusal of ``job_spec...``, blamed on ``trial_job_spec...`` of the tuning job:
    the same condition and text a CustomJob with that spec gets, with the tuning job's field path."""
    error.message = _JOB_SPEC.sub("trial_job_spec", error.message)
    error.violations = [
        FieldViolation(_JOB_SPEC.sub("trial_job_spec", item.field), _JOB_SPEC.sub("trial_job_spec", item.description))
        for item in error.violations
    ]
    return error


@dataclass(slots=True)
class Trial:
    """One trial. ``source`` says where the final measurement came from; ``metrics`` are the
    control API's, kept until the trial's job succeeds; ``failure`` is its job's error when the
    trial counts as failed."""

    id: str
    parameters: list[dict[str, Any]]
    arguments: list[str]
    state: str = REQUESTED
    custom_job: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    measurements: list[dict[str, Any]] = field(default_factory=list)
    final_measurement: dict[str, Any] | None = None
    infeasible_reason: str | None = None
    source: str | None = None
    metrics: dict[str, float] | None = None
    failure: dict[str, Any] | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "state": self.state, "parameters": self.parameters}
        if self.final_measurement is not None:
            body["finalMeasurement"] = self.final_measurement
        if self.measurements:
            body["measurements"] = self.measurements
        for key, value in (("startTime", self.start_time), ("endTime", self.end_time)):
            if value is not None:
                body[key] = rfc3339(value)
        if self.infeasible_reason:
            body["infeasibleReason"] = self.infeasible_reason
        if self.custom_job:
            body["customJob"] = self.custom_job
        return body


@dataclass(slots=True)
class HyperparameterTuningJob(Record):
    """What the emulator keeps of one tuning job. ``ending`` is the end it winds down to while its
    trials stop; ``planned`` holds control-API outcomes for trials not created yet."""

    state: str = jobs.PENDING
    start_time: float | None = None
    end_time: float | None = None
    error: dict[str, Any] | None = None
    seed: int = 0
    trials: list[Trial] = field(default_factory=list)
    ending: dict[str, Any] | None = None
    planned: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.state in jobs.TERMINAL

    @property
    def parameters(self) -> list[study.Parameter]:
        return study.check(self.spec["studySpec"])

    @property
    def metric_ids(self) -> list[str]:
        return [metric["metricId"] for metric in self.spec["studySpec"]["metrics"]]

    @property
    def open_trials(self) -> list[Trial]:
        return [trial for trial in self.trials if trial.open]

    def trial(self, trial_id: str) -> Trial:
        found = next((trial for trial in self.trials if trial.id == trial_id), None)
        if found is None:
            raise not_found("Trial", f"{self.name}/trials/{trial_id}")
        return found

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, **self.spec, "state": self.state}
        if self.trials:
            body["trials"] = [trial.render() for trial in self.trials]
        body.update(self.stamps(self.start_time, self.end_time))
        if self.error:
            body["error"] = self.error
        return body

    # ------------------------------------------------------------------ trials

    def next_trials(self, at: float) -> list[Trial]:
        """New trials to start now: up to ``parallelTrialCount`` open at once, ``maxTrialCount`` in all."""
        if self.terminal or self.ending is not None:
            return []
        parameters = self.parameters
        algorithm = self.spec["studySpec"].get("algorithm", study.ALGORITHM_UNSPECIFIED)
        room = int(self.spec["parallelTrialCount"]) - len(self.open_trials)
        made = []
        while room > 0 and len(self.trials) < int(self.spec["maxTrialCount"]):
            number = len(self.trials) + 1
            chosen = suggestions.suggest(parameters, algorithm, self.seed, number)
            if chosen is None:
                break
            by_id = {parameter.id: parameter for top in parameters for parameter in top.walk()}
            trial = Trial(
                id=str(number),
                parameters=[
                    {"parameterId": key, "value": suggestions.value_json(by_id[key], value)} for key, value in chosen
                ],
                arguments=[suggestions.argument(by_id[key], value) for key, value in chosen],
            )
            self.trials.append(trial)
            made.append(trial)
            room -= 1
        if made:
            self.update_time = at
        return made

    def exhausted(self) -> bool:
        """No further trial will be suggested."""
        if len(self.trials) >= int(self.spec["maxTrialCount"]):
            return True
        algorithm = self.spec["studySpec"].get("algorithm", study.ALGORITHM_UNSPECIFIED)
        return algorithm == study.GRID_SEARCH and len(self.trials) >= study.grid_size(self.parameters)

    def trial_job(self, trial: Trial) -> dict[str, Any]:
        """The CustomJob that runs a trial: the trial spec with the trial's arguments and output directory."""
        job_spec = copy_json(self.spec["trialJobSpec"])
        for pool in job_spec["workerPoolSpecs"]:
            task = pool.get("containerSpec") or pool.get("pythonPackageSpec")
            if task is not None:
                task["args"] = [*task.get("args", []), *trial.arguments]
        base = (job_spec.get("baseOutputDirectory") or {}).get("outputUriPrefix")
        if base:
            job_spec["baseOutputDirectory"]["outputUriPrefix"] = f"{base.rstrip('/')}/{trial.id}"
        suffix = f"-trial-{trial.id}"
        return {"displayName": self.display_name[: MAX_DISPLAY_NAME - len(suffix)] + suffix, "jobSpec": job_spec}

    def follow(self, trial: Trial, job: jobs.CustomJob, at: float) -> None:
        """Bring a trial up to date with its CustomJob, which has just changed."""
        self.update_time = at
        if job.state == jobs.CANCELLING:
            trial.state = STOPPING
        elif job.terminal:
            self._trial_ended(trial, job, at)
        elif not job.waiting and trial.state == REQUESTED:
            trial.state = ACTIVE
            trial.start_time = at
            if self.state == jobs.PENDING:
                self.state = jobs.RUNNING
                self.start_time = at

    def _trial_ended(self, trial: Trial, job: jobs.CustomJob, at: float) -> None:
        trial.end_time = at
        if trial.start_time is None:
            trial.start_time = at
        if job.state == jobs.SUCCEEDED:
            trial.state = SUCCEEDED
            trial.final_measurement, trial.source = self._final_measurement(trial, at)
            return
        trial.state = INFEASIBLE
        error = job.error or {}
        if self.ending is not None:
            trial.infeasible_reason = STOPPED_REASON
        elif job.state == jobs.CANCELLED:
            trial.infeasible_reason = str(error.get("message") or "The trial's CustomJob was cancelled.")
            self.ending = {"state": jobs.CANCELLED, "error": error or jobs.CANCELLED_ERROR}
        else:
            trial.infeasible_reason = str(error.get("message") or "The trial's CustomJob failed.")
            trial.failure = error

    def abandon(self, trial: Trial, error: ApiError, at: float) -> None:
        """A trial whose CustomJob could not be created: it is INFEASIBLE and the job ends FAILED."""
        trial.state = INFEASIBLE
        trial.start_time = trial.end_time = at
        trial.infeasible_reason = error.message
        self.ending = self.ending or {"state": jobs.FAILED, "error": error.to_status(http=False)}

    def _final_measurement(self, trial: Trial, at: float) -> tuple[dict[str, Any], str]:
        elapsed = {"elapsedDuration": f"{max(0.0, at - (trial.start_time or at)):.3f}s".replace(".000s", "s")}
        if trial.metrics is not None:
            metrics = [{"metricId": key, "value": value} for key, value in trial.metrics.items()]
            return {**elapsed, "metrics": metrics}, CONTROL
        if trial.measurements:
            return select(trial.measurements, self.spec["studySpec"]), REPORTED
        assignment = [(item["parameterId"], item["value"]) for item in trial.parameters]
        metrics = [
            {"metricId": key, "value": suggestions.stand_in(self.seed, key, assignment)} for key in self.metric_ids
        ]
        return {**elapsed, "metrics": metrics}, STAND_IN

    def report(self, trial_id: str, measurements: list[dict[str, Any]], at: float) -> Trial:
        """Add measurements a trial reported (its hypertune metrics file, read by local execution)."""
        trial = self.trial(trial_id)
        if not trial.open:
            raise failed_precondition(
                f'Trial "{trial_id}" of "{self.name}" is {trial.state}; it takes no measurements.'
            )
        for index, measurement in enumerate(measurements):
            if not measurement.get("metrics"):
                raise bad_field(f"measurements[{index}].metrics", "A measurement needs at least one metric.")
        trial.measurements.extend(copy_json(measurements))
        self.update_time = at
        return trial

    # ------------------------------------------------------------------- the end

    def cancel(self, at: float) -> list[Trial]:
        """Start cancelling: the job is CANCELLING and every open trial is to stop."""
        if self.terminal:
            raise failed_precondition(
                f'HyperparameterTuningJob "{self.name}" is already {self.state} and cannot be cancelled.'
            )
        self.state = jobs.CANCELLING
        self.update_time = at
        self.ending = self.ending or {"state": jobs.CANCELLED, "error": jobs.CANCELLED_ERROR}
        return self.settle(at)

    def settle(self, at: float) -> list[Trial]:
        """Apply the end rules; return the open trials the service is to stop (their jobs cancelled).

        The trials returned are STOPPING already, so a nested call does not return them again.
        """
        if self.terminal:
            return []
        if self.ending is None:
            self.ending = verdict(
                [trial.state for trial in self.trials],
                [trial.failure is not None for trial in self.trials],
                int(self.spec.get("maxFailedTrialCount", 0)),
                self.exhausted(),
                self._last_reason(),
            )
        if self.ending is None:
            return []
        stop = [trial for trial in self.open_trials if trial.state != STOPPING]
        for trial in stop:
            trial.state = STOPPING
        if not self.open_trials:
            self.state = self.ending["state"]
            self.error = self.ending.get("error")
            self.end_time = self.update_time = at
        return stop

    def _last_reason(self) -> dict[str, Any]:
        last = next((trial for trial in reversed(self.trials) if trial.state == INFEASIBLE), None)
        if last is None:
            return {"code": 13, "message": ""}
        failure = last.failure or {"code": 13}
        return {"code": int(failure.get("code", 13)), "message": f"trial {last.id}: {last.infeasible_reason}"}

    def control_view(self, holds: Callable[[str], bool]) -> list[dict[str, Any]]:
        """The trials as the control API and the web page show them: which hold replicas (``holds``
        answers for a job name), their values, and where a final measurement came from."""
        return [
            {
                "id": trial.id,
                "state": trial.state,
                "customJob": trial.custom_job,
                "holdsReplicas": bool(trial.custom_job and holds(trial.custom_job)),
                "parameters": {item["parameterId"]: item["value"] for item in trial.parameters},
                "arguments": trial.arguments,
                "metrics": {
                    item["metricId"]: item["value"] for item in (trial.final_measurement or {}).get("metrics", [])
                },
                "measurementSource": trial.source,
                "infeasibleReason": trial.infeasible_reason,
            }
            for trial in self.trials
        ]

    def overview(self, holds: Callable[[str], bool]) -> dict[str, Any]:
        """The tuning job at a glance, for the web page."""
        return {
            "name": self.name,
            "id": self.name.rsplit("/", 1)[1],
            "displayName": self.display_name,
            "state": self.state,
            "createTime": rfc3339(self.create_time),
            "maxTrialCount": int(self.spec["maxTrialCount"]),
            "parallelTrialCount": int(self.spec["parallelTrialCount"]),
            "resource": self.spec["trialJobSpec"].get("persistentResourceId"),
            "error": self.error,
            "trials": self.control_view(holds),
        }


def verdict(
    states: list[str], failed: list[bool], max_failed: int, exhausted: bool, last: dict[str, Any]
) -> dict[str, Any] | None:
    """The end a tuning job's trials call for, or None while it goes on.

    ``failed`` marks the trials that count as failed; ``last`` is the code and text of the last
    infeasible trial, for the error.
    """
    failures = sum(failed)
    limit = max(1, max_failed)
    if failures >= limit:
        message = (
            f"{failures} trial(s) failed, which reaches the limit of {limit} "
            f"(max_failed_trial_count {max_failed}); the last one, {last['message']}"
        )
        return {"state": jobs.FAILED, "error": {"code": last["code"], "message": message}}
    if not exhausted or any(state in OPEN for state in states):
        return None
    if SUCCEEDED in states:
        return {"state": jobs.SUCCEEDED}
    message = f"Every trial ended and none succeeded; the last one, {last['message']}"
    return {"state": jobs.FAILED, "error": {"code": last["code"], "message": message}}


def select(measurements: list[dict[str, Any]], study_spec: dict[str, Any]) -> dict[str, Any]:
    """The final measurement among several: the last one, or with BEST_MEASUREMENT the best value
    of the study's first metric (measurements without it are not candidates)."""
    if study_spec.get("measurementSelectionType") != study.BEST:
        return measurements[-1]
    metric = study_spec["metrics"][0]
    sign = 1 if metric.get("goal") == study.MAXIMIZE else -1
    scored = [
        (sign * float(item["value"]), index)
        for index, measurement in enumerate(measurements)
        for item in measurement.get("metrics", [])
        if item.get("metricId") == metric["metricId"]
    ]
    if not scored:
        return measurements[-1]
    return measurements[max(scored)[1]]
