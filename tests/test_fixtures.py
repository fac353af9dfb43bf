"""Fixtures in the real API's shape: every file loads, its jobs fit or not as named, bad files are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PARENT, new_service
from tests.serving import ROOT
from vertex_emulator import cli, fixtures, snapshot
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.service import Service

FIXTURES = ROOT / "fixtures"
RESOURCES = [FIXTURES / "resources" / "json", FIXTURES / "demo"]
JOB_FILES = sorted((FIXTURES / "jobs").rglob("*.*"))
REASONS = {
    "accelerator": "machine_spec.accelerator_type",
    "disk": "disk_spec.boot_disk_size_gb",
    "machine": "machine_spec.machine_type",
    "replicas": "replica_count",
}


def _load(service: Service, *paths: Path | str) -> int:
    return fixtures.load(service, paths, "my-project", "us-central1")


def test_there_are_fitting_and_mismatching_jobs_in_both_formats() -> None:
    names = {path.name for path in JOB_FILES}
    assert any("-fits." in name for name in names)
    assert any("-mismatch-" in name for name in names)
    assert {Path(name).suffix for name in names} == {".json", ".yaml"}


@pytest.mark.parametrize("path", JOB_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_job_fixture_is_admitted_or_refused_as_its_name_says(path: Path) -> None:
    service = new_service(job_duration=None)
    if "-fits." in path.name:
        assert _load(service, *RESOURCES, path) == 4
        (job,) = [record for record in service.records() if isinstance(record, CustomJob)]
        assert job.state == "JOB_STATE_RUNNING"
        assert job.name != next(fixtures.read_documents(path)).body["name"]
        resource = service.get_resource(f"{PARENT}/persistentResources/{job.spec['jobSpec']['persistentResourceId']}")
        asked = sum(int(pool["replicaCount"]) for pool in job.spec["jobSpec"]["workerPoolSpecs"])
        assert sum(resource.used(pool["id"]) for pool in resource.pools) == asked
        return
    reason = REASONS[path.stem.split("-mismatch-")[1]]
    before = service.export_state()
    with pytest.raises(fixtures.FixtureError) as refused:
        _load(service, *RESOURCES, path)
    message = str(refused.value)
    assert message.startswith(str(path))
    assert "field job_spec.worker_pool_specs[" in message
    assert reason in message.split(": ", 2)[1]
    assert "INVALID_ARGUMENT" in message
    assert service.export_state() == before


@pytest.mark.parametrize("kind", ["resources", "jobs"])
def test_json_and_yaml_fixtures_load_to_the_same_state(kind: str) -> None:
    for source in sorted((FIXTURES / kind / "json").glob("*.json")):
        twin = FIXTURES / kind / "yaml" / f"{source.stem}.yaml"
        assert twin.exists(), f"{source} has no YAML twin"
        if "-mismatch-" in source.name:
            continue
        from_json, from_yaml = new_service(job_duration=None), new_service(job_duration=None)
        needed = RESOURCES if kind == "jobs" else []
        _load(from_json, *needed, source)
        _load(from_yaml, *needed, twin)
        assert from_json.export_state() == from_yaml.export_state(), source.name


def _shown(service: Service, name: str) -> dict[str, Any]:
    return {key: value for key, value in service.get_resource(name).render().items() if key != "name"}


@pytest.mark.parametrize("sample", sorted((FIXTURES / "gcloud").iterdir()), ids=lambda path: path.name)
def test_gcloud_describe_output_loads_to_the_same_resource(sample: Path) -> None:
    described, written = new_service(), new_service()
    _load(described, sample)
    _load(written, FIXTURES / "resources" / "json" / "distributed-training.json")
    name = "persistentResources/distributed-training"
    shown = _shown(described, f"projects/123456789012/locations/us-central1/{name}")
    assert shown == _shown(written, f"{PARENT}/{name}")
    assert shown["state"] == "RUNNING"
    assert shown["resourceRuntimeSpec"] == {"serviceAccountSpec": {"enableCustomServiceAccount": True}}
    assert all("usedReplicaCount" not in pool for pool in shown["resourcePools"])


def test_the_demo_folder_holds_only_what_loads_at_start() -> None:
    service = new_service()
    assert _load(service, FIXTURES / "demo") >= 1
    assert {snapshot.collection_of(record) for record in service.records()} == {"persistentResources", "operations"}


def test_output_only_fields_of_any_api_version_and_unquoted_yaml_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "name: bare-id\n"
        "satisfiesPzs: false\n"
        "createTime: 2026-03-02T09:14:27Z\n"
        "labels: {since: 2026-03-02}\n"
        "resourcePools:\n"
        "- machineSpec: {machineType: n1-standard-4}\n"
        "  replicaCount: 2\n"
        "  usedReplicaCount: 2\n"
    )
    service = new_service()
    _load(service, tmp_path)
    resource = service.get_resource(f"{PARENT}/persistentResources/bare-id")
    assert resource.pools[0]["replicaCount"] == "2"
    assert resource.spec["labels"] == {"since": "2026-03-02"}
    assert resource.used(resource.pools[0]["id"]) == 0


def test_resources_load_before_jobs_whatever_the_file_order(tmp_path: Path) -> None:
    (tmp_path / "a-job.json").write_text((FIXTURES / "jobs" / "json" / "demo-fits.json").read_text())
    (tmp_path / "b-resource.json").write_text((FIXTURES / "demo" / "demo-resource.json").read_text())
    assert _load(new_service(), tmp_path) == 2


POOL = {"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"}
ORPHAN = json.loads((FIXTURES / "jobs" / "json" / "demo-fits.json").read_text())["jobSpec"]
BAD = [
    ("unknown.json", {"name": "r", "resourcePools": [POOL], "colour": "red"}, "colour"),
    (
        "enum.json",
        {"name": "r", "resourcePools": [{**POOL, "machineSpec": {"machineType": "n1", "acceleratorType": "TPU_X"}}]},
        "persistent_resource.resource_pools[0].machine_spec.accelerator_type",
    ),
    ("noid.json", {"resourcePools": [POOL]}, "field persistent_resource_id"),
    ("zero.json", {"name": "r", "resourcePools": [{**POOL, "replicaCount": "0"}]}, "replica_count"),
    ("orphan.json", {"displayName": "j", "jobSpec": {**ORPHAN, "persistentResourceId": "nowhere"}}, "NOT_FOUND"),
    ("neither.json", {"name": "r"}, "neither a PersistentResource"),
    ("syntax.json", '{"name": ', "cannot be read"),
    ("syntax.yaml", "name: [unclosed\n", "cannot be read"),
    ("badname.json", {"name": "projects/p/r", "resourcePools": [POOL]}, "neither an id nor"),
]


@pytest.mark.parametrize(("file", "content", "blame"), BAD, ids=[case[0] for case in BAD])
def test_a_bad_fixture_is_refused_with_file_and_field_and_nothing_is_loaded(
    tmp_path: Path, file: str, content: Any, blame: str
) -> None:
    (tmp_path / "a-good.json").write_text((FIXTURES / "demo" / "demo-resource.json").read_text())
    (tmp_path / file).write_text(content if isinstance(content, str) else json.dumps(content))
    service = new_service()
    before = service.export_state()
    with pytest.raises(fixtures.FixtureError) as refused:
        _load(service, tmp_path)
    assert str(tmp_path / file) in str(refused.value)
    assert blame in str(refused.value)
    assert service.export_state() == before


def test_a_resource_loaded_twice_is_refused() -> None:
    with pytest.raises(fixtures.FixtureError, match="ALREADY_EXISTS"):
        _load(new_service(), FIXTURES / "resources")


def test_serve_stops_on_a_bad_fixture_naming_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "r", "resourcePools": [{**POOL, "replicaCount": "0"}]}))
    assert cli.main(["serve", "--port", "0", "--fixtures", str(bad)]) == 2
    message = capsys.readouterr().err
    assert f"bad fixture: {bad}" in message
    assert "field resource_pools[0].replica_count" in message
