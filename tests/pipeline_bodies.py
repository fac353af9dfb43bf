"""TrainingPipeline bodies as the SDK's training classes build them, for the tests of pipelines.

The worker pools come from the SDK's own ``_DistributedTrainingSpec`` and the body goes through the
official ``TrainingPipeline`` type to JSON as the GAPIC REST transport writes it, so the Struct's
quirks (snake_case keys, integers as floats) are the SDK's, not a copy of them.
"""

from __future__ import annotations

import json
from typing import Any

from google.cloud.aiplatform.compat.types import training_pipeline as gca_training_pipeline
from google.cloud.aiplatform.utils import worker_spec_utils
from google.protobuf import json_format

from vertex_emulator.domain.pipelines import CUSTOM_TASK

K80 = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1}
STAGING = "gs://staging"


def worker_pools(replica_count: int = 1, task: str = "container") -> list[dict[str, Any]]:
    """The chief (and worker) pools ``CustomContainerTrainingJob`` or ``CustomPythonPackageTrainingJob`` send."""
    pools = worker_spec_utils._DistributedTrainingSpec.chief_worker_pool(
        replica_count=replica_count,
        machine_type=K80["machineType"],
        accelerator_type=K80["acceleratorType"],
        accelerator_count=K80["acceleratorCount"],
    ).pool_specs
    for pool in pools:
        if task == "container":
            pool["containerSpec"] = {"imageUri": "gcr.io/my-project/trainer:latest", "args": ["--epochs", "1"]}
        else:
            pool["python_package_spec"] = {
                "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/pytorch-xla.2-4.py310:latest",
                "python_module": "trainer.task",
                "package_uris": [f"{STAGING}/trainer-0.1.tar.gz"],
            }
    return pools


def task_inputs(resource_id: str | None = "demo", **more: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "worker_pool_specs": worker_pools(),
        "base_output_directory": {"output_uri_prefix": f"{STAGING}/aiplatform-custom-training-1"},
        **more,
    }
    if resource_id:
        inputs["persistent_resource_id"] = resource_id
    return inputs


def pipeline_body(inputs: dict[str, Any] | None = None, model: bool = False, **fields: Any) -> dict[str, Any]:
    """The REST body of ``create_training_pipeline`` as the SDK sends it."""
    pipeline = gca_training_pipeline.TrainingPipeline(
        display_name="train",
        training_task_definition=CUSTOM_TASK,
        training_task_inputs=task_inputs() if inputs is None else inputs,
    )
    body: dict[str, Any] = json.loads(
        json_format.MessageToJson(gca_training_pipeline.TrainingPipeline.pb(pipeline), use_integers_for_enums=True)
    )
    if model:
        body["modelToUpload"] = {
            "displayName": "train-model",
            "containerSpec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-0:latest"},
            "versionAliases": ["default"],
        }
    body.update(fields)
    return body
