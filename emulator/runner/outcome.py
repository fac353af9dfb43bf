"""The texts a job ends with when its processes decide: the real service's, with a bounded tail.

The first line of a failure is the real template (training contract, section 4), trailing space
included; then the last lines the replica wrote to stderr (at most ``TAIL_LINES`` lines and
``TAIL_CHARS`` characters), a blank line and where its logs are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FAILED_CODE = 3
TAIL_LINES = 20
TAIL_CHARS = 4000


def logs_line(job_name: str) -> str:
    parts = job_name.split("/")
    return (
        "To find out more about why your job exited please check the logs: "
        f"gcloud ai custom-jobs stream-logs {parts[-1]} --region={parts[3]} "
        "(the emulator serves them at POST /v2/entries:list)"
    )


def _tail(lines: Sequence[str]) -> str:
    text = "\n".join(list(lines)[-TAIL_LINES:])
    return text[-TAIL_CHARS:]


def replica_failed(job_name: str, replica: str, status: int, stderr: Sequence[str], oom: bool) -> dict[str, Any]:
    """The google.rpc.Status of a job whose replica exited with a non-zero ``status``."""
    if oom:
        head = f"The replica {replica} ran out of memory and exited with a non-zero status of {status}."
    else:
        head = f"The replica {replica} exited with a non-zero status of {status}. Termination reason: Error. "
    tail = _tail(stderr)
    message = f"{head}\n{tail}\n\n{logs_line(job_name)}" if tail else f"{head}\n\n{logs_line(job_name)}"
    return {"code": FAILED_CODE, "message": message}
