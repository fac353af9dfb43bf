"""The calls on hyperparameter tuning jobs, whose trials run as CustomJobs the tuning job owns.

The rules are the domain's (``domain.tuning``, ``domain.study``, ``domain.suggestions``); this
module runs them on the service: each trial's job is made by ``create_job(..., owner=tuning job,
wait_for_room=True)``, so it goes through the one admission rule and waits (its trial REQUESTED)
while its pools lack free replicas, whatever ``--admission`` says; and every state change of a
trial's job comes back through the kind's ``job_changed``, which brings the trial up to date,
applies the end rules, cancels what must stop and starts the next trials, in the same call.

Trial jobs are ordinary CustomJobs: they appear in ListCustomJobs (named ``<display name>-trial-<id>``,
``trial.customJob`` names them), hold and queue for replicas like any job, and are deleted with
their tuning job.
"""

from __future__ import annotations

import math
from typing import Any

from vertex_emulator import names, wire
from vertex_emulator.core import kinds
from vertex_emulator.core.base import Core, api
from vertex_emulator.domain import admission, jobs, tuning
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.domain.tuning import HyperparameterTuningJob, Trial
from vertex_emulator.domain.validation import copy_json
from vertex_emulator.errors import ApiError, bad_field, failed_precondition, not_found

COLLECTION = "hyperparameterTuningJobs"
LABEL = "HyperparameterTuningJob"
INFEASIBLE_CODE = 13
"""The google.rpc.Code of a trial's job failed by the control API's ``INFEASIBLE`` outcome."""


