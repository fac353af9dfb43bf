"""``vertex-emulator exec``: an unmodified SDK program reaches a fresh emulator, and its exit status
comes back; nothing outside the child's process tree changes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.samples import docs_sample
from vertex_emulator import cli

PROGRAM = '''\
"""Written for the real service: reloads the SDK as python-aiplatform's system tests do."""

import importlib
import sys

from google.cloud import aiplatform, aiplatform_v1
from google.cloud.aiplatform import initializer

importlib.reload(initializer)
importlib.reload(aiplatform)
aiplatform.init(project="my-project", location="us-central1")

from vertexai.resources.preview import PersistentResource  # noqa: E402

from docs_sample import create_custom_job_on_persistent_resource_sample  # noqa: E402

resource = PersistentResource.create(
    persistent_resource_id="my-pr",
    resource_pools=[
        {
            "machine_spec": {
                "machine_type": "n1-standard-4",
                "accelerator_type": "NVIDIA_TESLA_K80",
                "accelerator_count": 1,
            },
            "replica_count": 1,
        }
    ],
)
create_custom_job_on_persistent_resource_sample(
    project="my-project",
    location="us-central1",
    staging_bucket="gs://my-bucket",
    display_name="my-job",
    container_uri="us-docker.pkg.dev/my-project/repo/trainer:latest",
    persistent_resource_id="my-pr",
)
[job] = aiplatform_v1.JobServiceClient().list_custom_jobs(parent="projects/my-project/locations/us-central1")
print("RESULT", resource.state.name, job.display_name, job.state.name, initializer.global_config.api_endpoint)
sys.exit(int(sys.argv[1]))
'''


def test_an_unmodified_sdk_program_runs_against_the_emulator(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(docs_sample.__file__, tmp_path / "docs_sample.py")
    (tmp_path / "program.py").write_text(PROGRAM)
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)

    status = cli.main(["exec", "--seed", "3", "--", sys.executable, "program.py", "7"])

    out, err = capfd.readouterr()
    assert status == 7, err
    assert "RESULT RUNNING my-job JOB_STATE_SUCCEEDED None" in out
    url = err.split("vertex-emulator listening on ", 1)[1].split()[0]
    assert dict(os.environ) == before
    host, port = url.removeprefix("http://").split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=1):
        pass


def test_the_exit_status_of_a_command_comes_back(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sitecustomize.py").write_text("print('the shadowed sitecustomize ran')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    code = "import os, sys; print(os.environ['VERTEX_AI_EMULATOR_HOST']); sys.exit(3)"
    assert cli.main(["exec", "--", sys.executable, "-c", code]) == 3
    shadowed, address = capfd.readouterr().out.splitlines()
    assert shadowed == "the shadowed sitecustomize ran"
    assert address.startswith("127.0.0.1:")
    assert cli.main(["exec", "--", "no-such-command-here"]) == 127
    assert cli.main(["exec"]) == 2
    assert "give the command to run" in capfd.readouterr().err


def test_a_sigterm_is_passed_on_to_the_command(capfd: pytest.CaptureFixture[str]) -> None:
    """The child asks for the SIGTERM itself (as a CI runner cancelling the job would send it)."""
    code = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(42))\n"
        "os.kill(os.getppid(), signal.SIGTERM)\n"
        "time.sleep(60)\n"
        "sys.exit(1)\n"
    )
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert cli.main(["exec", "--", sys.executable, "-S", "-c", code]) == 42
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
