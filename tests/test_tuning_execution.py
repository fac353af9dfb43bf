"""A tuning job under ``--vertex-execution local``: each trial's script reports with cloudml-hypertune,
and the best trial is the one the script made best."""

from __future__ import annotations

import sys

# Imported first for the in-process pytester run (see test_plugin.py): the official types register once.
import google.cloud.aiplatform  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

PROJECT = f'''
from google.cloud import aiplatform
from google.cloud.aiplatform import hyperparameter_tuning as hpt

MACHINE = {{"machine_type": "n1-standard-4"}}
RESOURCE = {{"resource_pools": [{{"id": "pool", "machine_spec": MACHINE, "replica_count": 2}}]}}
SCRIPT = """
import argparse, os
import hypertune

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--layers", type=int)
args = parser.parse_args()
tuner = hypertune.HyperTune()
for step in range(1, 4):
    accuracy = (1 - abs(args.lr - 0.3)) * step / 3 + args.layers / 100
    tuner.report_hyperparameter_tuning_metric("accuracy", accuracy, global_step=step)
print("trial", os.environ["CLOUD_ML_TRIAL_ID"], "lr", args.lr, "layers", args.layers)
"""


def accuracy(lr, layers):
    return (1 - abs(lr - 0.3)) + layers / 100


def test_the_best_trial_is_the_one_the_script_made_best(vertex_emulator_server):
    vertex_emulator_server.client.create_persistent_resource("pr", RESOURCE)
    task = {{"image_uri": "gcr.io/p/trainer:1", "command": [{sys.executable!r}, "-c", SCRIPT]}}
    custom_job = aiplatform.CustomJob(
        display_name="trial",
        worker_pool_specs=[{{"machine_spec": MACHINE, "replica_count": 1, "container_spec": task}}],
        persistent_resource_id="pr",
    )
    tuning = aiplatform.HyperparameterTuningJob(
        display_name="tune",
        custom_job=custom_job,
        metric_spec={{"accuracy": "maximize"}},
        parameter_spec={{
            "lr": hpt.DoubleParameterSpec(min=0.01, max=1.0, scale="linear"),
            "layers": hpt.IntegerParameterSpec(min=1, max=4, scale="linear"),
        }},
        max_trial_count=4,
        parallel_trial_count=2,
    )
    tuning.run()
    assert tuning.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
    trials = tuning.trials
    assert len(trials) == 4
    expected = {{}}
    for trial in trials:
        chosen = {{parameter.parameter_id: parameter.value for parameter in trial.parameters}}
        expected[trial.id] = accuracy(chosen["lr"], int(chosen["layers"]))
        [metric] = trial.final_measurement.metrics
        assert metric.metric_id == "accuracy"
        assert abs(metric.value - expected[trial.id]) < 1e-9
    best = max(trials, key=lambda trial: trial.final_measurement.metrics[0].value)
    assert best.id == max(expected, key=expected.get)
'''


def test_trials_report_with_hypertune(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=PROJECT)
    result = pytester.runpytest_inprocess("-q", "--vertex-execution", "local")
    result.assert_outcomes(passed=1)
