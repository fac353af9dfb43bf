"""The real gcloud (``gcloud ai hp-tuning-jobs``) reads and cancels the emulator's tuning jobs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PARENT
from tests.test_tuning_jobs import _service, tuning_body
from vertex_emulator.server import ThreadedServer

pytestmark = pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not installed")


def _gcloud(url: str, config: Path, *words: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        CLOUDSDK_CONFIG=str(config),
        CLOUDSDK_AUTH_ACCESS_TOKEN="emulator",
        CLOUDSDK_CORE_PROJECT="my-project",
        CLOUDSDK_CORE_DISABLE_PROMPTS="1",
        CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM=f"{url}/",
    )
    command = ["gcloud", "ai", "hp-tuning-jobs", *words, "--region=us-central1"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_gcloud_lists_and_cancels_a_tuning_job(tmp_path: Path) -> None:
    service = _service(replicas=1, job_duration=None)
    record = service.create_tuning_job(PARENT, tuning_body(), "v1")
    job_id = record.name.rsplit("/", 1)[1]
    with ThreadedServer(service) as server:
        listed = _gcloud(server.url, tmp_path, "list", "--format=json")
        assert listed.returncode == 0, listed.stderr
        (shown,) = json.loads(listed.stdout)
        assert shown["name"] == record.name and [t["state"] for t in shown["trials"]] == ["ACTIVE", "REQUESTED"]
        cancelled = _gcloud(server.url, tmp_path, "cancel", job_id)
        assert cancelled.returncode == 0, cancelled.stderr
        assert "Request to cancel hyperparameter tuning job" in cancelled.stderr
    service.advance(0)
    assert record.state == "JOB_STATE_CANCELLED"
