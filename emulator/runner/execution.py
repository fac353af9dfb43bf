"""``--execution local``: the service's execution hook that runs each job's replicas as processes.

The service calls ``started(job, at)`` when a job enters RUNNING and ``stopped(job, reason, at)``
when it is cancelled, timed out, its resource deleted, or the emulator stops; both are called
under the service's lock and return at once. The processes decide the job's outcome, which a run
reports through the service's public, locked ``finish_job`` from its own thread.

At most ``max_processes`` replica processes run at once (``--max-processes``); a job whose
replicas do not all fit waits, first in first out, and starts whole when they do (a distributed
job needs all its replicas at once). A job with more replicas than the bound can never start: it
fails with a text that names the flag.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vertex_emulator.core import hooks
from vertex_emulator.errors import ApiError
from vertex_emulator.runner import hypertune, launch, processes
from vertex_emulator.runner.defaults import GRACE_SECONDS, LINES_PER_JOB, default_max_processes
from vertex_emulator.runner.environment import Trial
from vertex_emulator.runner.logs import LogBook
from vertex_emulator.runner.outcome import FAILED_CODE
from vertex_emulator.runner.run import Ending, JobRun, RunSettings
from vertex_emulator.runner.ticker import Ticker

CANCELLED = "JOB_STATE_CANCELLED"
FAILED = "JOB_STATE_FAILED"


class Job(Protocol):
    name: str
    spec: dict[str, Any]


class Finisher(Protocol):
    """What a run needs of the service: ending a job from another thread, under the service's lock."""

    def finish_job(self, name: str, state: str, error: dict[str, Any] | None) -> Any: ...


@dataclass
class ExecutionOptions:
    launch: launch.LaunchOptions = field(default_factory=launch.LaunchOptions)
    max_processes: int = field(default_factory=default_max_processes)
    grace: float = GRACE_SECONDS
    work_dir: Path | None = None
    """Where each job's packages and metric files go; a temporary folder removed at close when unset."""
    cwd: str = field(default_factory=os.getcwd)
    lines_per_job: int = LINES_PER_JOB