class TuningCalls(Core):
    @api
    def create_tuning_job(self, parent: str, body: dict[str, Any], version: str) -> HyperparameterTuningJob:
        names.scope_of_parent(parent)
        spec = tuning.normalize(copy_json(body))
        self._check_trial_fits(parent, spec)
        now = self.clock.now()
        record = HyperparameterTuningJob(
            name=self.registry.new_name(parent, COLLECTION, self.ids.next),
            spec=spec,
            version=version,
            seq=self.next_seq(),
            create_time=now,
            update_time=now,
            seed=self.ids.seed,
        )
        self.registry.add(record)
        self._start_trials(record, now)
        return record

    def _check_trial_fits(self, parent: str, spec: dict[str, Any]) -> None:
        """Refuse, before anything is made, a trial spec whose job could never be admitted: the
        error a CustomJob with that spec gets (a missing or stopped resource, a pool that never
        fits), blamed on ``trial_job_spec``. Free replicas do not matter: trials wait for them."""
        resource_id = spec["trialJobSpec"].get("persistentResourceId")
        if not resource_id:
            return
        resource = self.registry.get(
            names.child(parent, "persistentResources", resource_id), PersistentResource, "PersistentResource"
        )
        try:
            admission.admit(
                {"jobSpec": spec["trialJobSpec"]}, resource.admission_view(), {}, hardware=resource.pool_hardware
            )
        except ApiError as error:
            raise tuning.as_trial_spec(error) from None

    def _start_trials(self, record: HyperparameterTuningJob, at: float) -> None:
        parent = names.parent_of(names.scope_of(record.name))
        for trial in record.next_trials(at):
            try:
                job = self.create_job(
                    parent, record.trial_job(trial), record.version, owner=record.name, wait_for_room=True
                )
            except ApiError as error:
                record.abandon(trial, error, at)
                continue
            trial.custom_job = job.name
            planned = record.planned.pop(trial.id, None)
            if planned is not None:
                self._apply_outcome(trial, job, planned)
            record.follow(trial, job, at)
        self.registry.mark(record)
        self._stop(record.settle(at))

    def _stop(self, trials: list[Trial]) -> None:
        """Cancel the jobs of trials the end rules stop (their notifications settle the rest)."""
        for trial in trials:
            job = self.registry.find(trial.custom_job, CustomJob) if trial.custom_job else None
            if job is not None and not job.terminal:
                self.cancel_job(job.name)

    def tuning_job_changed(self, record: HyperparameterTuningJob, job: CustomJob, at: float) -> None:
        """A trial's job changed: the trial follows, the end rules apply, the next trials start."""
        trial = next((trial for trial in record.trials if trial.custom_job == job.name), None)
        if trial is None or not trial.open:
            return
        record.follow(trial, job, at)
        self.registry.mark(record)
        self._stop(record.settle(at))
        self._start_trials(record, at)

    def _tuning_job(self, name: str) -> HyperparameterTuningJob:
        return self.registry.get(name, HyperparameterTuningJob, LABEL)

    @api
    def get_tuning_job(self, name: str) -> HyperparameterTuningJob:
        return self._tuning_job(name)

    @api
    def list_tuning_jobs(
        self, parent: str, filter_text: str | None, size: str | None, token: str | None
    ) -> tuple[list[HyperparameterTuningJob], str]:
        return self.job_page(parent, COLLECTION, filter_text, size, token)

    @api
    def cancel_tuning_job(self, name: str) -> None:
        record = self._tuning_job(name)
        if record.state == jobs.CANCELLING:
            return
        self._stop(record.cancel(self.clock.now()))
        self.registry.mark(record)

    @api
    def delete_tuning_job(self, name: str, version: str) -> Operation:
        """Delete a tuning job that has ended, with its trials' CustomJobs."""
        record = self._tuning_job(name)
        operation = self.delete_ended(record, LABEL, version)
        for trial in record.trials:
            job = self.registry.find(trial.custom_job, CustomJob) if trial.custom_job else None
            if job is not None:
                self.registry.remove(job)
        return operation

    # ------------------------------------------------------------ control API

    @api
    def set_trial_outcome(
        self,
        name: str,
        trial_id: str,
        metrics: dict[str, Any] | None = None,
        state: str | None = None,
        reason: str | None = None,
        at: str | None = None,
        after: float | None = None,
    ) -> HyperparameterTuningJob:
        """Decide a trial's outcome: its final ``metrics`` (its job succeeds) or INFEASIBLE with a
        ``reason`` (its job fails with it); now, ``after`` seconds of running, or ``at`` an instant.
        A trial that does not exist yet gets it when it starts."""
        record = self._tuning_job(name)
        outcome = _check_outcome(record, trial_id, metrics, state, reason)
        outcome.update({key: value for key, value in (("at", at), ("after", after)) if value is not None})
        trial = next((trial for trial in record.trials if trial.id == trial_id), None)
        if trial is None:
            if record.terminal or record.ending is not None:
                raise failed_precondition(f'{LABEL} "{name}" is ending; it starts no more trials.')
            record.planned[trial_id] = outcome
        else:
            job = self.registry.find(trial.custom_job, CustomJob) if trial.custom_job else None
            if trial.state not in (tuning.REQUESTED, tuning.ACTIVE) or job is None or job.state == jobs.CANCELLING:
                raise failed_precondition(f'Trial "{trial_id}" of "{name}" is {trial.state}; its outcome is decided.')
            self._apply_outcome(trial, job, outcome)
        self.registry.mark(record)
        return record

    def _apply_outcome(self, trial: Trial, job: CustomJob, outcome: dict[str, Any]) -> None:
        """Hand an outcome to the trial's job; one without a time, on a job that has not started,
        ends it as soon as it runs (a trial never ends before it held its replicas)."""
        if "metrics" in outcome:
            trial.metrics = dict(outcome["metrics"])
            state, error = jobs.SUCCEEDED, None
        else:
            state, error = jobs.FAILED, {"code": INFEASIBLE_CODE, "message": outcome["reason"]}
        after = outcome.get("after")
        if after is None and "at" not in outcome and job.state != jobs.RUNNING:
            after = 0.0
        self.set_outcome(job.name, state, error, outcome.get("at"), after)

    @api
    def report_measurements(self, name: str, trial_id: str, measurements: list[dict[str, Any]]) -> Trial:
        """Measurements a trial reported (local execution reads its hypertune metrics file), each a
        ``Measurement`` as proto3 JSON (``{"stepCount": "3", "metrics": [{"metricId": ..., "value": ...}]}``);
        the final measurement is chosen from them when its job succeeds (``measurementSelectionType``)."""
        record = self._tuning_job(name)
        read = [wire.parse(record.version, "Measurement", measurement) for measurement in measurements]
        trial = record.report(trial_id, read, self.clock.now())
        self.registry.mark(record)
        return trial

    @api
    def trial_of_job(self, job_name: str) -> tuple[str, str] | None:
        """``(tuning job name, trial id)`` of a trial's CustomJob, or None for any other job: what
        local execution needs for ``CLUSTER_SPEC``'s ``trial`` and for ``report_measurements``."""
        job = self.registry.find(job_name, CustomJob)
        record = self.registry.find(job.owner, HyperparameterTuningJob) if job and job.owner else None
        trial = next((t for t in record.trials if t.custom_job == job_name), None) if record else None
        return None if record is None or trial is None else (record.name, trial.id)

    @api
    def trial_view(self, name: str) -> list[dict[str, Any]]:
        """The control API's view of the trials: which hold replicas, where a measurement came from."""
        record = self._tuning_job(name)
        return record.control_view(self._holds)

    @api
    def overview(self) -> dict[str, Any]:
        """The web page's overview, each scope with its tuning jobs and their trials (newest first).

        It extends ``ControlCalls.overview``, so ``TuningCalls`` comes before ``ControlCalls``
        among ``Service``'s bases."""
        body = super().overview()  # type: ignore[misc]
        for scope in body["scopes"]:
            records = self.registry.scope(names.scope_of_parent(scope["parent"])).of(COLLECTION)
            found = sorted(records.values(), key=lambda record: record.seq, reverse=True)
            scope["tuningJobs"] = [record.overview(self._holds) for record in found]
        return body

    def _holds(self, job_name: str) -> bool:
        job = self.registry.find(job_name, CustomJob)
        return job is not None and not job.terminal and any(job.placement)


