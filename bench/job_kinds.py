"""The other job kinds in process: a training pipeline's and a tuning job's create + get, next to a custom job's.

Each runs through its official GAPIC client over REST, routed in process as ``mock_vertex`` routes
it, against the benchmark's emulator. A pipeline's create also creates its backing custom job, a
tuning job's its first trial (one at a time here), so each pair costs a custom job's and more; the
row says how much more, paired with the custom job's pair in the same run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from bench import sdk_calls, workload
from bench.stats import Row, paired
from vertex_emulator.http.app import make_app

LIMIT = 2.0
CUSTOM_TASK = "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"
OUTPUT = {"output_uri_prefix": "gs://bench/out"}


def _job_spec() -> dict[str, Any]:
    return copy.deepcopy(workload.job_body()["jobSpec"])


def pipeline_pairs(calls: int) -> float:
    """CPU seconds per ``create_training_pipeline`` + ``get_training_pipeline`` pair."""
    from google.cloud import aiplatform_v1

    client = aiplatform_v1.PipelineServiceClient(transport="rest", credentials=sdk_calls.credentials())
    spec = _job_spec()
    inputs = {
        "worker_pool_specs": spec["workerPoolSpecs"],
        "persistent_resource_id": workload.RESOURCE_ID,
        "base_output_directory": OUTPUT,
    }
    pipeline = aiplatform_v1.TrainingPipeline(
        display_name="bench", training_task_definition=CUSTOM_TASK, training_task_inputs=inputs
    )

    def pair() -> None:
        created = client.create_training_pipeline(parent=workload.PARENT, training_pipeline=pipeline)
        client.get_training_pipeline(name=created.name)

    return _timed(pair, calls)


def tuning_pairs(calls: int) -> float:
    """CPU seconds per ``create_hyperparameter_tuning_job`` + ``get_hyperparameter_tuning_job`` pair."""
    from google.cloud import aiplatform_v1

    client = aiplatform_v1.JobServiceClient(transport="rest", credentials=sdk_calls.credentials())
    body = {
        "displayName": "bench",
        "studySpec": {
            "metrics": [{"metricId": "accuracy", "goal": "MAXIMIZE"}],
            "parameters": [{"parameterId": "layers", "integerValueSpec": {"minValue": "1", "maxValue": "8"}}],
            "algorithm": "RANDOM_SEARCH",
        },
        "maxTrialCount": 2,
        "parallelTrialCount": 1,
        "trialJobSpec": dict(_job_spec(), baseOutputDirectory={"outputUriPrefix": "gs://bench/hp"}),
    }
    tuning = aiplatform_v1.HyperparameterTuningJob.from_json(json.dumps(body))

    def pair() -> None:
        created = client.create_hyperparameter_tuning_job(parent=workload.PARENT, hyperparameter_tuning_job=tuning)
        client.get_hyperparameter_tuning_job(name=created.name)

    return _timed(pair, calls)


def _timed(pair: Callable[[], None], calls: int) -> float:
    return sdk_calls.per_pair(make_app(workload.service()), pair, calls)


KINDS: dict[str, Callable[[int], float]] = {
    "GAPIC create_training_pipeline + get_training_pipeline": pipeline_pairs,
    "GAPIC create_hyperparameter_tuning_job + get_hyperparameter_tuning_job": tuning_pairs,
}


def measure(calls: int, repeats: int, warm: bool = True) -> list[Row]:
    rows = []
    for name, pairs in KINDS.items():
        result = paired(lambda pairs=pairs: pairs(calls), lambda: sdk_calls.custom_job_pairs(calls), repeats, warm)
        rows.append(
            result.row(
                sdk_calls.SECTION,
                name,
                "s",
                f"{sdk_calls.PAIR}, same emulator",
                f"<= {LIMIT}x custom job",
                result.ratio <= LIMIT,
            )
        )
    return rows