class LocalExecution(hooks.Execution):
    """Replicas as local processes; one per emulator, closed when the emulator stops."""

    def __init__(self, options: ExecutionOptions | None = None, book: LogBook | None = None) -> None:
        self.options = options or ExecutionOptions()
        self.logs = book or LogBook(self.options.lines_per_job)
        self._temp = None if self.options.work_dir else tempfile.TemporaryDirectory(prefix="vertex-emulator-jobs-")
        work_dir = self.options.work_dir or Path(self._temp.name)  # type: ignore[union-attr]
        self.spawner = processes.Spawner()
        self.settings = RunSettings(
            self.options.launch, self.spawner, self.logs, work_dir, self.options.cwd, self.options.grace
        )
        self.finisher: Finisher | None = None
        self.ticker: Ticker | None = None
        self._lock = threading.Lock()
        self._waiting: deque[JobRun] = deque()
        self._runs: dict[str, JobRun] = {}
        self._in_use = 0
        self._closed = False

    def bind(self, finisher: Finisher) -> None:
        self.finisher = finisher

    # --------------------------------------------------------------- the service's hook

    def started(self, job: Job, at: float) -> None:
        run = JobRun(job.name, job.spec["jobSpec"], self.settings, self._ended, None)
        found = self._trial_of(job.name)
        if found is not None:
            run.tuning_job, trial_id = found
            run.trial = Trial(trial_id, str(run.dir / "hypertune" / "output.metrics"))
        with self._lock:
            if self._closed or job.name in self._runs:
                return
            self._runs[job.name] = run
            if len(run.replicas) > self.options.max_processes:
                message = (
                    f"The job needs {len(run.replicas)} replica processes and at most {self.options.max_processes} "
                    "run at once here: start the emulator with a larger --max-processes."
                )
                threading.Thread(target=self._refuse, args=(run, message), daemon=True).start()
                return
            self._waiting.append(run)
            if self._waiting[0] is not run or self._in_use + len(run.replicas) > self.options.max_processes:
                run.log(f"Waiting for {len(run.replicas)} free local process slots (--max-processes).")
            self._admit()

    def stopped(self, job: Job, reason: str, at: float) -> None:
        """Stop the job's processes. A job being cancelled ends CANCELLED once they are gone; for
        any other reason (its resource deleted, the clock ended it, the emulator stops) the
        service has ended it already."""
        with self._lock:
            run = self._runs.get(job.name)
            if run is not None:
                run.log(f"Stopping the job's replicas: {reason}.")
                self._stop(run, (CANCELLED, None) if reason == hooks.CANCELLED else None)

    def reconcile(self, peek: Callable[[str], Any]) -> None:
        """Stop the runs whose job is gone or ended without the hook being told (a reset, an
        imported state): the service calls it after every call, under its lock."""
        with self._lock:
            for run in list(self._runs.values()):
                job = peek(run.job_name)
                if job is None or getattr(job, "terminal", False):
                    self._stop(run, None)

    # ------------------------------------------------------------------------ internals

    def _stop(self, run: JobRun, ending: Ending | None) -> None:
        """Stop a run (the caller holds the lock); one still waiting for slots starts only to end."""
        run.stop(ending)
        if run in self._waiting:
            self._waiting.remove(run)
            self._in_use += len(run.replicas)
            run.start()

    def _admit(self) -> None:
        while self._waiting and self._in_use + len(self._waiting[0].replicas) <= self.options.max_processes:
            run = self._waiting.popleft()
            self._in_use += len(run.replicas)
            run.start()

    def _refuse(self, run: JobRun, message: str) -> None:
        run.log(message, "ERROR")
        with self._lock:
            self._in_use += len(run.replicas)
        self._ended(run, (FAILED, {"code": FAILED_CODE, "message": message}))

    def _ended(self, run: JobRun, ending: Ending | None) -> None:
        with self._lock:
            self._runs.pop(run.job_name, None)
            self._in_use -= len(run.replicas)
            self._admit()
            closed = self._closed
        if self.finisher is not None and ending is not None and not closed:
            self._report_trial(run)
            try:
                self.finisher.finish_job(run.job_name, *ending)
            except ApiError:
                run.log("The job had ended already (the clock, a set outcome, or its resource).")

    def _trial_of(self, job_name: str) -> tuple[str, str] | None:
        """``(tuning job, trial id)`` when the job runs a tuning trial (the service's ``trial_of_job``)."""
        trial_of_job = getattr(self.finisher, "trial_of_job", None)
        return trial_of_job(job_name) if trial_of_job is not None else None

    def _report_trial(self, run: JobRun) -> None:
        """What the trial's script reported with cloudml-hypertune becomes the trial's measurements,
        before its job ends (the final measurement is chosen from them when it succeeds)."""
        if run.trial is None or run.tuning_job is None:
            return
        found = hypertune.measurements(Path(run.trial.metric_file))
        if not found:
            return
        try:
            self.finisher.report_measurements(run.tuning_job, run.trial.id, found)  # type: ignore[union-attr]
        except ApiError as error:
            run.log(f"The trial's measurements were not taken: {error.message}", "WARNING")
        else:
            run.log(f"Reported {len(found)} measurements of trial {run.trial.id}.")

    # ------------------------------------------------------------------------ inspection

    def pids(self, job_name: str) -> list[int]:
        """Process-group ids of a job's running replicas (each replica leads its own group)."""
        with self._lock:
            run = self._runs.get(job_name)
        return run.pids if run else []

    def wait_idle(self, seconds: float) -> bool:
        """Whether every run ended within ``seconds`` (tests wait on processes with a bound)."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.thread.is_alive():
                run.thread.join(seconds)
        with self._lock:
            return not self._runs

    def close(self) -> None:
        """Stop every run and wait for its processes: nothing a job started outlives the emulator."""
        if self.ticker is not None:
            self.ticker.close()
        with self._lock:
            self._closed = True
            runs = list(self._runs.values())
            for run in runs:
                self._stop(run, None)
        for run in runs:
            if run.thread.ident is not None:
                run.thread.join(self.options.grace * 2 + 10)
        self.spawner.close()
        if self._temp is not None:
            self._temp.cleanup()


def attach(service: Any, execution: LocalExecution) -> None:
    """Make ``execution`` the service's execution hook, ending jobs through ``service.finish_job``,
    with a ticker that starts due jobs on a real clock when nobody calls (``ticker``)."""
    service.execution = execution
    execution.bind(service)
    service.listeners.append(lambda: execution.reconcile(service.peek))
    execution.ticker = Ticker(service)
    execution.ticker.start()
