"""Where a client goes: an emulator (plain HTTP, anonymous) or the real regional endpoint (ADC).

The choice is one value, an :class:`Endpoint`, so every GAPIC client, the SDK and the plugin build
their connection from the same place. ``VERTEX_AI_EMULATOR_HOST=host:port`` follows the convention
of Google's own emulators (``PUBSUB_EMULATOR_HOST``, ``FIRESTORE_EMULATOR_HOST``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials

EMULATOR_HOST_ENV = "VERTEX_AI_EMULATOR_HOST"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


@dataclass(frozen=True)
class Endpoint:
    """A base URL and the credentials that go with it; always the REST transport."""

    url: str
    credentials: Credentials
    emulated: bool

    def client_options(self) -> ClientOptions:
        return ClientOptions(api_endpoint=self.url)


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


def real_url(location: str) -> str:
    """The regional endpoint; ``global`` has no region prefix, as in the SDK."""
    host = "aiplatform.googleapis.com" if location == "global" else f"{location}-aiplatform.googleapis.com"
    return f"https://{host}"


def emulator(host: str | None = None) -> Endpoint:
    return Endpoint(emulator_url(host), AnonymousCredentials(), emulated=True)


def real(location: str, credentials: Credentials | None = None) -> Endpoint:
    """The real service with the given credentials, or application default credentials."""
    if credentials is None:
        import google.auth

        credentials, _ = google.auth.default(scopes=SCOPES)
    return Endpoint(real_url(location), credentials, emulated=False)


def resolve(location: str, host: str | None = None, credentials: Credentials | None = None) -> Endpoint:
    """An emulator when one is named (argument or environment), the real endpoint otherwise."""
    if host or os.environ.get(EMULATOR_HOST_ENV):
        return emulator(host)
    return real(location, credentials)