def _check_outcome(
    record: HyperparameterTuningJob,
    trial_id: str,
    metrics: dict[str, Any] | None,
    state: str | None,
    reason: str | None,
) -> dict[str, Any]:
    if not trial_id.isdigit() or not 1 <= int(trial_id) <= int(record.spec["maxTrialCount"]):
        raise not_found("Trial", f"{record.name}/trials/{trial_id}")
    if (metrics is None) == (state is None):
        raise bad_field("metrics", 'Give "metrics" (the final measurement) or "state": "INFEASIBLE", one of them.')
    if state is not None:
        if state != tuning.INFEASIBLE:
            raise bad_field("state", f'state can only be "INFEASIBLE", not {state!r}; give "metrics" to succeed.')
        return {"reason": reason or "The trial was made infeasible through the emulator's control API."}
    if not isinstance(metrics, dict) or not metrics:
        raise bad_field("metrics", '"metrics" maps each metric id to its value, such as {"accuracy": 0.93}.')
    known = record.metric_ids
    for key, value in metrics.items():
        if key not in known:
            raise bad_field(f"metrics.{key}", f'"{key}" is not a metric of the study ({", ".join(known)}).')
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise bad_field(f"metrics.{key}", f'The value of "{key}" must be a finite number, not {value!r}.')
    return {"metrics": {key: float(value) for key, value in metrics.items()}}


kinds.register(
    kinds.Kind(
        COLLECTION,
        HyperparameterTuningJob,
        jobs.STATES,
        job_changed=lambda service, record, job, at: service.tuning_job_changed(record, job, at),
    )
)
