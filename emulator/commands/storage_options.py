"""The Cloud Storage options ``serve`` and ``exec`` share: on or off, its port, the buckets to create."""

from __future__ import annotations

import argparse
from pathlib import Path

from vertex_emulator.storage import Storage

STORAGE_FOLDER = "storage"
"""Under ``--data-dir``: where the storage emulator keeps buckets and objects (beside the SQLite file)."""


def add_storage_options(parser: argparse.ArgumentParser, port: bool) -> None:
    parser.add_argument(
        "--storage",
        choices=("on", "off"),
        default="on",
        help="a Cloud Storage emulator beside the API, for STORAGE_EMULATOR_HOST (default on)",
    )
    if port:
        parser.add_argument(
            "--storage-port",
            type=int,
            default=0,
            metavar="PORT",
            help="loopback port of the Cloud Storage emulator; 0 picks a free one (default 0)",
        )
    parser.add_argument(
        "--bucket",
        dest="buckets",
        action="append",
        default=[],
        metavar="NAME",
        help="create this Cloud Storage bucket at start (repeatable); the SDK never creates its staging bucket",
    )


class StorageOptionError(Exception):
    """Options that contradict each other, such as ``--bucket`` with ``--storage off``."""


def build_storage(args: argparse.Namespace) -> Storage | None:
    """The storage emulator the options ask for, bound to its port but not yet serving (so a
    taken port fails before the API's ready line, and the server package is imported after it).

    Raises StorageOptionError, ``storage.StorageError`` (a bucket name) or OSError (the port).
    """
    if args.storage == "off":
        if args.buckets:
            raise StorageOptionError("--bucket needs Cloud Storage; drop --storage off")
        return None
    data_dir = Path(args.data_dir) / STORAGE_FOLDER if args.data_dir else None
    return Storage(port=getattr(args, "storage_port", 0), data_dir=data_dir, buckets=args.buckets).bind()
