"""What a route is: its rule, its view, and what the request hooks and the OpenAPI description read.

A route belongs to one :class:`Surface`, and that one field decides how the hooks treat it: only
the real API's routes are checked against IAM, bind query parameters by their proto names and
fault; the control API's are closed by ``--control off`` and locked by ``--control-token``; the web
page's are served as they are. The table itself is ``urls.ROUTES``; this module imports no view,
so every view and hook may read a route without importing the table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import NamedTuple


class Surface(enum.Enum):
    API = "Vertex AI API"
    """The real service's REST surface (``/v1``, ``/v1beta1``, the SDK's ``/ui`` operation polls)."""
    CONTROL = "Control API"
    """The emulator's own methods under ``/emulator/v1``: clock, outcomes, state, faults."""
    PAGE = "Web page"
    """The emulator's web page and its files."""
    LOGGING = "Cloud Logging API"
    """The slice of the real Cloud Logging API that job logs are read with (``POST /v2/entries:list``,
    local execution's logs); IAM does not check it."""


class Route(NamedTuple):
    """A named tuple, not a frozen dataclass: as immutable, and made without the decorator's generated
    methods, which ``serve`` paid on its way to its first answer (README, "Performance")."""

    rule: str
    methods: tuple[str, ...]
    view: Callable[..., object]
    summary: str
    permission: str | None = None
    """IAM permission the caller needs (``vertex_emulator.iam``); real API routes only."""
    query: tuple[str, ...] = ()
    """Query parameters the route binds, by proto field name (``page_size``); the JSON name
    (``pageSize``) binds too, as on Google's front end. Any other name is refused."""
    body: str | None = None
    """Message of the request body (``google.cloud.aiplatform.*.<body>``), for the description."""
    media: str = "application/json"
    """What a success answers with, for the description: the web page's routes answer HTML and assets."""
    surface: Surface = Surface.API

    def check(self) -> None:
        """Raise ``ValueError`` for a route that cannot be served (``app.routing`` checks every route)."""
        if (self.permission is not None) != (self.surface is Surface.API):
            raise ValueError(f"{self.summary}: a route of the real API, and only one, declares an IAM permission")

    @property
    def endpoint(self) -> str:
        return f"{self.summary}:{self.rule}"
