"""How an emulator's HTTP surface is exposed: the control API, its token, the IAM policy, and the
Cloud Storage emulator beside it that the control API describes."""

from __future__ import annotations

from typing import NamedTuple

from vertex_emulator.http.flask_app import current_extensions
from vertex_emulator.iam import Policy
from vertex_emulator.storage import Storage


class HttpOptions(NamedTuple):
    """Defaults suit a loopback emulator: control API open, no token, no policy (everything allowed).

    A named tuple, not a frozen dataclass: as immutable, and made without the decorator's generated
    methods, which ``serve`` paid on its way to its first answer (README, "Performance").
    """

    control: bool = True
    control_token: str | None = None
    policy: Policy | None = None
    storage: Storage | None = None


def options() -> HttpOptions:
    return current_extensions()["vertex_emulator_options"]
