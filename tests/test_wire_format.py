"""The wire format of the official protos: names, enums, int64, unknown fields, error envelopes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PARENT

RESOURCES = f"/v1/{PARENT}/persistentResources"


def _pool(**machine: Any) -> dict[str, Any]:
    return {"machineSpec": {"machineType": "n1-standard-4", **machine}, "replicaCount": 2}


def test_enums_as_numbers_and_int64_as_numbers_are_accepted_and_echoed_canonically(http: Any) -> None:
    body = {
        "resourcePools": [_pool(acceleratorType=5, acceleratorCount=1)],
        "state": "ERROR",
        "createTime": "2020-01-01T00:00:00Z",
    }
    assert (
        http.post(f"{RESOURCES}?persistentResourceId=pr&%24alt=json%3Benum-encoding%3Dint", json=body).status_code
        == 200
    )
    resource = http.get(f"{RESOURCES}/pr").json
    pool = resource["resourcePools"][0]
    assert pool["machineSpec"]["acceleratorType"] == "NVIDIA_TESLA_T4"
    assert pool["replicaCount"] == "2"
    assert resource["state"] == "RUNNING", "output-only fields are ignored on input"
    assert resource["createTime"] != "2020-01-01T00:00:00Z"


def test_the_sdk_bare_name_in_the_body_is_overridden(http: Any) -> None:
    http.post(f"{RESOURCES}?persistentResourceId=real-id", json={"name": "real-id", "resourcePools": [_pool()]})
    assert http.get(f"{RESOURCES}/real-id").json["name"] == f"{PARENT}/persistentResources/real-id"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"resourcePools": [_pool()], "colour": "red"}, "Unknown name \"colour\" at 'persistent_resource'"),
        (
            {"resourcePools": [{**_pool(), "replicaCount": "two"}]},
            "'persistent_resource.resource_pools[0].replica_count'",
        ),
        ({"resourcePools": [_pool(acceleratorType="NVIDIA_NOPE")]}, "accelerator_type"),
        ({"resourcePools": "all"}, "resource_pools"),
        ({"resourcePools": []}, "resource_pools is required"),
        ({"resourcePools": [{"replicaCount": "1"}]}, "machine_spec.machine_type is required"),
        ({"resourcePools": [{**_pool(), "diskSpec": {"bootDiskType": "pd-fast"}}]}, "boot_disk_type"),
        (
            {"resourcePools": [{**_pool(), "autoscalingSpec": {"minReplicaCount": "0", "maxReplicaCount": "3"}}]},
            "min_replica_count",
        ),
        (
            {"resourcePools": [{**_pool(), "autoscalingSpec": {"minReplicaCount": "2", "maxReplicaCount": "2"}}]},
            "max_replica_count",
        ),
        (
            {
                "resourcePools": [
                    {
                        **_pool(),
                        "replicaCount": "5",
                        "autoscalingSpec": {"minReplicaCount": "1", "maxReplicaCount": "3"},
                    }
                ]
            },
            "between",
        ),
        ({"resourcePools": [{**_pool(), "id": "a"}, {**_pool(), "id": "a"}]}, "unique"),
    ],
)
def test_invalid_resources_are_invalid_argument_with_a_field(http: Any, body: dict[str, Any], message: str) -> None:
    answer = http.post(f"{RESOURCES}?persistentResourceId=bad", json=body)
    assert answer.status_code == 400
    error = answer.json["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert message in error["message"]
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert http.get(f"{RESOURCES}/bad").status_code == 404, "a refused request leaves no trace"


@pytest.mark.parametrize("resource_id", ["", "Upper", "9starts-with-digit", "ends-", "a" * 64, "under_score"])
def test_resource_ids_follow_the_documented_pattern(http: Any, resource_id: str) -> None:
    answer = http.post(f"{RESOURCES}?persistentResourceId={resource_id}", json={"resourcePools": [_pool()]})
    assert answer.status_code == 400
    assert "persistent_resource_id" in answer.json["error"]["message"]


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b"\xff\xfe", b"[" * 50000, b'{"resourcePools": [' + b"{}," * 10 + b"{}]}", b"null"],
)
def test_malformed_bodies_are_bad_requests_never_errors(http: Any, raw: bytes) -> None:
    answer = http.post(f"{RESOURCES}?persistentResourceId=x", data=raw, content_type="application/json")
    assert answer.status_code == 400
    assert set(answer.json["error"]) >= {"code", "message", "status"}


def test_unknown_query_parameters_are_refused(http: Any) -> None:
    answer = http.get(f"{RESOURCES}?colour=red")
    assert answer.status_code == 400
    assert "Cannot bind query parameter" in answer.json["error"]["message"]


def test_unknown_paths_and_methods_answer_a_status(http: Any) -> None:
    assert http.get("/v2/whatever").json["error"]["status"] == "NOT_FOUND"
    assert http.put(f"{RESOURCES}/x").json["error"]["code"] == 405


def test_a3_ultra_defaults_and_generated_pool_ids(http: Any) -> None:
    body = {
        "resourcePools": [{"machineSpec": {"machineType": "a3-ultragpu-8g"}, "replicaCount": "1"}, _pool(), _pool()]
    }
    http.post(f"{RESOURCES}?persistentResourceId=ultra", json=body)
    pools = http.get(f"{RESOURCES}/ultra").json["resourcePools"]
    assert pools[0]["diskSpec"] == {"bootDiskType": "hyperdisk-balanced", "bootDiskSizeGb": 100}
    assert len({pool["id"] for pool in pools}) == 3
