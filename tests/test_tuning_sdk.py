"""The SDK's ``HyperparameterTuningJob``, unmodified, with trials on a persistent resource.

``run()`` blocks until the job ends and ``.trials`` lists them, against a served emulator and in
process; the plugin's fixtures and the control API decide trial outcomes the way a test would.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform import hyperparameter_tuning as hpt

from tests.conftest import PARENT, Target, demo_pool
from tests.test_sdk_resources import _init
from vertex_emulator import cli
from vertex_emulator.client.pytest_plugin import VertexHarness

WORKER_POOLS = [
    {
        "machine_spec": {
            "machine_type": "n1-standard-4",
            "accelerator_type": "NVIDIA_TESLA_K80",
            "accelerator_count": 1,
        },
        "replica_count": 1,
        "container_spec": {"image_uri": "gcr.io/p/trainer:1", "args": ["--epochs=3"]},
    }
]


def _tuning_job(
    resource_id: str = "demo", parallel: int = 2, most: int = 4, module: Any = aiplatform
) -> aiplatform.HyperparameterTuningJob:
    """The SDK's tuning job (``module`` ``aiplatform``, or ``aiplatform.preview.jobs`` for v1beta1)."""
    custom_job = module.CustomJob(
        display_name="trainer",
        worker_pool_specs=WORKER_POOLS,
        staging_bucket="gs://my-bucket",
        persistent_resource_id=resource_id,
    )
    return module.HyperparameterTuningJob(
        display_name="hp",
        custom_job=custom_job,
        metric_spec={"accuracy": "maximize"},
        parameter_spec={
            "lr": hpt.DoubleParameterSpec(min=1e-4, max=1e-1, scale="log"),
            "batch": hpt.DiscreteParameterSpec(values=[16, 32, 64], scale="linear"),
            "opt": hpt.CategoricalParameterSpec(values=["sgd", "adam"]),
        },
        max_trial_count=most,
        parallel_trial_count=parallel,
    )


def test_run_blocks_until_every_trial_ended_and_trials_list_them(target: Target, sdk_fast: None) -> None:
    target.service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="2")]})
    _init(target)
    job = _tuning_job()
    job.run()
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert [trial.id for trial in job.trials] == ["1", "2", "3", "4"]
    assert {trial.state.name for trial in job.trials} == {"SUCCEEDED"}
    best = max(job.trials, key=lambda trial: trial.final_measurement.metrics[0].value)
    assert best.final_measurement.metrics[0].metric_id == "accuracy"
    trial_job = aiplatform.CustomJob.get(best.custom_job)
    args = trial_job.job_spec.worker_pool_specs[0].container_spec.args
    assert args[0] == "--epochs=3" and {arg.split("=")[0] for arg in args[1:]} == {"--lr", "--batch", "--opt"}
    assert trial_job.job_spec.base_output_directory.output_uri_prefix.endswith(f"/{best.id}")


def test_run_without_blocking_then_wait(target: Target, sdk_fast: None) -> None:
    target.service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    _init(target)
    job = _tuning_job(parallel=1, most=2)
    job.run(sync=False)
    job.wait()
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    listed = aiplatform.HyperparameterTuningJob.list()
    assert [found.resource_name for found in listed] == [job.resource_name]


def test_the_v1beta1_gapic_client_creates_lists_cancels_and_deletes(target: Target) -> None:
    from google.cloud import aiplatform_v1beta1 as beta

    target.service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="1")]})
    target.service.settings = replace(target.service.settings, job_duration=None)
    client = beta.JobServiceClient(
        transport="rest", client_options=target.client_options(), credentials=AnonymousCredentials()
    )
    body = beta.HyperparameterTuningJob(
        display_name="hp",
        study_spec=beta.StudySpec(
            metrics=[beta.StudySpec.MetricSpec(metric_id="loss", goal="MINIMIZE")],
            parameters=[
                beta.StudySpec.ParameterSpec(
                    parameter_id="layers",
                    integer_value_spec=beta.StudySpec.ParameterSpec.IntegerValueSpec(min_value=1, max_value=3),
                )
            ],
            algorithm="GRID_SEARCH",
        ),
        max_trial_count=5,
        parallel_trial_count=2,
        trial_job_spec=beta.CustomJobSpec(
            persistent_resource_id="demo",
            worker_pool_specs=[
                beta.WorkerPoolSpec(
                    machine_spec=beta.MachineSpec(**WORKER_POOLS[0]["machine_spec"]),
                    replica_count=1,
                    container_spec=beta.ContainerSpec(image_uri="gcr.io/p/trainer:1"),
                )
            ],
        ),
    )
    made = client.create_hyperparameter_tuning_job(parent=PARENT, hyperparameter_tuning_job=body)
    assert [trial.state.name for trial in made.trials] == ["ACTIVE", "REQUESTED"]
    assert [trial.parameters[0].value for trial in made.trials] == [1, 2]
    assert [job.name for job in client.list_hyperparameter_tuning_jobs(parent=PARENT)] == [made.name]
    client.cancel_hyperparameter_tuning_job(name=made.name)
    target.advance(0)
    ended = client.get_hyperparameter_tuning_job(name=made.name)
    assert ended.state.name == "JOB_STATE_CANCELLED"
    assert {trial.state.name for trial in ended.trials} == {"INFEASIBLE"}
    client.delete_hyperparameter_tuning_job(name=made.name).result()
    assert list(client.list_hyperparameter_tuning_jobs(parent=PARENT)) == []


