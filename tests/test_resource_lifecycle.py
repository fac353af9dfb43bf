"""A persistent resource's states on the clock, and the transitions each state refuses."""

from __future__ import annotations

from typing import Any

from tests.conftest import PARENT, new_service
from vertex_emulator.http.app import make_app

RESOURCES = f"/v1/{PARENT}/persistentResources"
AUTOSCALED = {
    "resourcePools": [
        {
            "id": "auto",
            "machineSpec": {"machineType": "n1-standard-4"},
            "replicaCount": "3",
            "autoscalingSpec": {"minReplicaCount": "1", "maxReplicaCount": "5"},
        }
    ]
}


def _setup() -> tuple[Any, Any]:
    service = new_service(provision_delay=5, reboot_delay=7, update_delay=3, delete_delay=2)
    http = make_app(service).test_client()
    assert http.post(f"{RESOURCES}?persistentResourceId=pr", json=AUTOSCALED).status_code == 200
    return service, http


def _state(http: Any) -> str:
    return http.get(f"{RESOURCES}/pr").json["state"]


def test_provisioning_then_running_with_start_time() -> None:
    service, http = _setup()
    assert _state(http) == "PROVISIONING"
    assert "startTime" not in http.get(f"{RESOURCES}/pr").json
    assert http.delete(f"{RESOURCES}/pr").json["error"]["status"] == "FAILED_PRECONDITION"
    assert http.post(f"{RESOURCES}/pr:reboot", json={}).json["error"]["status"] == "FAILED_PRECONDITION"
    service.advance(5)
    resource = http.get(f"{RESOURCES}/pr").json
    assert resource["state"] == "RUNNING"
    assert resource["startTime"] == "2026-01-01T00:00:05Z"


def test_reboot_brings_autoscaled_pools_back_to_their_minimum() -> None:
    service, http = _setup()
    service.advance(5)
    assert http.get(f"{RESOURCES}/pr").json["resourcePools"][0]["replicaCount"] == "3"
    http.post(f"{RESOURCES}/pr:reboot", json={})
    assert _state(http) == "REBOOTING"
    assert http.delete(f"{RESOURCES}/pr").status_code == 400, "no delete while rebooting"
    assert http.post(f"{RESOURCES}/pr:reboot", json={}).status_code == 400
    service.advance(7)
    resource = http.get(f"{RESOURCES}/pr").json
    assert resource["state"] == "RUNNING"
    assert resource["startTime"] == "2026-01-01T00:00:05Z", "startTime is the first time it ran"
    assert resource["resourcePools"][0]["replicaCount"] == "1"


def test_update_then_delete() -> None:
    service, http = _setup()
    service.advance(5)
    body = {"resourcePools": [{"id": "auto", "replicaCount": "5"}]}
    assert http.patch(f"{RESOURCES}/pr?updateMask=resourcePools.replicaCount", json=body).status_code == 200
    assert _state(http) == "UPDATING"
    assert http.patch(f"{RESOURCES}/pr?updateMask=resourcePools.replicaCount", json=body).status_code == 400
    service.advance(3)
    assert _state(http) == "RUNNING"
    assert (
        http.patch(
            f"{RESOURCES}/pr?updateMask=resourcePools.replicaCount", json={"resourcePools": [{"replicaCount": "6"}]}
        ).status_code
        == 400
    )
    operation = http.delete(f"{RESOURCES}/pr").json
    assert operation["metadata"]["@type"].endswith("v1.DeleteOperationMetadata")
    assert _state(http) == "STOPPING"
    service.advance(2)
    assert http.get(f"{RESOURCES}/pr").status_code == 404
    done = http.get(f"/ui/{operation['name']}").json
    assert done["response"] == {"@type": "type.googleapis.com/google.protobuf.Empty"}


def test_clock_reads_and_moves_only_when_told() -> None:
    _, http = _setup()
    assert http.get("/emulator/v1/clock").json == {"now": "2026-01-01T00:00:00Z", "manual": True}
    assert http.post("/emulator/v1/clock:advance", json={"duration": "90s"}).json["now"] == "2026-01-01T00:01:30Z"
    assert http.post("/emulator/v1/clock:advance", json={"seconds": -1}).status_code == 400


def test_an_interrupted_operation_reports_its_error_as_progress() -> None:
    service, http = _setup()
    service.advance(5)
    body = {"resourcePools": [{"id": "auto", "replicaCount": "4"}]}
    update = http.patch(f"{RESOURCES}/pr?updateMask=resourcePools.replicaCount", json=body).json
    http.delete(f"{RESOURCES}/pr")
    ended = http.get(f"/ui/{update['name']}").json
    assert ended["error"]["code"] == 1
    assert ended["metadata"]["progressMessage"] == ended["error"]["message"]
