"""``vertex-emulator exec`` runs an unmodified program that trains a local script as a pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vertex_emulator import cli

PROGRAM = '''\
"""Written for the real service: stages train.py and trains it on a persistent resource."""

from google.cloud import aiplatform, storage

aiplatform.init(project="my-project", location="us-central1", staging_bucket="gs://my-staging")
job = aiplatform.CustomTrainingJob(
    display_name="script",
    script_path="train.py",
    container_uri="us-docker.pkg.dev/vertex-ai/training/pytorch-cpu.2-4:latest",
    model_serving_container_image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest",
)
model = job.run(
    persistent_resource_id="demo-resource",
    machine_type="n1-standard-4",
    accelerator_type="NVIDIA_TESLA_K80",
    accelerator_count=1,
)
backing = aiplatform.CustomJob.get(job.gca_resource.training_task_metadata["backingCustomJob"])
[package] = backing.job_spec.worker_pool_specs[0].python_package_spec.package_uris
bucket, _, path = package.removeprefix("gs://").partition("/")
staged = storage.Client().bucket(bucket).blob(path).download_as_bytes()
print("RESULT", job.state.name, backing.state.name, package.rsplit("-", 1)[-1], staged[:2] == b"\\x1f\\x8b")
print("MODEL", model.version_id, model.uri.endswith("/model/"))
'''


def test_a_script_pipeline_under_exec(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "train.py").write_text("print('training')\n")
    (tmp_path / "program.py").write_text(PROGRAM)
    monkeypatch.chdir(tmp_path)
    fixtures = str(Path(__file__).resolve().parents[1] / "fixtures" / "demo")
    status = cli.main(["exec", "--fixtures", fixtures, "--bucket", "my-staging", "--", sys.executable, "program.py"])
    out, err = capfd.readouterr()
    assert status == 0, err
    assert "RESULT PIPELINE_STATE_SUCCEEDED JOB_STATE_SUCCEEDED 0.1.tar.gz True" in out
    assert "MODEL 1 True" in out
