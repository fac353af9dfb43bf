"""A command gcloud would refuse, as gcloud words it, and the exit status it gives."""

from __future__ import annotations

COMMAND = "gcloud.ai.custom-jobs.create"
USAGE_ERROR = 2
"""gcloud's exit status when its argument parser refuses the command line."""
INVALID = 1
"""gcloud's exit status when a check after parsing refuses it (and when the service does)."""


class GcloudError(Exception):
    """A command gcloud would refuse, worded as gcloud words it, with gcloud's exit status."""

    def __init__(self, message: str, command: str = COMMAND, exit_code: int = INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.command = command
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"ERROR: ({self.command}) {self.message}"


def invalid(flag: str, message: str) -> GcloudError:
    """gcloud's ``InvalidArgumentException``."""
    return GcloudError(f"Invalid value for [{flag}]: {message}")
