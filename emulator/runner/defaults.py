"""What local execution uses unless told otherwise, importable without its machinery.

The command line states these in its help; ``serve`` and ``exec`` build their options from them
without importing ``subprocess`` and the rest of local execution, which is off by default.
"""

from __future__ import annotations

import os

GRACE_SECONDS = 10.0
"""SIGTERM to SIGKILL when a job is stopped (``--grace-period``)."""
LINES_PER_JOB = 10_000
"""Log entries kept per job, the last ones (``--log-lines``)."""


def default_max_processes() -> int:
    """Four replica processes per CPU, at least eight: training scripts under test mostly wait."""
    return max(8, 4 * (os.cpu_count() or 1))
