"""The SDK's ``CustomTrainingJob(script_path=...)`` under ``--vertex-execution local``: the script
runs as the backing job's replica and writes its model under ``AIP_MODEL_DIR``, into the storage
emulator, where the pipeline's model points."""

from __future__ import annotations

# Imported first for the in-process pytester run (see test_plugin.py): the official types register once.
import google.cloud.aiplatform  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

PROJECT = '''
import json

from google.cloud import aiplatform

MACHINE = {"machine_type": "n1-standard-4"}
RESOURCE = {"resource_pools": [{"id": "pool", "machine_spec": MACHINE, "replica_count": 1}]}
SERVING = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"
SCRIPT = """
import argparse, json, os
from google.cloud import storage

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int)
epochs = parser.parse_args().epochs
bucket, _, prefix = os.environ["AIP_MODEL_DIR"].removeprefix("gs://").partition("/")
model = {"epochs": epochs, "job": os.environ["CLOUD_ML_JOB_ID"]}
storage.Client(project="local").bucket(bucket).blob(prefix + "model.json").upload_from_string(json.dumps(model))
print("saved", prefix + "model.json")
"""


def test_the_script_runs_and_writes_its_model_into_storage(vertex_emulator_server, tmp_path):
    vertex_emulator_server.client.create_persistent_resource("pr", RESOURCE)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    job = aiplatform.CustomTrainingJob(
        display_name="script",
        script_path=str(script),
        container_uri="us-docker.pkg.dev/vertex-ai/training/pytorch-cpu.2-4:latest",
        model_serving_container_image_uri=SERVING,
    )
    model = job.run(persistent_resource_id="pr", machine_type="n1-standard-4", args=["--epochs=3"])
    assert job.state == aiplatform.gapic.PipelineState.PIPELINE_STATE_SUCCEEDED
    backing = aiplatform.CustomJob.get(job.gca_resource.training_task_metadata["backingCustomJob"])
    assert model.uri.endswith("/model/")
    saved = json.loads(vertex_emulator_server.storage.read(model.uri + "model.json"))
    assert saved == {"epochs": 3, "job": backing.name}
'''


def test_a_custom_training_job_script_runs_locally(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=PROJECT)
    result = pytester.runpytest_inprocess(
        "-q", "--vertex-execution", "local", "--vertex-staging-bucket", "gs://my-stage"
    )
    result.assert_outcomes(passed=1)
