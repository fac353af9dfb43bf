"""``vertex-emulator``: the command line. Each subcommand lives in its own module under
``vertex_emulator.commands`` and registers itself through ``add_parser``/``run``."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import NoReturn

COMMANDS = ("serve", "submit", "exec", "check")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``only``, just that subcommand, so that running one command never
    pays for the imports of another (``serve``'s cold start must not load the official SDK)."""
    parser = argparse.ArgumentParser(
        prog="vertex-emulator",
        description="A local emulator of Vertex AI persistent resources and custom jobs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"vertex_emulator.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """Run the command ``argv`` names (by default this process's arguments). ``own_process``: this
    process is the program itself (``program``), not a caller's such as a test's."""
    words = sys.argv[1:] if argv is None else list(argv)
    with _start_up_heap() if own_process else nullcontext():
        args = build_parser(words[0] if words and words[0] in COMMANDS else None).parse_args(words)
    return int(args.run(args) or 0)


def program() -> NoReturn:
    """``vertex-emulator`` and ``python -m vertex_emulator``: ``main`` in a process of its own."""
    sys.exit(main(own_process=True))


@contextmanager
def _start_up_heap() -> Iterator[None]:
    """The command's imports with the cyclic garbage collector paused, what they made then frozen.

    Importing a command's modules (all of ``serve``'s: Flask, the service, the views) makes some
    30,000 objects that live as long as the process. The collector would run about 70 times on the
    way (7% of ``serve``'s CPU to its ready line here; paused only, one late pass over them all
    costs more), and walk them again in every full collection after; frozen (``gc.freeze``), they
    are never walked, and the collector runs as usual for what comes after. Only for a process of
    its own: a caller's frozen garbage would never be freed.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


if __name__ == "__main__":
    program()
