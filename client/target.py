"""Where a client goes: an emulator (plain HTTP, anonymous) or the real regional endpoint (ADC).

The choice is one value, an :class:`Endpoint`, so every GAPIC client, the SDK and the plugin build
their connection from the same place. An emulator is named as ``vertex_emulator.address`` reads it
(``VERTEX_AI_EMULATOR_HOST=host:port``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials

from vertex_emulator.address import EMULATOR_HOST_ENV, emulator_url

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


@dataclass(frozen=True)
class Endpoint:
    """A base URL and the credentials that go with it; always the REST transport."""

    url: str
    credentials: Credentials
    emulated: bool

    def client_options(self) -> ClientOptions:
        return ClientOptions(api_endpoint=self.url)


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
