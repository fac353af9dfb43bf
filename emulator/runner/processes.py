"""Replica processes: started from one long-lived thread, each in its own process group.

Every replica runs under ``shim.py`` (its process-group leader), which the kernel signals when the
emulator dies, even by SIGKILL; the shim then kills the group. The kernel sends that signal when
the *thread* that started the process ends, so all processes are started by one thread that lives
as long as the emulator (``Spawner``), never by a request's thread. Stopping is SIGTERM to the
group, then SIGKILL to the group after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

SHIM = Path(__file__).with_name("shim.py")


@dataclass(frozen=True)
class Launch:
    """What to start: the command line, its full environment, and its working directory."""

    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: str


def _start(launch: Launch) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-I", "-S", str(SHIM), str(os.getpid()), "--", *launch.argv]
    return subprocess.Popen(
        argv,
        env=dict(launch.env),
        cwd=launch.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
    )


class Spawner:
    """The one thread that starts replica processes, so their parent-death signal fires only with us."""

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[Launch, Future[subprocess.Popen[bytes]]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="vertex-emulator-spawner", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            request = self._requests.get()
            if request is None:
                return
            launch, future = request
            try:
                future.set_result(_start(launch))
            except OSError as error:
                future.set_exception(error)

    def start(self, launch: Launch) -> subprocess.Popen[bytes]:
        """Start ``launch`` from the spawner thread; raises ``OSError`` when it cannot start."""
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((launch, future))
        return future.result()

    def close(self) -> None:
        self._requests.put(None)
        self._thread.join(timeout=5)


def signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    """Signal the process group of a replica; a group that is already gone is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, number)


def group_alive(pgid: int) -> bool:
    """Whether any process of that group still exists (what tests check after a stop)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exit_status(returncode: int) -> int:
    """A container's exit status: a death by signal N is 128 + N, as a shell reports it."""
    return 128 - returncode if returncode < 0 else returncode


def _memory_event_files() -> list[Path]:
    """Where the kernel counts OOM kills of this cgroup: v2 ``memory.events``, v1 ``memory.oom_control``."""
    files = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, relative = line.split(":", 2)
        if controllers == "":
            files.append(Path("/sys/fs/cgroup") / relative.lstrip("/") / "memory.events")
        elif "memory" in controllers.split(","):
            root = Path("/sys/fs/cgroup/memory")
            files += [root / relative.lstrip("/") / "memory.oom_control", root / "memory.oom_control"]
    return files


def oom_kills() -> int | None:
    """The kernel's count of out-of-memory kills in this process's cgroup, or None when unknown."""
    try:
        candidates = _memory_event_files()
    except (OSError, ValueError):
        return None
    for path in candidates:
        try:
            lines = path.read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
    return None
