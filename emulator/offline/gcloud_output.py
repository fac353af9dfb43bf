"""What ``gcloud ai custom-jobs create`` prints: the submitted message, the service's refusals, ``--format``.

``vertex-emulator submit`` prints exactly this, so a CI log reads the same against the emulator as
against the real service (``tests/test_gcloud_real.py`` compares it with the binary's output).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from vertex_emulator.offline.gcloud_errors import COMMAND, USAGE_ERROR, GcloudError


def submitted_message(name: str, prefix: str = "gcloud") -> str:
    """What gcloud prints (to stderr) once the job is created."""
    return (
        f"CustomJob [{name}] is submitted successfully.\n\n"
        "Your job is still active. You may view the status of your job with the command\n\n"
        f"  $ {prefix} ai custom-jobs describe {name}\n\n"
        "or continue streaming the logs with the command\n\n"
        f"  $ {prefix} ai custom-jobs stream-logs {name}"
    )


def api_error(status: str, message: str, details: Sequence[Mapping[str, Any]] = (), command: str = COMMAND) -> str:
    """An error the service answered, as gcloud shows it: the status name, the message, the details."""
    text = f"{status}: {message}"
    if details:
        text += "\n" + yaml.safe_dump([dict(d) for d in details], default_flow_style=False, sort_keys=True).rstrip()
    return str(GcloudError(text, command))


PROJECT_UNSET = (
    "The required property [project] is not currently set.\n"
    "It can be set on a per-command basis by re-running your command with the [--project] flag.\n\n"
    "You may set it for your current workspace by running:\n\n"
    "  $ gcloud config set project VALUE\n\n"
    "or it can be set temporarily by the environment variable [CLOUDSDK_CORE_PROJECT]"
)
_VALUE = re.compile(r"^value\((?P<fields>[^()]*)\)$")


def check_format(output_format: str) -> None:
    """Refuse a ``--format`` this tool cannot print (gcloud's ``json``, ``yaml``, ``none`` and ``value(...)`` it can).

    Called before anything is submitted, so an unprintable format never leaves a job behind.
    """
    if output_format not in ("json", "yaml", "none") and not _VALUE.match(output_format):
        raise GcloudError(
            f"Format [{output_format}] is not supported by vertex-emulator; use json, yaml, none or value(FIELD,...).",
            exit_code=USAGE_ERROR,
        )


def _field(resource: Mapping[str, Any], path: str) -> str:
    value: Any = resource
    for key in path.strip().split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def formatted(resource: Mapping[str, Any], output_format: str | None) -> str | None:
    """The created job as ``--format`` prints it on stdout; without ``--format`` gcloud prints nothing there."""
    if output_format in (None, "none"):
        return None
    check_format(output_format)
    if output_format == "json":
        return json.dumps(resource, indent=2, sort_keys=True)
    if output_format == "yaml":
        return yaml.safe_dump(dict(resource), default_flow_style=False, sort_keys=True).rstrip()
    match = _VALUE.match(output_format)
    fields = match["fields"] if match else ""
    return "\t".join(_field(resource, path) for path in fields.split(","))
