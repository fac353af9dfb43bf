"""Transitions on time under local execution: a job starts its processes when it is due to run.

The service runs due transitions lazily, at the next call. That is enough when the clock alone
decides, because each transition is stamped with the instant it was due; but a replica process
must start at the instant its job enters RUNNING, even when nobody polls (``gcloud ai custom-jobs
create`` and nothing after). So with a real clock a thread waits on the service's change
condition until the next due instant and then makes one public call, which runs what is due.
A manual clock needs none of this: nothing is due until the clock is advanced, which runs it.
"""

from __future__ import annotations

import threading
from typing import Any

from vertex_emulator.clock import is_manual

IDLE_SECONDS = 5.0


class Ticker:
    def __init__(self, service: Any) -> None:
        self.service = service
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="vertex-emulator-ticker", daemon=True)

    def start(self) -> None:
        if not is_manual(self.service.clock):
            self._thread.start()

    def _run(self) -> None:
        service = self.service
        with service.lock:
            while not self._closed:
                due = service.timeline.next()
                left = IDLE_SECONDS if due is None else due - service.clock.now()
                if left <= 0:
                    service.overview()
                    continue
                service.changed.wait(min(left, IDLE_SECONDS))

    def close(self) -> None:
        with self.service.lock:
            self._closed = True
            self.service.changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
