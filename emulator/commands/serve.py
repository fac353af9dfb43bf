"""``vertex-emulator serve``: the emulator on a socket until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from emulator import fixtures
from emulator.clock import Clock, ManualClock, RealClock, parse_duration
from emulator.server import LOOPBACK, ThreadedServer
from emulator.service import Service
from emulator.settings import POLICIES, Settings

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


def add_emulator_options(parser: argparse.ArgumentParser) -> None:
    """Options that shape an emulator's behaviour, shared by every command that starts one."""
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
    for flag, meaning in DELAYS:
        kind = _job_duration if flag == "job-duration" else _duration
        parser.add_argument(f"--{flag}", type=kind, default=argparse.SUPPRESS, metavar="SECONDS", help=meaning)


def build_service(args: argparse.Namespace) -> Service:
    overrides: dict[str, Any] = {
        flag.replace("-", "_"): getattr(args, flag.replace("-", "_"))
        for flag, _ in DELAYS
        if hasattr(args, flag.replace("-", "_"))
    }
    settings = Settings.interactive(admission=args.admission, **overrides)
    clock: Clock = ManualClock() if args.clock == "manual" else RealClock()
    service = Service(clock=clock, settings=settings, seed=args.seed)
    fixtures.load(service, args.fixtures, args.project, args.location)
    return service


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "serve", help="serve the emulator over HTTP", description="Serve the emulated Vertex AI API."
    )
    parser.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    add_emulator_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        service = build_service(args)
    except fixtures.FixtureError as error:
        print(f"vertex-emulator: bad fixture: {error}", file=sys.stderr)
        return 2
    if args.host not in (LOOPBACK, "localhost", "::1"):
        print(f"vertex-emulator: warning: serving on {args.host}, reachable beyond this machine", file=sys.stderr)
    try:
        server = ThreadedServer(service, host=args.host, port=args.port)
    except OSError as error:
        print(f"vertex-emulator: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"vertex-emulator listening on {server.url}", flush=True)
    stop.wait()
    server.stop()
    return 0
