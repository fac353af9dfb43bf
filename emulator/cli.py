"""``vertex-emulator``: the command line. Each subcommand lives in its own module under
``vertex_emulator.commands`` and registers itself through ``add_parser``/``run``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(words[0] if words and words[0] in COMMANDS else None).parse_args(words)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
