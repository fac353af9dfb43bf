"""The high-level ``google.cloud.aiplatform`` SDK pointed at an emulator, and back.

The SDK reads no environment variable for its endpoint or transport, and ``aiplatform.init``
merges into a process-wide config rather than replacing it; so pointing it somewhere is an
``init`` with endpoint, REST transport and credentials, and undoing it is a fresh config.
"""

from __future__ import annotations

from typing import Any

from google.auth.credentials import AnonymousCredentials

from vertex_emulator.address import emulator_url


def use_emulator(host: str | None = None, **init: Any) -> str:
    """Point the SDK at the emulator at ``host`` or ``VERTEX_AI_EMULATOR_HOST``; returns its URL.

    Later ``aiplatform.init(project=..., location=...)`` calls (the documentation's sample makes
    one) keep the endpoint: ``init`` only sets what it is given. ``init`` passes on the rest,
    such as ``project`` and ``location``.
    """
    from google.cloud import aiplatform

    url = emulator_url(host)
    aiplatform.init(api_endpoint=url, api_transport="rest", credentials=AnonymousCredentials(), **init)
    return url


def reset_sdk() -> None:
    """Forget every ``aiplatform.init``; ``aiplatform.init`` stays bound to the same config object."""
    from google.cloud.aiplatform import initializer

    initializer.global_config.__init__()  # type: ignore[misc]
