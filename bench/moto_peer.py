"""moto, the peer every figure is compared with: its nearest analogue of a custom job, in its own modes.

SageMaker's training job is what moto has closest to a Vertex AI custom job (an image run on
chosen machines, created then described). moto's users meet it as ours meet the emulator: in
process (``mock_aws()`` around boto3), or as ``moto_server``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

TRAINING_JOB: dict[str, Any] = {
    "AlgorithmSpecification": {
        "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:1",
        "TrainingInputMode": "File",
    },
    "RoleArn": "arn:aws:iam::123456789012:role/bench",
    "OutputDataConfig": {"S3OutputPath": "s3://bench/out"},
    "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 100},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}
REGION = "us-east-1"
_names = itertools.count(1)


def training_job_name() -> str:
    """A name no earlier call of this process used (moto refuses a second job of the same name)."""
    return f"bench-{next(_names)}"


def enter_and_leave() -> None:
    """What a test decorated with ``@mock_aws`` pays before and after its body."""
    from moto import mock_aws

    with mock_aws():
        pass


def in_process_pairs(calls: int, cpu: Callable[[Callable[[], object]], float]) -> float:
    """CPU seconds per boto3 CreateTrainingJob + DescribeTrainingJob pair inside ``mock_aws``,
    after one untimed pair (the client's and the backend's first use is not per-call cost)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)

        def run(count: int) -> None:
            for _ in range(count):
                name = training_job_name()
                client.create_training_job(TrainingJobName=name, **TRAINING_JOB)
                client.describe_training_job(TrainingJobName=name)

        run(1)
        return cpu(lambda: run(calls)) / calls


def sagemaker_headers(action: str) -> dict[str, str]:
    """What boto3 sends for a SageMaker ``action`` (AWS JSON 1.1; moto accepts any signature)."""
    return {
        "X-Amz-Target": f"SageMaker.{action}",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sagemaker/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
