"""What a replica runs: its worker pool's command line on this machine, never a container.

No container engine runs here. A ``containerSpec`` with a ``command`` runs that command and its
``args`` on the host (the image is not pulled; its name stays on the record); an image without a
command runs the command line ``--image IMAGE=COMMAND`` maps it to, or the job fails with a text
that names the flag. A ``pythonPackageSpec``'s ``packageUris`` are fetched (``gs://`` from the
storage emulator, or a local path), installed once per job with pip, without network and without
dependencies, into the job's own directory, and run as ``python -m MODULE ARGS`` with the
emulator's interpreter or ``--python PATH``.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


class LaunchError(Exception):
    """A worker pool that cannot run here; its text becomes the failed job's error message."""


@dataclass(frozen=True)
class LaunchOptions:
    """How replicas are started (``serve --execution local`` flags)."""

    images: Mapping[str, str] = field(default_factory=dict)
    """``--image IMAGE=COMMAND``: the local command line of an image that names no command."""
    python: str = sys.executable
    storage_host: str | None = None


def parse_image_mapping(text: str) -> tuple[str, str]:
    """``IMAGE=COMMAND`` of ``--image``; the image is everything before the first ``=``."""
    image, sep, command = text.partition("=")
    if not sep or not image.strip() or not command.strip():
        raise ValueError(f"--image takes IMAGE=COMMAND, not {text!r}")
    return image.strip(), command.strip()


def container_command(container: Mapping[str, Any], options: LaunchOptions) -> list[str]:
    image = str(container.get("imageUri", ""))
    command = list(container.get("command") or [])
    if not command:
        mapped = options.images.get(image)
        if mapped is None:
            raise LaunchError(
                f"The image {image} names no command and no container engine runs here: "
                f"map it to a local command with --image {image}=COMMAND (vertex-emulator serve --execution local)."
            )
        command = shlex.split(mapped)
    return [*command, *(container.get("args") or [])]


def fetch(uri: str, into: Path, storage_host: str | None) -> Path:
    """One package file in ``into``: downloaded from the storage emulator, or copied from a path."""
    into.mkdir(parents=True, exist_ok=True)
    parsed = urlparse(uri)
    if parsed.scheme == "gs":
        if not storage_host:
            raise LaunchError(f"The package {uri} is in Cloud Storage and no storage emulator runs beside this one.")
        from google.api_core.exceptions import GoogleAPICallError
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        target = into / Path(parsed.path).name
        endpoint = storage_host if "://" in storage_host else f"http://{storage_host}"
        client = storage.Client(
            project="vertex-emulator", credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
        )
        try:
            client.bucket(parsed.netloc).blob(parsed.path.lstrip("/")).download_to_filename(str(target))
        except GoogleAPICallError as error:
            raise LaunchError(f"The package {uri} could not be read from the storage emulator: {error}") from None
        return target
    source = Path(parsed.path if parsed.scheme == "file" else uri)
    if not source.is_file():
        raise LaunchError(f"The package {uri} is neither a gs:// object nor a file of this machine.")
    target = into / source.name
    shutil.copyfile(source, target)
    return target


def pip_install_command(python: str, packages: Sequence[Path], target: Path) -> list[str]:
    """pip without network: the packages themselves only; their dependencies must already be there."""
    return [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        str(target),
        *map(str, packages),
    ]


def package_command(package: Mapping[str, Any], options: LaunchOptions) -> list[str]:
    return [options.python, "-m", str(package["pythonModule"]), *(package.get("args") or [])]


def pool_command(pool: Mapping[str, Any], options: LaunchOptions) -> list[str]:
    """The command line of a worker pool's replicas, before a trial's parameters are added."""
    if pool.get("containerSpec"):
        return container_command(pool["containerSpec"], options)
    return package_command(pool["pythonPackageSpec"], options)
