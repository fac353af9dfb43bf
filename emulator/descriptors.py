"""The official message types without their package: descriptors cached per installed version.

The wire format comes from the messages ``google-cloud-aiplatform`` ships, but importing them
costs seconds: ``google.cloud.aiplatform_v1``'s ``__init__`` imports every service client, and its
``types`` package builds every message of the API (about 4 s and 5 s for v1 and v1beta1 on this
machine). The first call a user makes would wait for that.

So the first process that imports the official types copies their file descriptors, exactly as
the official types define them, into a cache file keyed by the installed package (its folder, its
version, its files' sizes and times). Later processes build the message classes from that file in a
private descriptor pool (protobuf loads each file on first use, in milliseconds) without importing
the package; the classes have the official descriptors, so parsing and rendering are the official
ones. A process in which the official types are already imported uses them directly.

The cache lives in ``$VERTEX_EMULATOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/vertex-emulator``, else
``~/.cache/vertex-emulator``; a cache that cannot be read or written is rebuilt or skipped, never an
error.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import marshal
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

CACHE_ENV = "VERTEX_EMULATOR_CACHE_DIR"
PACKAGE = "google.cloud.aiplatform_{version}"
PROTO_PACKAGE = "google.cloud.aiplatform.{version}"

Files = dict[str, bytes]
"""File name -> serialized ``FileDescriptorProto``."""
Symbols = dict[str, str]
"""Full name of a top-level message or enum -> the file that defines it."""

_lock = threading.RLock()


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vertex-emulator"


def package_dir(version: str) -> Path | None:
    """The folder of ``google/cloud/aiplatform_{version}``, found without importing it."""
    try:
        spec = importlib.util.find_spec("google.cloud")
    except ImportError:
        return None
    for location in (spec.submodule_search_locations or ()) if spec else ():
        candidate = Path(location) / f"aiplatform_{version}"
        if (candidate / "types" / "__init__.py").is_file():
            return candidate
    return None


def cache_file(version: str) -> Path | None:
    """Where the descriptors of the installed ``version`` are cached; None when it is not installed."""
    package = package_dir(version)
    if package is None:
        return None
    stamp = [str(package.resolve()), sys.version]
    try:
        stamp.append((package / "gapic_version.py").read_text(encoding="utf-8"))
        for path in (package / "types", package / "types" / "__init__.py"):
            status = path.stat()
            stamp.append(f"{status.st_mtime_ns}:{status.st_size}")
    except OSError:
        return None
    key = hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:16]
    return cache_dir() / f"descriptors-{version}-{key}.marshal"


def official_types(version: str) -> Any:
    """The official ``types`` module of ``version`` (imports the whole package: seconds)."""
    return importlib.import_module(f"{PACKAGE.format(version=version)}.types")


def official_files(version: str) -> tuple[Files, Symbols]:
    """Every file descriptor the official types of ``version`` use, with their dependencies."""
    import proto
    from google.protobuf import descriptor_pb2

    types = official_types(version)
    files: Files = {}
    symbols: Symbols = {}

    def add(file: Any) -> None:
        if file.name in files:
            return
        copied = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(copied)
        files[file.name] = copied.SerializeToString()
        for name in (*file.message_types_by_name, *file.enum_types_by_name):
            symbols[f"{file.package}.{name}"] = file.name
        for dependency in file.dependencies:
            add(dependency)

    for name in dir(types):
        value = getattr(types, name)
        if isinstance(value, type) and issubclass(value, proto.Message):
            add(value.pb().DESCRIPTOR.file)
    return files, symbols


def write_cache(version: str) -> Path | None:
    """Cache the descriptors of the installed ``version`` (importing its official types) unless
    already cached; the file written, or None when there is nothing to cache or nowhere to put it."""
    path = cache_file(version)
    if path is None:
        return None
    if path.is_file():
        return path
    data = marshal.dumps(official_files(version))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        return None
    return path


class CachedDatabase:
    """A descriptor database over cached files, as ``DescriptorPool(descriptor_db=...)`` reads one."""

    def __init__(self, files: Files, symbols: Symbols) -> None:
        self.files = files
        self.symbols = symbols

    def FindFileByName(self, name: str) -> Any:
        from google.protobuf import descriptor_pb2

        return descriptor_pb2.FileDescriptorProto.FromString(self.files[name])

    def FindFileContainingSymbol(self, symbol: str) -> Any:
        return self.FindFileByName(self.symbols[symbol])


def read_pool(path: Path) -> Any | None:
    """A private descriptor pool over the cache file at ``path``; None if it cannot be read."""
    from google.protobuf import descriptor_pool

    try:
        files, symbols = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(files, dict) or not isinstance(symbols, dict):
        return None
    return descriptor_pool.DescriptorPool(CachedDatabase(files, symbols))


@functools.cache
def cached_pool(version: str) -> Any | None:
    """The pool of the cached descriptors of ``version``, or None when there is no usable cache."""
    path = cache_file(version)
    return read_pool(path) if path is not None and path.is_file() else None


def _cached_message(version: str, message: str) -> Any | None:
    """The class from the cache; a cache that fails to give it (damaged, or from another build) is
    removed, so that the official types, imported next, write it again."""
    from google.protobuf import message_factory
    from google.protobuf.message import DecodeError

    pool = cached_pool(version)
    if pool is None:
        return None
    try:
        return message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{PROTO_PACKAGE.format(version=version)}.{message}")
        )
    except (KeyError, TypeError, ValueError, DecodeError):
        path = cache_file(version)
        if path is not None:
            path.unlink(missing_ok=True)
        cached_pool.cache_clear()
        return None


def message_class(version: str, message: str) -> Any:
    """The protobuf class of ``google.cloud.aiplatform.{version}.{message}``, with the official descriptor.

    From the official types when this process has them imported, else from the cache, else from
    the official types, imported now and cached for the next process.
    """
    with _lock:
        if f"{PACKAGE.format(version=version)}.types" not in sys.modules:
            found = _cached_message(version, message)
            if found is not None:
                return found
        types = official_types(version)
        write_cache(version)
        return getattr(types, message).pb()
