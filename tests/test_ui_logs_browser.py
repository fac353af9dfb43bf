"""The web page shows a job's logs per replica, refreshing while it runs (local execution, Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PARENT
from tests.local_execution import cpu_resource, custom_job, local_service, python_pool
from tests.test_ui_browser import REASON, _open, _read, _wait, driver  # noqa: F401  (the module's Chromium)

pytestmark = pytest.mark.skipif(REASON is not None, reason=f"no headless browser: {REASON}")

PRIMARY = """
import pathlib, time
print("step 1", flush=True)
deadline = time.monotonic() + 30
while not pathlib.Path("go").exists() and time.monotonic() < deadline:
    time.sleep(0.02)
print("step 2", flush=True)
"""


def _panels(page: Any) -> dict[str, str]:
    return _read(
        page,
        "return Object.fromEntries([...document.querySelectorAll('#log-panels .log-panel')]"
        ".map((panel) => [panel.dataset.task, panel.querySelector('pre').textContent]));",
    )


def test_the_logs_of_a_running_job_per_replica(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    with local_service(tmp_path) as (service, _):
        cpu_resource(service)
        body = custom_job(python_pool(PRIMARY), python_pool("print('worker ready')"))
        job = service.create_job(PARENT, body, "v1")
        service.get_job(job.name)
        button = f"button[data-action='logs'][data-key='Logs:{job.name}']"
        found = f'return document.querySelector("{button}")'
        title = "return document.getElementById('logs-title').textContent"
        for page in _open(driver, service):
            _wait(page, lambda d: d.execute_script(found), "no Logs button")
            page.execute_script(f"{found}.click()".replace("return ", ""))
            _wait(page, lambda d: "step 1" in _panels(d).get("workerpool0-0", ""), "step 1 never shown")
            _wait(page, lambda d: "worker ready" in _panels(d).get("workerpool1-0", ""), "the worker's panel")
            assert "step 2" not in _panels(page)["workerpool0-0"]
            (tmp_path / "go").touch()
            _wait(page, lambda d: "step 2" in _panels(d).get("workerpool0-0", ""), "the page did not refresh")
            _wait(page, lambda d: "succeeded" in d.execute_script(title), "the title never said succeeded")
            assert "Job completed successfully." in _panels(page)["service"]
