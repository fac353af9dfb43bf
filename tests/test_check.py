"""``vertex-emulator check``: the offline preflight gives the emulator's verdict and message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PARENT, new_service
from vertex_emulator import cli
from vertex_emulator.errors import ApiError
from vertex_emulator.offline import preflight

K80 = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1}
DESCRIBED = {
    "name": "projects/123456789/locations/us-central1/persistentResources/my-pr",
    "displayName": "my pr",
    "createTime": "2026-11-29T05:00:00.123456Z",
    "state": "RUNNING",
    "resourcePools": [
        {
            "id": "k80-pool",
            "machineSpec": K80,
            "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100},
            "replicaCount": "2",
            "usedReplicaCount": "1",
        }
    ],
}


def _config(replicas: int = 1, **machine: Any) -> dict[str, Any]:
    """A ``gcloud ai custom-jobs create --config`` spec: one worker pool, written as a mapping."""
    return {
        "workerPoolSpecs": {
            "machineSpec": {**K80, **machine},
            "replicaCount": replicas,
            "containerSpec": {"imageUri": "gcr.io/p/trainer:1"},
        }
    }


@pytest.fixture
def files(tmp_path: Path) -> Any:
    def write(name: str, data: Any) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data))
        return str(path)

    return write


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_matching_job_is_admitted(files: Any, capsys: pytest.CaptureFixture[str]) -> None:
    resource = files("resource.yaml", DESCRIBED)
    status, out, _ = _check(capsys, files("train.yaml", _config()), "--resource", resource)
    assert status == 0
    assert out.splitlines() == [
        f'admitted: the job fits persistent resource "{DESCRIBED["name"]}"',
        '  worker pool 0 (1 replica) -> resource pool "k80-pool"',
    ]
    status, out, _ = _check(capsys, files("train.yaml", _config()), "--resource", resource, "--format", "json")
    assert json.loads(out) == {
        "admitted": True,
        "resource": DESCRIBED["name"],
        "placement": [{"workerPool": 0, "resourcePool": "k80-pool", "replicas": 1}],
    }


def _emulator_message(job: dict[str, Any]) -> str:
    """What the emulator answers for the same job while another job holds one replica.

    The file cannot say which job holds that replica, so the emulator's job name reads
    "jobs counted in the file's usedReplicaCount" in the preflight; every other word must be the same.
    """
    service = new_service(job_duration=None)
    resource = {key: value for key, value in DESCRIBED.items() if key in ("displayName", "resourcePools")}
    service.seed_resource(PARENT, "my-pr", json.loads(json.dumps(resource)))
    blocker = {"displayName": "blocker", "jobSpec": {"workerPoolSpecs": [_config()["workerPoolSpecs"]]}}
    blocker["jobSpec"]["persistentResourceId"] = "my-pr"
    holder = service.create_job(PARENT, blocker, "v1").name
    with pytest.raises(ApiError) as refused:
        service.create_job(PARENT, job, "v1")
    return refused.value.message.replace(holder, preflight.FROM_FILE)


@pytest.mark.parametrize(
    ("config", "status_name"),
    [(_config(machineType="n1-standard-8"), "INVALID_ARGUMENT"), (_config(2), "FAILED_PRECONDITION")],
    ids=["mismatched-machine", "too-few-free-replicas"],
)
def test_a_refused_job_gets_the_emulators_message(
    files: Any, capsys: pytest.CaptureFixture[str], config: dict[str, Any], status_name: str
) -> None:
    job = {"displayName": "train", "jobSpec": {"workerPoolSpecs": [config["workerPoolSpecs"]]}}
    job["jobSpec"]["persistentResourceId"] = "my-pr"
    described = {**DESCRIBED, "name": f"{PARENT}/persistentResources/my-pr"}
    status, out, _ = _check(
        capsys, files("job.json", job), "--resource", files("resource.json", described), "--format", "json"
    )
    assert status == 1
    verdict = json.loads(out)
    assert (verdict["admitted"], verdict["error"]["status"]) == (False, status_name)
    assert verdict["error"]["message"] == _emulator_message(job)


def test_used_replicas_come_from_the_file_or_the_command_line(files: Any, capsys: pytest.CaptureFixture[str]) -> None:
    resource = files("resource.yaml", DESCRIBED)
    two = files("two.yaml", _config(2))
    status, out, _ = _check(capsys, two, "--resource", resource)
    assert status == 1
    assert out.startswith(
        "refused: FAILED_PRECONDITION: Worker pool 0 (job_spec.worker_pool_specs[0]) needs 2 replicas"
    )
    assert "but 1 of its 2 are free; the rest are held by jobs counted in the file's usedReplicaCount (1)." in out
    assert out.rstrip().endswith("to check against idle pools: --used k80-pool=0")
    assert _check(capsys, two, "--resource", resource, "--used", "k80-pool=0")[0] == 0
    assert _check(capsys, files("one.yaml", _config()), "--resource", resource, "--used", "k80-pool=2")[0] == 1
    status, _, err = _check(capsys, two, "--resource", resource, "--used", "other=1")
    assert status == 2
    assert "--used names other, not a pool of" in err


def test_a_resource_that_is_not_running_or_another_resource_refuses(
    files: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    job = files("train.yaml", _config())
    status, out, _ = _check(capsys, job, "--resource", files("r.yaml", {**DESCRIBED, "state": "REBOOTING"}))
    assert status == 1
    assert "is REBOOTING; jobs can run only on a RUNNING persistent resource." in out
    unstated = {key: value for key, value in DESCRIBED.items() if key != "state"}
    assert _check(capsys, job, "--resource", files("u.yaml", unstated))[0] == 0
    other = files("other.json", {"displayName": "t", "jobSpec": {**_config(), "persistentResourceId": "elsewhere"}})
    status, out, _ = _check(capsys, other, "--resource", files("r.json", DESCRIBED))
    assert status == 1
    assert 'runs on persistent resource "elsewhere", but the resource checked against is "my-pr"' in out


def test_unreadable_input_exits_2(files: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    resource = files("resource.yaml", DESCRIBED)
    broken = tmp_path / "broken.yaml"
    broken.write_text("workerPoolSpecs: [")
    cases = [
        (str(broken), resource, "broken.yaml: cannot be read"),
        (str(tmp_path / "missing.yaml"), resource, "missing.yaml: cannot be read"),
        (files("typo.yaml", {"workerPoolSpecs": [{"machineSpek": K80}]}), resource, 'Unknown name "machineSpek"'),
        (files("job.yaml", _config()), files("bad.yaml", {"resourcePools": []}), "resource_pools is required"),
    ]
    for job, res, reason in cases:
        status, out, err = _check(capsys, job, "--resource", res)
        assert (status, out) == (2, "")
        assert reason in err
    with pytest.raises(SystemExit):
        cli.main(["check", "job.yaml", "--resource", resource, "--used", "k80-pool"])
