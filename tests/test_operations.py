"""Long-running operations: names, @types of the version that started them, polls on /ui/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PARENT, new_service
from vertex_emulator.http.app import make_app

BODY = {"resourcePools": [{"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"}]}


@pytest.fixture
def http() -> Any:
    return make_app(new_service(provision_delay=10)).test_client()


def _create(http: Any, version: str = "v1", resource_id: str = "pr") -> dict[str, Any]:
    answer = http.post(f"/{version}/{PARENT}/persistentResources?persistentResourceId={resource_id}", json=BODY)
    assert answer.status_code == 200, answer.json
    return answer.json


@pytest.mark.parametrize("prefix", ["ui", "v1", "v1beta1"])
def test_operation_is_served_under_every_prefix(http: Any, prefix: str) -> None:
    operation = _create(http)
    assert operation["name"].startswith(f"{PARENT}/persistentResources/pr/operations/")
    assert "done" not in operation
    assert http.get(f"/{prefix}/{operation['name']}").json["name"] == operation["name"]


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_done_follows_the_transition_and_types_follow_the_version(version: str) -> None:
    service = new_service(provision_delay=10)
    http = make_app(service).test_client()
    operation = _create(http, version)
    assert operation["metadata"]["@type"] == (
        f"type.googleapis.com/google.cloud.aiplatform.{version}.CreatePersistentResourceOperationMetadata"
    )
    service.advance(10)
    done = http.get(f"/ui/{operation['name']}").json
    assert done["done"] is True
    assert done["response"]["@type"] == f"type.googleapis.com/google.cloud.aiplatform.{version}.PersistentResource"
    assert done["response"]["state"] == "RUNNING"
    assert done["metadata"]["genericMetadata"]["updateTime"] == "2026-01-01T00:00:10Z"


def test_list_wait_cancel_delete(http: Any) -> None:
    first = _create(http, resource_id="a")
    _create(http, resource_id="b")
    listed = http.get(f"/v1/{PARENT}/operations").json["operations"]
    assert {op["name"] for op in listed} >= {first["name"]}
    own = http.get(f"/v1/{PARENT}/persistentResources/a/operations").json["operations"]
    assert [op["name"] for op in own] == [first["name"]]
    waited = http.post(f"/v1/{first['name']}:wait?timeout=0s").json
    assert "done" not in waited, "a manual clock does not move while waiting"
    assert http.post(f"/v1/{first['name']}:cancel", json={}).json == {}
    assert http.delete(f"/v1/{first['name']}").json == {}
    assert http.get(f"/v1/{first['name']}").status_code == 404


def test_unknown_operation_is_not_found(http: Any) -> None:
    answer = http.get(f"/ui/{PARENT}/operations/123")
    assert answer.status_code == 404
    assert answer.json["error"]["status"] == "NOT_FOUND"


def test_a_resource_operation_is_found_by_its_short_name(http: Any) -> None:
    operation = _create(http)
    short = f"{PARENT}/operations/{operation['name'].rsplit('/', 1)[1]}"
    assert http.get(f"/v1/{short}").json["name"] == operation["name"]
