"""``vertex-emulator serve``: the emulator on a socket until SIGINT or SIGTERM.

What only some options need is imported when they are given (fixtures with ``--fixtures``, the
SQLite store with ``--data-dir``, snapshots with ``--import`` or ``--export-on-exit``): the way to
the ready line carries only what serves the API (README, "Performance"; ``tests/test_startup.py``
counts it).
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys
import threading
from typing import Any

from vertex_emulator import wire
from vertex_emulator.clock import Clock, ManualClock, RealClock, parse_duration
from vertex_emulator.commands.storage_options import StorageOptionError, add_storage_options, build_storage
from vertex_emulator.http.app import make_app
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.iam import Policy, PolicyError
from vertex_emulator.runner import options as execution_options
from vertex_emulator.server import LOOPBACK, ThreadedServer
from vertex_emulator.service import Service
from vertex_emulator.settings import POLICIES, Settings
from vertex_emulator.storage import HOST_ENV, Storage, StorageError

DELAYS = (
    ("provision-delay", "PROVISIONING -> RUNNING of a new persistent resource"),
    ("update-delay", "UPDATING -> RUNNING"),
    ("reboot-delay", "REBOOTING -> RUNNING"),
    ("delete-delay", "STOPPING -> deleted"),
    ("job-queued-delay", "job QUEUED -> PENDING once it holds its replicas"),
    ("job-pending-delay", "job PENDING -> RUNNING"),
    ("job-duration", "job RUNNING -> SUCCEEDED, unless an outcome is set; 'never' runs until told"),
    ("cancel-delay", "job CANCELLING -> CANCELLED"),
)


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (seconds, or '10s')") from None


def _job_duration(text: str) -> float | None:
    return None if text == "never" else _duration(text)


def add_emulator_options(parser: argparse.ArgumentParser, delays: Settings | None = None) -> None:
    """Options that shape an emulator's behaviour, shared by every command that starts one.

    ``delays`` holds the defaults the command's help states (``serve``'s, for a person watching, by default).
    """
    shown = delays or Settings.interactive()
    parser.add_argument(
        "--fixtures", nargs="+", default=[], metavar="PATH", help="JSON/YAML files or folders to seed from"
    )
    parser.add_argument("--project", default="my-project", help="project of fixture objects named by bare id")
    parser.add_argument("--location", default="us-central1", help="location of fixture objects named by bare id")
    parser.add_argument(
        "--admission",
        choices=POLICIES,
        default="reject",
        help="a job that fits but finds too few free replicas: reject it (400 FAILED_PRECONDITION) or queue it",
    )
    parser.add_argument(
        "--clock",
        choices=("real", "manual"),
        default="real",
        help="manual: time moves only through POST /emulator/v1/clock:advance",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of generated job and operation ids, for reproducible runs"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="keep the whole state in DIR (SQLite) across restarts and crashes; without it the state is in memory",
    )
    parser.add_argument(
        "--import",
        dest="import_file",
        default=None,
        metavar="FILE",
        help="start from a state snapshot (what GET /emulator/v1/state or --export-on-exit wrote)",
    )
    for flag, meaning in DELAYS:
        kind = _job_duration if flag == "job-duration" else _duration
        value = getattr(shown, flag.replace("-", "_"))
        default = "never" if value is None else f"{value:g} s"
        parser.add_argument(
            f"--{flag}", type=kind, default=argparse.SUPPRESS, metavar="SECONDS", help=f"{meaning} (default {default})"
        )
    execution_options.add_execution_options(parser)


def build_service(args: argparse.Namespace, storage: Storage | None = None) -> Service:
    overrides: dict[str, Any] = {
        flag.replace("-", "_"): getattr(args, flag.replace("-", "_"))
        for flag, _ in DELAYS
        if hasattr(args, flag.replace("-", "_"))
    }
    overrides.update(execution_options.settings_overrides(args))
    settings = Settings.interactive(admission=args.admission, **overrides)
    clock: Clock = ManualClock() if args.clock == "manual" else RealClock()
    service = Service(clock=clock, settings=settings, seed=args.seed)
    execution_options.attach_execution(service, args, storage.url if storage is not None else None)
    kept = None
    if args.data_dir:
        from vertex_emulator.store import Store

        kept = Store(service, args.data_dir)
    try:
        _seed(service, args, kept is not None and kept.restored, storage)
    except BaseException:
        if kept is not None:
            kept.close()
        raise
    if kept is not None:
        kept.listen()
    return service


def _seed(service: Service, args: argparse.Namespace, restored: bool, storage: Storage | None) -> None:
    """``--import``, then ``--fixtures``; a data dir that already held a state is not seeded again."""
    if args.import_file:
        from vertex_emulator import snapshot

        service.import_state(snapshot.read_file(args.import_file))
    if restored and args.fixtures:
        print(f"vertex-emulator: {args.data_dir} already holds a state; --fixtures not loaded again", file=sys.stderr)
        return
    if args.fixtures:
        from vertex_emulator import fixtures

        fixtures.load(service, args.fixtures, args.project, args.location, storage)


def add_http_options(parser: argparse.ArgumentParser) -> None:
    """How the served API is exposed: control API, its token, IAM policy."""
    parser.add_argument(
        "--control",
        choices=("on", "off"),
        default="on",
        help="off: serve no /emulator/v1 method but the health check (default on)",
    )
    parser.add_argument(
        "--control-token",
        default=None,
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' or 'X-Emulator-Token: TOKEN' on the control API",
    )
    parser.add_argument(
        "--iam-policy",
        default=None,
        metavar="FILE",
        help="YAML/JSON policy binding principals (from bearer tokens) to roles; without it everything is allowed",
    )


def build_http_options(args: argparse.Namespace, storage: Storage | None = None) -> HttpOptions:
    """Raises ``iam.PolicyError`` for a policy file that cannot be used."""
    policy = Policy.load(args.iam_policy) if args.iam_policy else None
    return HttpOptions(control=args.control == "on", control_token=args.control_token, policy=policy, storage=storage)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "serve", help="serve the emulator over HTTP", description="Serve the emulated Vertex AI API."
    )
    parser.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    add_http_options(parser)
    add_emulator_options(parser)
    add_storage_options(parser, port=True)
    parser.add_argument(
        "--export-on-exit",
        default=None,
        metavar="FILE",
        help="on SIGINT/SIGTERM, write the state snapshot to FILE (for --import)",
    )
    parser.set_defaults(run=run)


MAX_PORT = 65535


def _why(error: OSError, port: int) -> str:
    """Why a port cannot be listened on, with what to do when another program holds it."""
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} is in use by another program (another emulator?). Stop it, or pick another port: "
            f"--port 0 picks a free one and prints it; with make, make run PORT={port + 1 if port < MAX_PORT else 8081}"
        )
    return str(error.strerror or error)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= MAX_PORT:
        print(
            f"vertex-emulator serve: --port {args.port} is not a port: give 0-{MAX_PORT} (0 picks a free one)",
            file=sys.stderr,
        )
        return 2
    refused = execution_options.refusal(args, args.host)
    if refused:
        print(f"vertex-emulator: {refused}", file=sys.stderr)
        return 2
    try:
        storage = build_storage(args)
    except (StorageOptionError, StorageError) as error:
        print(f"vertex-emulator: bad storage option: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"vertex-emulator: cannot listen on storage port {args.storage_port}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        return _serve(args, storage)
    finally:
        if storage is not None:
            storage.stop()


def _bad_input(error: Exception) -> str | None:
    """Which input ``error`` refuses (a fixture, the data dir, a snapshot), or None for any other
    error. The modules are imported only on this path: a start without their options loads none."""
    from vertex_emulator import fixtures, snapshot, store

    kinds = (
        (fixtures.FixtureError, "bad fixture"),
        (store.StoreError, "bad data dir"),
        (snapshot.SnapshotError, "bad snapshot"),
    )
    return next((what for kind, what in kinds if isinstance(error, kind)), None)


def _serve(args: argparse.Namespace, storage: Storage | None) -> int:
    try:
        service = build_service(args, storage)
    except Exception as error:
        what = _bad_input(error)
        if what is None:
            raise
        print(f"vertex-emulator: {what}: {error}", file=sys.stderr)
        return 2
    try:
        options = build_http_options(args, storage)
    except PolicyError as error:
        print(f"vertex-emulator: bad IAM policy: {error}", file=sys.stderr)
        return 2
    service.hint_elsewhere = options.policy is None
    if args.host not in (LOOPBACK, "localhost", "::1"):
        print(f"vertex-emulator: warning: serving on {args.host}, reachable beyond this machine", file=sys.stderr)
        if options.control and not options.control_token:
            print(
                "vertex-emulator: warning: anyone who reaches it can reset it or move its clock; "
                "use --control off or --control-token TOKEN",
                file=sys.stderr,
            )
    try:
        server = ThreadedServer(service, host=args.host, port=args.port, app=make_app(service, options))
    except OSError as error:
        print(f"vertex-emulator: cannot listen on {args.host}:{args.port}: {_why(error, args.port)}", file=sys.stderr)
        return 1
    stop = StopSignals()
    server.start()
    print(f"vertex-emulator listening on {server.url}", flush=True)
    # What is left of the start runs one piece at a time, so that a request arriving meanwhile (the
    # first health check, usually) shares the interpreter with one of them, not both: Cloud
    # Storage's server, then the official message classes, which a create arriving first loads itself.
    if storage is not None:
        storage.start()
        print(f"vertex-emulator storage on {storage.url} (set {HOST_ENV}={storage.url})", flush=True)
    execution_options.announce(service)
    threading.Thread(target=wire.warm, name="vertex-emulator-warm-up", daemon=True).start()
    stop.wait()
    server.stop()
    execution_options.close(service)
    return _export(service, args.export_on_exit) if args.export_on_exit else 0


class StopSignals:
    """SIGINT and SIGTERM as something the main thread waits for.

    The signals' own (C-level) handler writes the signal's number to a socket that ``wait`` reads
    (``signal.set_wakeup_fd``); the Python-level handlers do nothing. Setting a ``threading.Event``
    from the handler instead deadlocks when the signal lands while the main thread, inside that
    event's ``wait``, holds the event's own lock: a ``serve`` that then ignores SIGTERM for good,
    seen in the test suite on a loaded machine.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno())
        for signum in self.SIGNALS:
            signal.signal(signum, lambda *_: None)

    def wait(self) -> None:
        """Return once SIGINT or SIGTERM has arrived (at any time since this was made)."""
        while self._reader.recv(1)[0] not in self.SIGNALS:
            pass
        signal.set_wakeup_fd(-1)
        self._reader.close()
        self._writer.close()


def _export(service: Service, path: str) -> int:
    from vertex_emulator import snapshot

    try:
        snapshot.write_file(path, service.export_state())
    except OSError as error:
        print(f"vertex-emulator: cannot export the state to {path}: {error}", file=sys.stderr)
        return 1
    print(f"vertex-emulator: state exported to {path}", file=sys.stderr)
    return 0
