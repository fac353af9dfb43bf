"""Cloud Logging entries of a job: its replicas' output lines and its own service messages.

A replica's stdout line is an INFO entry and a stderr line an ERROR entry, as the real service
writes container output; a line that is one JSON object becomes a ``jsonPayload`` whose
``severity`` is lifted into the entry (its ``message`` is what gcloud prints). Entries carry the
resource ``ml_job`` with the labels ``job_id``, ``task_name`` (``workerpool0-0`` ..., or
``service`` for the job's own messages) and ``project_id``.

Memory is bounded: a book keeps the last ``lines_per_job`` entries of each job and the logs of the
last ``jobs`` jobs (README, local execution). ``insertId``s increase across the whole book and
timestamps never go back, so timestamp order and insertId order agree, which is what gcloud's
``stream-logs`` relies on to resume after the last entry it saw.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vertex_emulator.runner.defaults import LINES_PER_JOB

SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
"""``google.logging.type.LogSeverity`` in increasing order (the order filters compare in)."""
_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "TRACE": "DEBUG", "ERR": "ERROR"}
SERVICE_TASK = "service"
STDOUT = "stdout"
STDERR = "stderr"
JOBS = 1_000
MAX_LINE_CHARS = 256 * 1024
"""A longer line is cut there: the real limit of an entry is 256 KB."""


def severity_name(value: Any) -> str | None:
    """A JSON log's severity as a LogSeverity name, or None when it names none."""
    if isinstance(value, int) and not isinstance(value, bool):
        return SEVERITIES[min(value // 100, len(SEVERITIES) - 1)] if value >= 0 else None
    if not isinstance(value, str):
        return None
    name = value.strip().upper()
    name = _ALIASES.get(name, name)
    return name if name in SEVERITIES else None


def rfc3339_micros(micros: int) -> str:
    """An entry's timestamp, always with six fraction digits so that texts sort as instants do."""
    moment = datetime.fromtimestamp(micros // 1_000_000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{micros % 1_000_000:06d}Z"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry; ``micros`` is its timestamp in microseconds since the epoch."""

    insert_id: str
    micros: int
    severity: str
    project: str
    job_id: str
    task_name: str
    text: str | None = None
    payload: dict[str, Any] | None = None

    def render(self) -> dict[str, Any]:
        """The entry as ``entries:list`` returns it (google.logging.v2.LogEntry in JSON)."""
        stamp = rfc3339_micros(self.micros)
        body: dict[str, Any] = {
            "logName": f"projects/{self.project}/logs/{self.task_name}",
            "resource": {
                "type": "ml_job",
                "labels": {"job_id": self.job_id, "task_name": self.task_name, "project_id": self.project},
            },
            "timestamp": stamp,
            "receiveTimestamp": stamp,
            "severity": self.severity,
            "insertId": self.insert_id,
        }
        if self.payload is not None:
            body["jsonPayload"] = self.payload
        else:
            body["textPayload"] = self.text or ""
        return body

    @property
    def message(self) -> str:
        """What gcloud prints of it: the text, or the JSON payload's ``message``."""
        if self.payload is not None:
            return str(self.payload.get("message", ""))
        return self.text or ""


def parse_line(line: str, stream: str) -> tuple[str, str | None, dict[str, Any] | None]:
    """``(severity, text, payload)`` of one output line of a replica."""
    line = line.rstrip("\r\n")[:MAX_LINE_CHARS]
    default = "ERROR" if stream == STDERR else "INFO"
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            lifted = severity_name(data.pop("severity", None)) if "severity" in data else None
            return lifted or default, None, data
    return default, line, None


class LogBook:
    """The entries of every job, bounded, safe to append to from many reader threads."""

    def __init__(
        self,
        lines_per_job: int = LINES_PER_JOB,
        jobs: int = JOBS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.lines_per_job = lines_per_job
        self.max_jobs = jobs
        self._now = now
        self._lock = threading.Lock()
        self._jobs: OrderedDict[tuple[str, str], deque[LogEntry]] = OrderedDict()
        self._count = 0
        self._last_micros = 0
        self.changed = threading.Condition(self._lock)

    def _stamp(self) -> tuple[str, int]:
        self._count += 1
        self._last_micros = max(self._last_micros, int(self._now() * 1_000_000))
        return f"{self._count:016d}", self._last_micros

    def add(
        self, project: str, job_id: str, task_name: str, severity: str, text: str | None, payload: dict | None = None
    ) -> LogEntry:
        with self._lock:
            insert_id, micros = self._stamp()
            entry = LogEntry(insert_id, micros, severity, project, job_id, task_name, text, payload)
            key = (project, job_id)
            lines = self._jobs.get(key)
            if lines is None:
                lines = self._jobs[key] = deque(maxlen=self.lines_per_job)
                while len(self._jobs) > self.max_jobs:
                    self._jobs.popitem(last=False)
            lines.append(entry)
            self.changed.notify_all()
            return entry

    def line(self, project: str, job_id: str, task_name: str, line: str, stream: str) -> LogEntry:
        severity, text, payload = parse_line(line, stream)
        return self.add(project, job_id, task_name, severity, text, payload)

    def service(self, project: str, job_id: str, message: str, severity: str = "INFO") -> LogEntry:
        """One of the job's own messages (task_name ``service``)."""
        return self.add(project, job_id, SERVICE_TASK, severity, message)

    def entries(self, projects: set[str] | None = None, job_id: str | None = None) -> Iterator[LogEntry]:
        """A copy of the entries, in insertId order within a job; narrowed by project and job."""
        with self._lock:
            chosen = [
                list(lines)
                for (project, job), lines in self._jobs.items()
                if (projects is None or project in projects) and (job_id is None or job == job_id)
            ]
        for lines in chosen:
            yield from lines
