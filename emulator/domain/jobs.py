"""Custom jobs: validation of a create request, and the record of a job's life.

States follow ``job_state.proto``: QUEUED -> PENDING -> RUNNING -> SUCCEEDED | FAILED, with
CANCELLING -> CANCELLED on cancel. A job on a persistent resource holds its replicas from
admission until it is terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_emulator import names
from vertex_emulator.clock import parse_duration
from vertex_emulator.domain import pool_rules, specs
from vertex_emulator.domain.record import Record
from vertex_emulator.domain.validation import check_display_name, check_labels, strip, to_int
from vertex_emulator.errors import bad_field

QUEUED = "JOB_STATE_QUEUED"
PENDING = "JOB_STATE_PENDING"
RUNNING = "JOB_STATE_RUNNING"
SUCCEEDED = "JOB_STATE_SUCCEEDED"
FAILED = "JOB_STATE_FAILED"
CANCELLING = "JOB_STATE_CANCELLING"
CANCELLED = "JOB_STATE_CANCELLED"
STATES = (
    "JOB_STATE_UNSPECIFIED",
    QUEUED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLING,
    CANCELLED,
    "JOB_STATE_PAUSED",
    "JOB_STATE_EXPIRED",
    "JOB_STATE_UPDATING",
    "JOB_STATE_PARTIALLY_SUCCEEDED",
)
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
OUTCOMES = frozenset({SUCCEEDED, FAILED})
CANCELLED_ERROR = {"code": 1, "message": "CANCELED"}
DEADLINE_EXCEEDED = 4

OUTPUT_ONLY = (
    "name",
    "state",
    "createTime",
    "startTime",
    "endTime",
    "updateTime",
    "error",
    "webAccessUris",
    "satisfiesPzs",
    "satisfiesPzi",
)


def _check_task(pool: dict[str, Any], where: str) -> None:
    container = pool.get("containerSpec")
    package = pool.get("pythonPackageSpec")
    if container is None and package is None:
        raise bad_field(where, f"{where} needs a container_spec or a python_package_spec.")
    if container is not None and not container.get("imageUri"):
        raise bad_field(f"{where}.container_spec.image_uri", f"{where}.container_spec.image_uri is required.")
    if package is not None:
        for key, name in (
            ("executorImageUri", "executor_image_uri"),
            ("packageUris", "package_uris"),
            ("pythonModule", "python_module"),
        ):
            if not package.get(key):
                raise bad_field(
                    f"{where}.python_package_spec.{name}", f"{where}.python_package_spec.{name} is required."
                )


def normalize(spec: dict[str, Any]) -> dict[str, Any]:
    """Check a create request's CustomJob; worker pools get their effective disk, as echoed on read."""
    strip(spec, OUTPUT_ONLY)
    check_display_name(spec, required=True)
    check_labels(spec)
    job_spec = spec.get("jobSpec")
    if not job_spec:
        raise bad_field("job_spec", "job_spec is required.")
    pools = job_spec.get("workerPoolSpecs") or []
    if not pools:
        raise bad_field("job_spec.worker_pool_specs", "job_spec.worker_pool_specs is required.")
    if specs.worker_pool_is_empty(pools[0]):
        raise bad_field(
            "job_spec.worker_pool_specs[0]",
            "The first worker pool is the primary replica and must not be empty.",
        )
    for index, pool in enumerate(pools):
        if specs.worker_pool_is_empty(pool):
            continue
        where = f"job_spec.worker_pool_specs[{index}]"
        machine = pool.get("machineSpec") or {}
        pool_rules.check_machine_type(machine, where)
        replicas = to_int(pool.get("replicaCount"), f"{where}.replica_count")
        pool_rules.check_replicas(replicas, f"{where}.replica_count", f"{where}.replica_count")
        pool_rules.check_disk(pool.get("diskSpec") or {}, f"{where}.disk_spec")
        _check_task(pool, where)
        pool["diskSpec"] = specs.effective_disk_spec(machine, pool.get("diskSpec"))
    return spec


