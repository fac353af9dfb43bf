"""Redirects the official Vertex AI clients to an emulator, in processes ``vertex-emulator exec`` starts.

Python imports ``sitecustomize`` at start-up; ``exec`` puts this folder first on ``PYTHONPATH``.
When ``VERTEX_AI_EMULATOR_HOST`` is set, an import hook patches two things as they load:

- every GAPIC client class of ``google.cloud.aiplatform_v1`` and ``..._v1beta1``: whatever the
  caller asked for (gRPC, a regional endpoint, no options at all), it gets the REST transport,
  the emulator's ``http://`` endpoint and anonymous credentials;
- ``google.auth.default``: where it finds no credentials it answers anonymous ones, because the
  SDK asks for credentials before it builds any client.

Why so low: the SDK's ``initializer`` keeps the endpoint in a config object that programs
re-create (``importlib.reload(initializer)``, ``aiplatform.init(...)``), while the GAPIC classes
and ``google.auth`` are never reloaded. Nothing is imported eagerly, so an interpreter that never
touches Vertex AI pays nothing. Only the standard library is used here, so the redirect works in
any interpreter with the official SDK, whether or not vertex-emulator is installed in it. The
``sitecustomize`` this one shadows, if any, still runs.
"""

from __future__ import annotations

import copy
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

HOST_ENV = "VERTEX_AI_EMULATOR_HOST"
_CLIENT_MODULE = re.compile(r"^google\.cloud\.aiplatform_v1(?:beta1)?\.services\.\w+\.client$")
_AUTH_MODULE = "google.auth._default"
_MARK = "_vertex_emulator_redirect"


def _url() -> str:
    host = os.environ[HOST_ENV].strip().rstrip("/")
    return host if "://" in host else f"http://{host}"


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


def _redirect_client(cls: type) -> None:
    original = cls.__init__  # type: ignore[misc]
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        transport = kwargs.get("transport")
        if transport is None or isinstance(transport, str):
            from google.api_core import client_options as options_lib

            given = kwargs.get("client_options")
            options = options_lib.from_dict(given) if isinstance(given, dict) else copy.copy(given)
            options = options or options_lib.ClientOptions()
            options.api_endpoint = _url()
            options.credentials_file = None
            options.api_key = None
            kwargs.update(transport="rest", client_options=options, credentials=_anonymous())
        original(self, *args, **kwargs)

    setattr(__init__, _MARK, True)
    cls.__init__ = __init__  # type: ignore[misc]


def _patch_clients(module: ModuleType) -> None:
    for value in list(vars(module).values()):
        if (
            isinstance(value, type)
            and value.__module__ == module.__name__
            and value.__name__.endswith("Client")
            and "Async" not in value.__name__
        ):
            _redirect_client(value)


def _patch_auth(module: ModuleType) -> None:
    original = module.default
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def default(*args: Any, **kwargs: Any) -> tuple[Any, str | None]:
        try:
            return original(*args, **kwargs)
        except module.exceptions.DefaultCredentialsError:
            return _anonymous(), os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("CLOUD_ML_PROJECT_ID")

    setattr(default, _MARK, True)
    module.default = default


def _patch_for(name: str) -> Callable[[ModuleType], None] | None:
    if name == _AUTH_MODULE:
        return _patch_auth
    if _CLIENT_MODULE.match(name):
        return _patch_clients
    return None


class _PatchingLoader(importlib.abc.Loader):
    """Runs the real loader, then the patch; everything else is the real loader's."""

    def __init__(self, inner: Any, patch: Callable[[ModuleType], None]) -> None:
        self._inner = inner
        self._patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        self._patch(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Redirect(importlib.abc.MetaPathFinder):
    """Finds the modules to patch through the other finders and wraps their loaders."""

    def find_spec(self, name: str, path: Any, target: ModuleType | None = None) -> Any:
        patch = _patch_for(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


def install() -> None:
    """Hook future imports and patch what is already imported."""
    if not any(isinstance(finder, _Redirect) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Redirect())
    for name, module in list(sys.modules.items()):
        patch = _patch_for(name)
        if patch is not None and module is not None:
            patch(module)


def _chain() -> None:
    """Run the ``sitecustomize`` this module shadows (distributions ship one)."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


if os.environ.get(HOST_ENV):
    install()
_chain()
