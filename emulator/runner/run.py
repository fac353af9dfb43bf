"""One job's replica processes, from start to the outcome they decide.

A ``JobRun`` lives in its own thread: it installs the job's Python packages, starts every replica
through the ``Spawner``, streams their output into the log book, and waits for the first decisive
event: workerpool0-0 exiting 0 (SUCCEEDED), any replica exiting non-zero (FAILED), or a stop asked
from outside (cancel, timeout, the resource deleted, the emulator stopping). Then it stops the
other replicas (SIGTERM, SIGKILL after the grace period), waits for every process, and only then
reports the outcome: the job holds its replicas exactly as long as its processes run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from vertex_emulator.runner import launch, outcome, processes
from vertex_emulator.runner.defaults import GRACE_SECONDS
from vertex_emulator.runner.environment import Cluster, Replica, Trial, replicas
from vertex_emulator.runner.logs import STDERR, STDOUT, LogBook

INSTALL_TIMEOUT = 600.0
READER_JOIN_SECONDS = 5.0
INHERITED_PREFIXES = ("CLUSTER_SPEC", "TF_CONFIG", "AIP_", "CLOUD_ML_", "MASTER_", "WORLD_SIZE", "RANK")
"""Variables of the emulator's own environment a replica never inherits: Vertex AI sets them."""

Ending = tuple[str, "dict[str, Any] | None"]
"""A job's end as the service takes it: its state and its google.rpc.Status error."""
OnEnd = Callable[["JobRun", "Ending | None"], None]


@dataclass(frozen=True)
class RunSettings:
    """What every run of one emulator shares."""

    launch: launch.LaunchOptions
    spawner: processes.Spawner
    book: LogBook
    work_dir: Path
    cwd: str
    grace: float = GRACE_SECONDS


@dataclass
class ReplicaProcess:
    replica: Replica
    process: subprocess.Popen[bytes]
    oom_before: int | None
    readers: list[threading.Thread] = field(default_factory=list)
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=outcome.TAIL_LINES))
    returncode: int | None = None


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that were free a moment ago (bound together, then released)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _cannot_start(replica: Replica, reason: str) -> launch.LaunchError:
    """A replica that never ran: no command for its image, a package that cannot be installed."""
    return launch.LaunchError(f"The replica {replica.name} could not start: {reason}")