@dataclass(frozen=True)
class Ending:
    """The terminal state a job reaches, and its error (a google.rpc.Status) if any."""

    state: str
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class CustomJob(Record):
    """What the emulator keeps of one custom job."""

    state: str = QUEUED
    start_time: float | None = None
    end_time: float | None = None
    error: dict[str, Any] | None = None
    resource: str | None = None
    placement: tuple[str | None, ...] = ()
    waiting: bool = False
    next_at: float | None = None
    outcome: dict[str, Any] | None = None
    web_access: dict[str, str] | None = None
    owner: str | None = None
    """The record this job runs for (a pipeline, a tuning job), told of each of its state changes."""

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def step(self, at: float, pending_delay: float, duration: float | None) -> float | Ending | None:
        """Take the transition due at ``at``: returns the instant the next one is due, the end the
        job reaches now (the caller ends it, which releases its replicas), or None when it runs
        until told (``duration`` None and no outcome set)."""
        self.update_time = at
        if self.state == QUEUED:
            self.state = PENDING
            return at + pending_delay
        if self.state == PENDING:
            self.state = RUNNING
            self.start_time = at
            if self.spec["jobSpec"].get("enableWebAccess"):
                self.web_access = self._web_access()
            return self.outcome_due(at, duration)
        if self.state == RUNNING:
            if self._timed_out(at, duration):
                return Ending(CANCELLED, self.timeout_error())
            outcome = self.outcome or {"state": SUCCEEDED}
            return Ending(outcome["state"], outcome.get("error"))
        return Ending(CANCELLED, CANCELLED_ERROR)

    def outcome_due(self, started: float, duration: float | None) -> float | None:
        """When a job that started at ``started`` ends: its set outcome's instant, or ``duration``
        later, unless its ``scheduling.timeout`` comes first."""
        planned = self._planned(started, duration)
        deadline = self._deadline(started)
        if deadline is None or (planned is not None and planned <= deadline):
            return planned
        return deadline

    def _planned(self, started: float, duration: float | None) -> float | None:
        outcome = self.outcome or {}
        if "at" in outcome:
            return max(outcome["at"], started)
        if "after" in outcome:
            return started + outcome["after"]
        return None if duration is None else started + duration

    def _timeout(self) -> str | None:
        """``jobSpec.scheduling.timeout`` as written (a Duration, ``"30s"``); unset or zero: none.

        The real default (7 days) is not applied: a job runs until its outcome, as the emulator's
        clock decides. ``strategy`` and ``maxWaitDuration`` have no effect on a persistent resource,
        ``restartJobOnWorkerRestart`` and ``disableRetries`` are kept for local execution."""
        text = (self.spec["jobSpec"].get("scheduling") or {}).get("timeout")
        return str(text) if text and parse_duration(text) > 0 else None

    def _deadline(self, started: float) -> float | None:
        timeout = self._timeout()
        return None if timeout is None else started + parse_duration(timeout)

    def _timed_out(self, at: float, duration: float | None) -> bool:
        started = self.start_time if self.start_time is not None else at
        deadline = self._deadline(started)
        planned = self._planned(started, duration)
        return deadline is not None and at >= deadline and (planned is None or planned > deadline)

    def timeout_error(self) -> dict[str, Any]:
        """The error of a job cancelled at its timeout (the emulator's text: no real one is public)."""
        return {
            "code": DEADLINE_EXCEEDED,
            "message": f"The job was cancelled because it reached its timeout (job_spec.scheduling.timeout "
            f"{self._timeout()}) while running.",
        }

    def _web_access(self) -> dict[str, str]:
        location = names.scope_of(self.name)[1]
        token = names.last_id(self.name)
        uris = {}
        for index, pool in enumerate(self.spec["jobSpec"]["workerPoolSpecs"]):
            for replica in range(int(pool.get("replicaCount") or 0)):
                uris[f"workerpool{index}-{replica}"] = (
                    f"https://{token}-{index}-{replica}-dot-{location}.aiplatform-training.googleusercontent.com"
                )
        return uris

    def cancel(self, at: float, delay: float) -> float:
        """Start cancelling; returns when the job is CANCELLED."""
        self.waiting = False
        self.state = CANCELLING
        self.update_time = at
        return at + delay

    def end(self, ending: Ending, at: float) -> None:
        self.state = ending.state
        self.error = ending.error
        self.end_time = at
        self.update_time = at
        self.next_at = None
        self.waiting = False

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, **self.spec, "state": self.state}
        body.update(self.stamps(self.start_time, self.end_time))
        if self.error:
            body["error"] = self.error
        if self.web_access:
            body["webAccessUris"] = self.web_access
        return body


def check_outcome(state: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """An outcome a test may choose for a job: SUCCEEDED, or FAILED with a google.rpc.Status."""
    if state not in OUTCOMES:
        raise bad_field("state", f"state must be {SUCCEEDED} or {FAILED}, not {state!r}.")
    if state == SUCCEEDED:
        return {"state": state}
    failure = dict(error or {"code": 13, "message": "The job failed (outcome set through the emulator)."})
    failure["code"] = to_int(failure.get("code", 13), "error.code")
    if not 1 <= failure["code"] <= 16:
        raise bad_field("error.code", "error.code must be a google.rpc.Code number between 1 and 16.")
    return {"state": state, "error": failure}
