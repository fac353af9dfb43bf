"""``vertex-emulator check`` on a HyperparameterTuningJob body: its study, and its parallel trials on the resource."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_check import DESCRIBED, K80
from vertex_emulator import cli


def _tuning(replicas: int = 1, parallel: int = 2, **more: Any) -> dict[str, Any]:
    return {
        "displayName": "hp",
        "studySpec": {
            "metrics": [{"metricId": "accuracy", "goal": "MAXIMIZE"}],
            "parameters": [{"parameterId": "lr", "doubleValueSpec": {"minValue": 0.001, "maxValue": 0.1}}],
            **more,
        },
        "maxTrialCount": 4,
        "parallelTrialCount": parallel,
        "trialJobSpec": {
            "persistentResourceId": "my-pr",
            "workerPoolSpecs": [
                {"machineSpec": K80, "replicaCount": replicas, "containerSpec": {"imageUri": "gcr.io/p/t:1"}}
            ],
        },
    }


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], job: dict[str, Any], *argv: str) -> tuple[int, Any]:
    (tmp_path / "job.json").write_text(json.dumps(job))
    (tmp_path / "pr.json").write_text(json.dumps(DESCRIBED))
    status = cli.main(["check", str(tmp_path / "job.json"), "--resource", str(tmp_path / "pr.json"), *argv])
    out, _ = capsys.readouterr()
    return status, json.loads(out) if "--format" in argv else out


def test_parallel_trials_fit_one_after_the_other_and_the_rest_wait(tmp_path: Path, capsys: Any) -> None:
    status, verdict = _check(tmp_path, capsys, _tuning(parallel=3), "--format", "json")
    assert status == 0
    assert verdict["placement"] == [{"trial": 1, "workerPool": 0, "resourcePool": "k80-pool", "replicas": 1}]
    assert verdict["waitingTrials"] == 2


def test_a_busy_pool_is_no_refusal_trials_wait(tmp_path: Path, capsys: Any) -> None:
    status, text = _check(tmp_path, capsys, _tuning(), "--used", "k80-pool=2")
    assert status == 0
    assert "2 parallel trial(s) would wait (REQUESTED)" in text


def test_a_trial_spec_that_can_never_fit_is_refused_as_a_custom_job_is(tmp_path: Path, capsys: Any) -> None:
    status, verdict = _check(tmp_path, capsys, _tuning(replicas=3), "--format", "json")
    assert status == 1
    assert verdict["error"]["status"] == "INVALID_ARGUMENT"
    assert verdict["error"]["message"].startswith(
        'Worker pool 0 (trial_job_spec.worker_pool_specs[0]) asks for 3 replicas, but resource pool "k80-pool" has '
        "at most 2."
    )
    violations = verdict["error"]["details"][0]["fieldViolations"]
    assert [item["field"] for item in violations] == ["trial_job_spec.worker_pool_specs[0].replica_count"]


def test_a_study_the_emulator_refuses_is_refused(tmp_path: Path, capsys: Any) -> None:
    status, verdict = _check(tmp_path, capsys, _tuning(algorithm="GRID_SEARCH"), "--format", "json")
    assert status == 1
    assert "all parameters must be INTEGER, CATEGORICAL, or DISCRETE" in verdict["error"]["message"]
