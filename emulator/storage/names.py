"""Cloud Storage names: the bucket naming rules, and ``gs://`` URIs."""

from __future__ import annotations

import ipaddress
import re

from vertex_emulator.storage.errors import StorageError

_BUCKET_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")


def check_bucket_name(name: str) -> None:
    """Cloud Storage's bucket naming rules (the documented ones this emulator can check): the
    server package itself accepts any name, so the names the emulator creates are checked here."""
    problem = None
    if not _BUCKET_NAME.match(name):
        problem = "use lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
    elif not 3 <= len(name) <= (222 if "." in name else 63) or any(len(part) > 63 for part in name.split(".")):
        problem = "3 to 63 characters (222 with dots, 63 between two dots)"
    elif name.startswith("goog") or "google" in name:
        problem = "names starting with 'goog' or containing 'google' are reserved"
    elif _is_ip_address(name):
        problem = "a bucket name cannot be an IP address"
    if problem:
        raise StorageError(f"Invalid bucket name: {name!r}: {problem}")


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def bucket_name(uri: str) -> str:
    """The bucket of ``gs://BUCKET``, ``gs://BUCKET/PREFIX`` or a bare ``BUCKET`` (as ``staging_bucket`` comes)."""
    return uri.removeprefix("gs://").partition("/")[0]


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, object name) of ``gs://BUCKET/NAME``."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise StorageError(f"{uri!r} is not a Cloud Storage object URI (gs://BUCKET/OBJECT)")
    return bucket, name
