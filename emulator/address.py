"""How an emulator is named to its clients: ``VERTEX_AI_EMULATOR_HOST=host:port`` and its URL.

The variable follows the convention of Google's own emulators (``PUBSUB_EMULATOR_HOST``,
``FIRESTORE_EMULATOR_HOST``). ``exec`` sets it for its command, ``submit`` reads it, and the client
library resolves its target from it; so its name and its reading live on the emulator's side, for
the client to import. (``sitedir/sitecustomize.py`` reads it too, with the standard library alone,
because it must run in interpreters where vertex-emulator is not installed.)
"""

from __future__ import annotations

import os

EMULATOR_HOST_ENV = "VERTEX_AI_EMULATOR_HOST"


def emulator_url(host: str | None = None) -> str:
    """``http://host:port`` of an emulator named by ``host`` or by ``VERTEX_AI_EMULATOR_HOST``.

    A bare ``host:port`` must become ``http://``: without a scheme the REST transport adds
    ``https://`` and the plain-HTTP emulator answers the TLS handshake with garbage.
    """
    given = host or os.environ.get(EMULATOR_HOST_ENV, "")
    given = given.strip().rstrip("/")
    if not given:
        raise ValueError(f"no emulator host: pass host='127.0.0.1:8080' or set {EMULATOR_HOST_ENV}")
    return given if given.startswith(("http://", "https://")) else f"http://{given}"
