"""Wheels of the distributions installed in this environment, so a fresh venv installs offline.

The packaging test installs vertex-emulator's wheel into a fresh venv the way a user does, with
``pip install --no-index --find-links WHEELHOUSE``. Its dependencies come from here: each one that
the wheel and pytest need is packed back into a wheel from the files its ``RECORD`` lists (scripts
are left out: pip writes them again from the entry points). No network, no package index, and no
path into this environment is left in the new one.

The bytecode this environment already holds goes along, re-headed as checked-hash pycs (PEP 552):
pip gives installed files new mtimes, so timestamp pycs would be stale, and compiling the SDK's
modules again costs the new venv more than the rest of the test; a checked-hash pyc is valid
wherever its source's bytes are the same.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import importlib.util
import os
import re
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

_LEFT_OUT = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
"""Files of a ``.dist-info`` that an installer writes, not the wheel."""
_CHECKED_HASH = (0b11).to_bytes(4, "little")
"""PEP 552 flags of a hash-based pyc whose source is checked at import."""


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed() -> dict[str, metadata.Distribution]:
    return {normalized(dist.metadata["Name"]): dist for dist in metadata.distributions()}


def closure(roots: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions that ``roots`` need, with their extras, markers evaluated here."""
    installed = _installed()
    found: dict[str, metadata.Distribution] = {}
    todo = [Requirement(root) for root in roots]
    while todo:
        requirement = todo.pop()
        name = normalized(requirement.name)
        dist = installed[name]
        if name in found and not requirement.extras:
            continue
        found[name] = dist
        for line in dist.requires or []:
            needed = Requirement(line)
            extras = ("", *requirement.extras)
            if needed.marker is None or any(
                needed.marker.evaluate({**default_environment(), "extra": extra}) for extra in extras
            ):
                todo.append(needed)
    return sorted(found.values(), key=lambda dist: normalized(dist.metadata["Name"]))


def _tag(wheel_file: str) -> str:
    """The compressed tag of a ``WHEEL`` file's ``Tag:`` lines (``py2.py3-none-any``)."""
    tags = [line.split(":", 1)[1].strip().split("-") for line in wheel_file.splitlines() if line.startswith("Tag:")]
    return "-".join(".".join(dict.fromkeys(parts)) for parts in zip(*tags, strict=True))


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _hashed_pyc(source: Path, data: bytes) -> bytes | None:
    """The pyc this environment holds for ``source``, as a checked-hash pyc; None if it has none
    that is fresh (a timestamp pyc whose mtime and size are the source's)."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    try:
        pyc = cached.read_bytes()
        stat = source.stat()
    except OSError:
        return None
    fresh = (
        pyc[:4] == importlib.util.MAGIC_NUMBER
        and pyc[4:8] == bytes(4)
        and int.from_bytes(pyc[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(pyc[12:16], "little") == len(data) & 0xFFFFFFFF
    )
    return pyc[:4] + _CHECKED_HASH + importlib.util.source_hash(data) + pyc[16:] if fresh else None


def repack(dist: metadata.Distribution, into: Path) -> Path:
    """``dist`` as a wheel in ``into``; a wheel of that name already there is taken as it is."""
    wheel_text = dist.read_text("WHEEL")
    if wheel_text is None:
        raise ValueError(f"{dist.metadata['Name']} was not installed from a wheel; it cannot be packed again")
    stem = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    target = into / f"{stem}-{dist.version}-{_tag(wheel_text)}.whl"
    if target.exists():
        return target
    partial = target.with_suffix(f".{os.getpid()}.part")
    record: list[str] = []
    info_dir = None
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as wheel:
        for file in dist.files or []:
            parts = file.parts
            if ".." in parts or "__pycache__" in parts:
                continue
            if parts[0].endswith(".dist-info"):
                info_dir = parts[0]
                if parts[-1] in _LEFT_OUT:
                    continue
            path = Path(str(dist.locate_file(file)))
            if not path.is_file():
                continue
            data = path.read_bytes()
            entries = [(file.as_posix(), data)]
            pyc = _hashed_pyc(path, data) if path.suffix == ".py" else None
            if pyc is not None:
                cached = file.parent / "__pycache__" / f"{file.stem}.{sys.implementation.cache_tag}.pyc"
                entries.append((cached.as_posix(), pyc))
            for name, content in entries:
                wheel.writestr(name, content)
                record.append(f"{name},{_digest(content)},{len(content)}")
        if info_dir is None:
            raise ValueError(f"{dist.metadata['Name']} lists no .dist-info in its RECORD")
        record.append(f"{info_dir}/RECORD,,")
        wheel.writestr(f"{info_dir}/RECORD", "\n".join(record) + "\n")
    partial.replace(target)
    return target