def base_environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(INHERITED_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class JobRun:
    """The processes of one job; ``on_end(run, ending)`` is called once, after all have ended."""

    def __init__(
        self, job_name: str, job_spec: Mapping[str, Any], settings: RunSettings, on_end: OnEnd, trial: Trial | None
    ) -> None:
        self.job_name = job_name
        self.job_spec = job_spec
        self.settings = settings
        self.on_end = on_end
        self.trial = trial
        self.tuning_job: str | None = None
        """The HyperparameterTuningJob whose trial this job runs, when it does."""
        parts = job_name.split("/")
        self.project, self.job_id = parts[1], parts[-1]
        self.replicas = replicas(job_spec)
        self.dir = settings.work_dir / self.job_id
        self.running: list[ReplicaProcess] = []
        self._cond = threading.Condition()
        self._decision: tuple[str, Any] | None = None
        self.thread = threading.Thread(target=self._main, name=f"vertex-emulator-job-{self.job_id}", daemon=True)

    # ------------------------------------------------------------ asked from outside

    def start(self) -> None:
        self.thread.start()

    def stop(self, ending: Ending | None) -> None:
        """Stop the processes, then end the job as ``ending`` says (None: the service ended it
        already), unless the processes decided first."""
        with self._cond:
            if self._decision is None:
                self._decision = ("stopped", ending)
            self._cond.notify_all()

    @property
    def pids(self) -> list[int]:
        return [running.process.pid for running in self.running]

    def log(self, message: str, severity: str = "INFO") -> None:
        self.settings.book.service(self.project, self.job_id, message, severity)

    # ------------------------------------------------------------------- the thread

    def _main(self) -> None:
        ending: Ending | None = (
            "JOB_STATE_FAILED",
            {"code": 13, "message": "The emulator could not run the job's replicas."},
        )
        try:
            self.log("Waiting for training program to start.")
            try:
                self._start_all()
            except launch.LaunchError as failure:
                self._decide("failed_to_start", str(failure))
            self._await_decision()
            ending = self._conclude()
        except Exception as failure:
            self.log(f"The emulator could not run the job's replicas: {failure!r}", "ERROR")
            raise
        finally:
            self._reap_all()
            self.on_end(self, ending)

    def _decide(self, kind: str, detail: Any) -> None:
        with self._cond:
            if self._decision is None:
                self._decision = (kind, detail)
            self._cond.notify_all()

    def _await_decision(self) -> None:
        with self._cond:
            while self._decision is None:
                self._cond.wait()

    def _stopping(self) -> bool:
        with self._cond:
            return self._decision is not None

    def _start_all(self) -> None:
        if self._stopping():
            return
        commands, paths = self._commands()
        ports = dict(zip(self.replicas, free_ports(len(self.replicas)), strict=True))
        cluster = Cluster(self.job_name, self.job_spec, ports, self.trial)
        for replica in self.replicas:
            if self._stopping():
                return
            env = base_environment(cluster.environment(replica, self.settings.launch.storage_host))
            if replica.pool in paths:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [paths[replica.pool], env.get("PYTHONPATH")]))
            self._spawn(replica, commands[replica.pool], env)
        self.log("Job is running.")

    def _commands(self) -> tuple[dict[int, list[str]], dict[int, str]]:
        """Each pool's command line, and where its Python packages are installed."""
        pools = self.job_spec.get("workerPoolSpecs") or []
        commands: dict[int, list[str]] = {}
        paths: dict[int, str] = {}
        installed: dict[tuple[str, ...], str] = {}
        for replica in self.replicas:
            if replica.pool in commands:
                continue
            pool = pools[replica.pool]
            try:
                commands[replica.pool] = launch.pool_command(pool, self.settings.launch)
            except launch.LaunchError as failure:
                raise _cannot_start(replica, str(failure)) from None
            package = pool.get("pythonPackageSpec")
            if package and not pool.get("containerSpec"):
                uris = tuple(package.get("packageUris") or [])
                if uris not in installed:
                    installed[uris] = self._install(replica, uris, len(installed))
                paths[replica.pool] = installed[uris]
        return commands, paths

    def _install(self, replica: Replica, uris: tuple[str, ...], number: int) -> str:
        target = self.dir / f"packages-{number}"
        try:
            files = [launch.fetch(uri, self.dir / "dist", self.settings.launch.storage_host) for uri in uris]
        except launch.LaunchError as failure:
            raise _cannot_start(replica, str(failure)) from None
        argv = launch.pip_install_command(self.settings.launch.python, files, target)
        self.log(f"Installing {', '.join(uris)} into {target}.")
        pip = self.settings.spawner.start(processes.Launch(argv, base_environment({}), self.settings.cwd))
        try:
            _, err = pip.communicate(timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            processes.signal_group(pip, signal.SIGKILL)
            pip.wait()
            err = b"pip did not finish in time"
        if pip.returncode:
            tail = err.decode("utf-8", "replace").strip()[-outcome.TAIL_CHARS :]
            reason = f"installing its Python packages failed:\n{tail}"
            raise _cannot_start(replica, reason)
        return str(target)

    def _spawn(self, replica: Replica, argv: list[str], env: dict[str, str]) -> None:
        before = processes.oom_kills()
        try:
            process = self.settings.spawner.start(processes.Launch(argv, env, self.settings.cwd))
        except OSError as error:
            raise _cannot_start(replica, error.strerror or str(error)) from None
        running = ReplicaProcess(replica, process, before)
        assert process.stdout is not None and process.stderr is not None
        running.readers = [
            self._reader(running, process.stdout, STDOUT),
            self._reader(running, process.stderr, STDERR),
        ]
        with self._cond:
            self.running.append(running)
        threading.Thread(target=self._wait_for, args=(running,), name=f"wait-{replica.name}", daemon=True).start()

    def _reader(self, running: ReplicaProcess, pipe: IO[bytes], stream: str) -> threading.Thread:
        def read() -> None:
            with pipe:
                for raw in pipe:
                    line = raw.decode("utf-8", "replace").rstrip("\n")
                    self.settings.book.line(self.project, self.job_id, running.replica.name, line, stream)
                    if stream == STDERR:
                        running.stderr.append(line)

        thread = threading.Thread(target=read, name=f"{stream}-{running.replica.name}", daemon=True)
        thread.start()
        return thread

    def _wait_for(self, running: ReplicaProcess) -> None:
        code = running.process.wait()
        with self._cond:
            running.returncode = code
            if self._decision is None and code != 0:
                self._decision = ("failed", running)
            elif self._decision is None and running.replica == self.replicas[0]:
                self._decision = ("succeeded", running)
            self._cond.notify_all()

    def _conclude(self) -> Ending | None:
        assert self._decision is not None
        kind, detail = self._decision
        self._reap_all()
        if kind == "succeeded":
            self.log("Job completed successfully.")
            return "JOB_STATE_SUCCEEDED", None
        if kind == "stopped":
            return detail
        if kind == "failed_to_start":
            self.log(detail, "ERROR")
            return "JOB_STATE_FAILED", {"code": outcome.FAILED_CODE, "message": detail}
        running: ReplicaProcess = detail
        oom = running.returncode == -signal.SIGKILL and self._oom_since(running)
        error = outcome.replica_failed(
            self.job_name, running.replica.name, processes.exit_status(running.returncode or 0), running.stderr, oom
        )
        self.log(error["message"].split("\n", 1)[0], "ERROR")
        return "JOB_STATE_FAILED", error

    @staticmethod
    def _oom_since(running: ReplicaProcess) -> bool:
        after = processes.oom_kills()
        return running.oom_before is not None and after is not None and after > running.oom_before

    def _all_ended(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._cond:
            while any(running.returncode is None for running in self.running):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _reap_all(self) -> None:
        """Stop whatever still runs (SIGTERM, SIGKILL after the grace period), wait for it, drain its output."""
        with self._cond:
            alive = [running for running in self.running if running.returncode is None]
        for running in alive:
            processes.signal_group(running.process, signal.SIGTERM)
        if alive and not self._all_ended(self.settings.grace):
            for running in self.running:
                processes.signal_group(running.process, signal.SIGKILL)
            self._all_ended(self.settings.grace)
        for running in self.running:
            processes.signal_group(running.process, signal.SIGKILL)
            for reader in running.readers:
                reader.join(READER_JOIN_SECONDS)
        if alive:
            self.log("Finished tearing down training program.")
