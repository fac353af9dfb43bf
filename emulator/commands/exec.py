"""``vertex-emulator exec -- COMMAND ...``: run a command against a fresh emulator (Firebase's
``emulators:exec``), then stop the emulator and exit with the command's status.

The emulator listens on a free loopback port for as long as COMMAND runs. COMMAND gets
``VERTEX_AI_EMULATOR_HOST`` and, first on ``PYTHONPATH``, a ``sitecustomize`` that sends the
official clients there (see ``emulator/sitedir/sitecustomize.py``), so unmodified programs using the
SDK or the GAPIC clients reach it. Unless ``--storage off``, a Cloud Storage emulator runs beside
it and COMMAND gets ``STORAGE_EMULATOR_HOST`` too (``--bucket NAME`` creates buckets first). Only
the child's environment is changed.

Unlike ``serve``, every delay defaults to zero: a script run this way should not wait on
transitions meant for a person watching. The delay options still apply.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from vertex_emulator import fixtures, snapshot, store
from vertex_emulator.address import EMULATOR_HOST_ENV
from vertex_emulator.commands.serve import DELAYS, add_emulator_options, build_service
from vertex_emulator.commands.storage_options import StorageOptionError, add_storage_options, build_storage
from vertex_emulator.http.app import make_app
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.runner import options as execution_options
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings
from vertex_emulator.storage import Storage, StorageError

START_ERRORS = (
    fixtures.FixtureError,
    store.StoreError,
    snapshot.SnapshotError,
    StorageOptionError,
    StorageError,
    OSError,
)
NOT_FOUND, NOT_EXECUTABLE, USAGE = 127, 126, 2


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "exec",
        help="run a command against a fresh emulator",
        description="Start an emulator on a free port, run COMMAND against it, stop it, exit with COMMAND's status.",
        usage="vertex-emulator exec [emulator options] -- COMMAND [ARG ...]",
    )
    add_emulator_options(parser, Settings())
    add_storage_options(parser, port=False)
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND ...", help="what to run")
    parser.set_defaults(run=run, **{flag.replace("-", "_"): 0.0 for flag, _ in DELAYS})


def child_environment(address: str, storage: Storage | None = None) -> dict[str, str]:
    """This process's environment, plus the emulator's address (and the storage emulator's) and the
    redirecting ``sitecustomize``."""
    from vertex_emulator.sitedir import PATH

    env = dict(os.environ)
    env[EMULATOR_HOST_ENV] = address
    if storage is not None:
        env.update(storage.environment())
    env["PYTHONPATH"] = os.pathsep.join(part for part in (str(PATH), env.get("PYTHONPATH")) if part)
    return env


def run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("vertex-emulator exec: give the command to run after --", file=sys.stderr)
        return USAGE
    storage: Storage | None = None
    try:
        try:
            storage = build_storage(args)
            service = build_service(args, storage)
            if storage is not None:
                storage.start()
        except START_ERRORS as error:
            print(f"vertex-emulator exec: cannot start the emulator: {error}", file=sys.stderr)
            return USAGE
        return _serve_child(command, service, storage)
    finally:
        if storage is not None:
            storage.stop()


def _serve_child(command: list[str], service: Service, storage: Storage | None) -> int:
    try:
        with ThreadedServer(service, app=make_app(service, HttpOptions(storage=storage))) as server:
            print(f"vertex-emulator listening on {server.url}", file=sys.stderr, flush=True)
            if storage is not None:
                print(f"vertex-emulator storage on {storage.url}", file=sys.stderr, flush=True)
            execution_options.announce(service)
            try:
                status = _run_child(command, child_environment(server.address, storage))
            except FileNotFoundError:
                print(f"vertex-emulator exec: {command[0]}: command not found", file=sys.stderr)
                return NOT_FOUND
            except PermissionError:
                print(f"vertex-emulator exec: {command[0]}: not executable", file=sys.stderr)
                return NOT_EXECUTABLE
    finally:
        execution_options.close(service)
    return 128 - status if status < 0 else status


def _run_child(command: list[str], env: dict[str, str]) -> int:
    """Run COMMAND to its end; a SIGTERM (a CI job cancelled) is passed on to it, and Ctrl-C,
    which the terminal already delivers to COMMAND, is left to COMMAND to act on."""
    child: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _: object) -> None:
        if child:
            child[0].send_signal(signum)

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {
            signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
            signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        }
    try:
        child.append(subprocess.Popen(command, env=env))
        return child[0].wait()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