def test_a_pool_that_never_fits_is_a_bad_request(target: Target, sdk_fast: None) -> None:
    from google.api_core import exceptions

    target.service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="2")]})
    _init(target)
    job = _tuning_job()
    job._gca_resource.trial_job_spec.worker_pool_specs[0].replica_count = 3
    with pytest.raises(exceptions.BadRequest) as raised:
        job.run()
    assert "trial_job_spec.worker_pool_specs[0]" in raised.value.message


@pytest.mark.parametrize("fixture", ["vertex_emulator", "vertex_emulator_server"])
def test_the_harness_decides_trial_outcomes(fixture: str, request: pytest.FixtureRequest) -> None:
    harness: VertexHarness = request.getfixturevalue(fixture)
    service = harness.emulator()
    service.settings = replace(service.settings, job_duration=None)
    service.seed_resource(harness.parent, "demo", {"resourcePools": [demo_pool()]})
    job = _tuning_job(parallel=1, most=3)
    job._gca_resource.max_failed_trial_count = 2
    job.run(sync=False)
    job.wait_for_resource_creation()
    harness.set_trial_outcome(job, "1", metrics={"accuracy": 0.91})
    harness.set_trial_outcome(job, "2", infeasible_reason="diverged")
    harness.set_trial_outcome(job, "3", metrics={"accuracy": 0.95})
    job.wait()
    states: list[Any] = [(trial.id, trial.state.name) for trial in job.trials]
    assert states == [("1", "SUCCEEDED"), ("2", "INFEASIBLE"), ("3", "SUCCEEDED")]
    assert job.trials[1].infeasible_reason == "diverged"
    assert job.trials[2].final_measurement.metrics[0].value == 0.95


EXEC_PROGRAM = """\
from google.cloud import aiplatform
from google.cloud.aiplatform import hyperparameter_tuning as hpt, jobs
from vertexai.resources.preview import PersistentResource

jobs._JOB_WAIT_TIME = 0.05
aiplatform.init(project="my-project", location="us-central1", staging_bucket="gs://my-bucket")
machine = {"machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_K80", "accelerator_count": 1}
pools = [{"machine_spec": machine, "replica_count": 2}]
PersistentResource.create(persistent_resource_id="my-pr", resource_pools=pools)
custom_job = aiplatform.CustomJob(
    display_name="trainer",
    worker_pool_specs=[{"machine_spec": machine, "replica_count": 1, "container_spec": {"image_uri": "gcr.io/p/t:1"}}],
    persistent_resource_id="my-pr",
)
job = aiplatform.HyperparameterTuningJob(
    display_name="hp",
    custom_job=custom_job,
    metric_spec={"accuracy": "maximize"},
    parameter_spec={"layers": hpt.IntegerParameterSpec(min=1, max=4, scale="linear")},
    max_trial_count=4,
    parallel_trial_count=2,
    search_algorithm="grid",
)
job.run()
print("RESULT", job.state.name, [(t.id, t.state.name, t.parameters[0].value) for t in job.trials])
"""


def test_an_unmodified_tuning_program_runs_under_exec(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "program.py").write_text(EXEC_PROGRAM)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["exec", "--seed", "3", "--", sys.executable, "program.py"])
    out, err = capfd.readouterr()
    assert status == 0, err
    expected = [(str(n), "SUCCEEDED", float(n)) for n in range(1, 5)]
    assert f"RESULT JOB_STATE_SUCCEEDED {expected}" in out


def test_the_readme_example_runs(sdk_fast: None) -> None:
    import re

    from tests.serving import ROOT, served

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Hyperparameter tuning", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)  # type: ignore[union-attr]
    instant = ("--job-queued-delay", "0", "--job-pending-delay", "0", "--job-duration", "0")
    with served("--fixtures", "fixtures/demo", *instant) as url:
        namespace: dict[str, Any] = {}
        exec(compile(code.replace("http://127.0.0.1:8080", url), "README.md", "exec"), namespace)
        assert namespace["job"].state.name == "JOB_STATE_SUCCEEDED"
        assert len(namespace["job"].trials) == 6 and namespace["best"].state.name == "SUCCEEDED"
