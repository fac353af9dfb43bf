"""``vertex-emulator``: the command line. Each subcommand lives in its own module under
``vertex_emulator.commands`` and registers itself through ``add_parser``/``run``."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

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


@contextmanager
def no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused, then restored as it was.

    Importing a command's modules (all of ``serve``'s: Flask, the service, the views) creates some
    30,000 objects that live as long as the process, hardly any of them garbage; the collector
    would run some 70 times on the way (6% of ``serve``'s import CPU here). Paused, it looks at
    them once, when it next runs.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    with no_collection():
        args = build_parser(words[0] if words and words[0] in COMMANDS else None).parse_args(words)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
