"""The command-line options of local execution, shared by ``serve`` and ``exec``.

Local execution runs commands that arrive in API requests, so it is off unless asked for, and
``serve`` refuses it on an address beyond loopback unless ``--allow-remote-execution`` is given.
Its machinery (``execution``, ``processes``, ``subprocess``...) is imported only when it is asked
for: with it off, ``serve`` starts without it (README, "Performance").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vertex_emulator.core import hooks
from vertex_emulator.runner.defaults import GRACE_SECONDS, LINES_PER_JOB, default_max_processes

if TYPE_CHECKING:
    from vertex_emulator.runner.execution import LocalExecution

NONE = "none"
LOCAL = "local"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _image(text: str) -> tuple[str, str]:
    from vertex_emulator.runner import launch

    try:
        return launch.parse_image_mapping(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _seconds(text: str) -> float:
    value = float(text.removesuffix("s"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("local execution (runs the commands jobs name, on this machine)")
    group.add_argument(
        "--execution",
        choices=(NONE, LOCAL),
        default=NONE,
        help="none (default): jobs end on the clock; local: each replica runs as a local process",
    )
    group.add_argument(
        "--image",
        dest="images",
        action="append",
        type=_image,
        default=[],
        metavar="IMAGE=COMMAND",
        help="the local command line of a container image whose spec names no command (repeatable)",
    )
    group.add_argument(
        "--python", default=sys.executable, metavar="PATH", help="interpreter of python_package_spec jobs"
    )
    group.add_argument(
        "--max-processes",
        type=_positive,
        default=default_max_processes(),
        metavar="N",
        help="replica processes running at once; jobs beyond it wait (default: 4 per CPU, at least 8)",
    )
    group.add_argument(
        "--grace-period",
        type=_seconds,
        default=GRACE_SECONDS,
        metavar="SECONDS",
        help="SIGTERM to SIGKILL when a job is cancelled or stopped (default 10)",
    )
    group.add_argument(
        "--log-lines",
        type=_positive,
        default=LINES_PER_JOB,
        metavar="N",
        help="log entries kept per job, the last N (default 10000)",
    )
    group.add_argument(
        "--allow-remote-execution",
        action="store_true",
        help="allow --execution local on an address beyond loopback (anyone who reaches it runs commands here)",
    )


def refusal(args: argparse.Namespace, host: str) -> str | None:
    """Why ``serve`` must not start local execution on ``host``, or None."""
    if args.execution == LOCAL and host not in LOOPBACK_HOSTS and not args.allow_remote_execution:
        return (
            f"--execution local runs the commands of API requests on this machine; it is refused on {host} "
            "(beyond loopback) unless --allow-remote-execution is given"
        )
    return None


CANCEL_MARGIN = 5.0
"""Seconds past the grace period after which the clock ends a CANCELLING job its processes did not."""


def settings_overrides(args: argparse.Namespace) -> dict[str, float | None]:
    """Delays local execution replaces: its processes decide when a job ends (``--job-duration``
    does not apply), and a cancelled job ends when its processes are gone, the clock ending it
    only if they outlast the grace period by ``CANCEL_MARGIN`` (``--cancel-delay`` does not apply)."""
    if args.execution != LOCAL:
        return {}
    return {"job_duration": None, "cancel_delay": args.grace_period + CANCEL_MARGIN}


def build_execution(args: argparse.Namespace, storage_host: str | None = None) -> LocalExecution | None:
    """The execution the options ask for: None keeps clock-driven jobs."""
    if args.execution != LOCAL:
        return None
    from vertex_emulator.runner import launch
    from vertex_emulator.runner.execution import ExecutionOptions, LocalExecution

    options = ExecutionOptions(
        launch=launch.LaunchOptions(
            images=dict(args.images),
            python=args.python,
            storage_host=storage_host or os.environ.get("STORAGE_EMULATOR_HOST"),
        ),
        max_processes=args.max_processes,
        grace=args.grace_period,
        lines_per_job=args.log_lines,
    )
    return LocalExecution(options)


def attach_execution(service: Any, args: argparse.Namespace, storage_host: str | None = None) -> None:
    """Give ``service`` the execution the options ask for (none keeps the default hook); its
    replicas' gs:// reads and writes go to the storage emulator at ``storage_host``."""
    execution = build_execution(args, storage_host)
    if execution is not None:
        from vertex_emulator.runner.execution import attach

        attach(service, execution)


def _local(service: Any) -> LocalExecution | None:
    """The service's local execution, or None. The default hook (jobs end on the clock) is told
    apart without importing the machinery, which a start without local execution never loads."""
    if type(service.execution) is hooks.Execution:
        return None
    from vertex_emulator.runner.execution import LocalExecution

    return service.execution if isinstance(service.execution, LocalExecution) else None


def announce(service: Any) -> None:
    """Say at start, on stderr, that local execution is on."""
    execution = _local(service)
    if execution is not None:
        print(
            "vertex-emulator: local execution is ON: jobs run their replicas' commands on this machine "
            f"(at most {execution.options.max_processes} processes at once)",
            file=sys.stderr,
            flush=True,
        )


def close(service: Any) -> None:
    """The emulator stops: the service tells the hook, then every replica process is stopped and waited for."""
    service.close()
    execution = _local(service)
    if execution is not None:
        execution.close()


@contextmanager
def running_locally(service: Any, storage_host: str | None = None) -> Iterator[LocalExecution]:
    """Local execution on an emulator made elsewhere (the pytest fixtures' ``--vertex-execution
    local``), with the delays it replaces, closed with every process it started when done."""
    from vertex_emulator.runner import launch
    from vertex_emulator.runner.execution import ExecutionOptions, LocalExecution, attach

    execution = LocalExecution(ExecutionOptions(launch=launch.LaunchOptions(storage_host=storage_host)))
    service.settings = replace(
        service.settings, job_duration=None, cancel_delay=execution.options.grace + CANCEL_MARGIN
    )
    attach(service, execution)
    try:
        yield execution
    finally:
        close(service)
