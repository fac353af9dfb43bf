"""Names a package re-exports, loaded on first use (PEP 562's module ``__getattr__``).

Both ``vertex_emulator`` and ``vertex_emulator.client`` are imported in every pytest run of an
environment that installs them (the plugin), and ``serve`` imports the first: what they export
must not import the official SDK until a user reaches for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports each name from its home module in ``homes``."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return __getattr__
