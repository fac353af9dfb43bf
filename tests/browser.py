"""Headless Chromium for the web page's tests, and the realistic state the page is shown with.

Chromium and ChromeDriver are Debian's packages (``make browser`` installs them). ``python -m
tests.browser docs/ui.png`` serves the realistic state and takes the README's screenshot of it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vertex_emulator.clock import ManualClock
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PARENT = "projects/my-project/locations/us-central1"
K80 = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1}
CPU = {"machineType": "n1-highmem-8"}
CPU_DISK = {"bootDiskType": "pd-standard", "bootDiskSizeGb": 200}
A100 = {"machineType": "a2-highgpu-1g", "acceleratorType": "NVIDIA_TESLA_A100", "acceleratorCount": 1}


def missing() -> str | None:
    """Why no browser test can run here, or None when Chromium, ChromeDriver and Selenium are present."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if absent:
        how = "`make browser` installs them" if shutil.which("apt-get") else "and apt-get is not available here"
        return f"{' and '.join(absent)} not installed (Debian packages chromium, chromium-driver; {how})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, quit and cleaned up afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    with tempfile.TemporaryDirectory(prefix="vertex-emulator-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def worker_pool(machine: dict[str, Any], replicas: int, disk: dict[str, Any] | None = None) -> dict[str, Any]:
    pool: dict[str, Any] = {
        "machineSpec": machine,
        "replicaCount": str(replicas),
        "containerSpec": {"imageUri": "us-docker.pkg.dev/my-project/train/trainer:1"},
    }
    if disk:
        pool["diskSpec"] = disk
    return pool


def job(display_name: str, resource_id: str, *pools: dict[str, Any]) -> dict[str, Any]:
    return {
        "displayName": display_name,
        "jobSpec": {"persistentResourceId": resource_id, "workerPoolSpecs": list(pools)},
    }


def demo_resource(display_name: str) -> dict[str, Any]:
    """Two pools: ``k80-pool`` of 2 fixed replicas, ``cpu-pool`` autoscaling from 1 to 4 on a bigger disk."""
    return {
        "displayName": display_name,
        "resourcePools": [
            {"id": "k80-pool", "machineSpec": dict(K80), "replicaCount": "2"},
            {
                "id": "cpu-pool",
                "machineSpec": dict(CPU),
                "diskSpec": dict(CPU_DISK),
                "replicaCount": "1",
                "autoscalingSpec": {"minReplicaCount": "1", "maxReplicaCount": "4"},
            },
        ],
    }


def demo_service() -> Service:
    """A working day on a persistent resource, with timed transitions left to the manual clock.

    ``demo-resource``: ``k80-pool`` (2 fixed replicas) fully held by ``train-resnet`` while
    ``train-bert`` then ``eval-bert`` wait for it; ``cpu-pool`` (autoscaling 1-4) grown to 3 for
    ``preprocess``; ``smoke-test`` failed. ``a100-cluster`` is still provisioning (one operation in
    flight, 60 s to go). Jobs step QUEUED -> PENDING -> RUNNING every 5 s; cancelling takes 5 s.
    """
    service = Service(
        clock=ManualClock(),
        settings=Settings(
            admission="queue",
            provision_delay=60.0,
            job_queued_delay=5.0,
            job_pending_delay=5.0,
            job_duration=None,
            cancel_delay=5.0,
        ),
        seed=9,
    )
    service.seed_resource(PARENT, "demo-resource", demo_resource("Demo resource"))
    service.create_job(PARENT, job("train-resnet", "demo-resource", worker_pool(K80, 2)), "v1")
    service.create_job(PARENT, job("preprocess", "demo-resource", worker_pool(CPU, 3, CPU_DISK)), "v1")
    service.advance(10)
    service.create_job(PARENT, job("train-bert", "demo-resource", worker_pool(K80, 1)), "v1")
    service.create_job(PARENT, job("eval-bert", "demo-resource", worker_pool(K80, 1)), "v1")
    smoke = service.create_job(PARENT, job("smoke-test", "demo-resource", worker_pool(CPU, 1, CPU_DISK)), "v1")
    service.set_outcome(
        smoke.name, "JOB_STATE_FAILED", {"code": 9, "message": "Trainer exited with code 1."}, None, None
    )
    service.create_resource(
        PARENT,
        "a100-cluster",
        {
            "displayName": "A100 cluster",
            "resourcePools": [{"id": "a100-pool", "machineSpec": A100, "replicaCount": "4"}],
        },
        "v1",
    )
    return service


def screenshot(path: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with ThreadedServer(demo_service()) as server, chromium(1400, 1500) as driver:
        driver.get(f"{server.url}/")
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#job-rows tr[data-job]"))
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1400, height + driver.execute_script("return window.outerHeight - window.innerHeight"))
        driver.save_screenshot(path)


if __name__ == "__main__":
    screenshot(sys.argv[1] if len(sys.argv) > 1 else "docs/ui.png")
