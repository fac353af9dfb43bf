"""Injected faults: the next N matching calls answer 429/500/503 or stall, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions, retry

from tests.conftest import PARENT, Target, demo_pool, job_body, new_service
from vertex_emulator.http import faults
from vertex_emulator.http.app import make_app
from vertex_emulator.server import ThreadedServer

JOBS = f"/v1/{PARENT}/customJobs"


@pytest.fixture
def app() -> Any:
    service = new_service(job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    return make_app(service)


@pytest.fixture
def stalls(app: Any) -> list[float]:
    """Stalls are recorded instead of slept, so no test waits on the wall clock."""
    recorded: list[float] = []
    app.extensions["vertex_emulator_faults"].sleep = recorded.append
    return recorded


def test_the_next_n_matching_calls_fail_then_calls_succeed(app: Any) -> None:
    client = app.test_client()
    added = client.post("/emulator/v1/faults", json={"status": 503, "method": "CreateCustomJob", "count": 2})
    assert added.status_code == 200
    assert added.json == {"id": "fault-1", "count": 2, "status": 503, "method": "CreateCustomJob"}
    assert client.get(JOBS).status_code == 200
    for _ in range(2):
        answer = client.post(JOBS, json=job_body())
        assert answer.status_code == 503
        assert answer.json["error"]["status"] == "UNAVAILABLE"
        assert answer.json["error"]["code"] == 503
    assert client.get(JOBS).json == {"customJobs": []}
    assert client.post(JOBS, json=job_body()).status_code == 200
    assert client.get("/emulator/v1/faults").json == {"faults": []}


@pytest.mark.parametrize(("status", "name"), [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_each_status_is_a_well_formed_status(app: Any, status: int, name: str) -> None:
    client = app.test_client()
    client.post("/emulator/v1/faults", json={"status": status})
    answer = client.get(f"/v1/{PARENT}/persistentResources/demo")
    assert answer.status_code == status
    error = answer.json["error"]
    assert (error["code"], error["status"]) == (status, name)
    assert "fault injected by the emulator: fault-1" in error["message"]


def test_faults_match_by_resource_name_glob(app: Any) -> None:
    client = app.test_client()
    client.post("/emulator/v1/faults", json={"status": 500, "name": "projects/*/persistentResources/other*"})
    client.post("/emulator/v1/faults", json={"status": 429, "name": f"{PARENT}/persistentResources/demo"})
    assert client.get(f"/v1/{PARENT}/customJobs").status_code == 200
    assert client.get(f"/v1/{PARENT}/persistentResources/demo").status_code == 429
    assert client.get(f"/v1/{PARENT}/persistentResources/demo").status_code == 200
    assert [fault["id"] for fault in client.get("/emulator/v1/faults").json["faults"]] == ["fault-1"]
    assert client.get(f"/v1/{PARENT}/persistentResources/other-1").status_code == 500


def test_the_header_faults_one_request_and_stalls_are_bounded(app: Any, stalls: list[float]) -> None:
    client = app.test_client()
    assert client.get(JOBS, headers={faults.HEADER: "429"}).status_code == 429
    assert client.get(JOBS, headers={faults.HEADER: "stall=1.5s"}).status_code == 200
    assert client.get(JOBS, headers={faults.HEADER: "stall=2s, 503"}).status_code == 503
    assert stalls == [1.5, 2.0]
    assert client.get(JOBS).status_code == 200
    for bad in ("418", "stall=1h", "boom", "stall=soon"):
        answer = client.get(JOBS, headers={faults.HEADER: bad})
        assert answer.status_code == 400, bad
        assert answer.json["error"]["status"] == "INVALID_ARGUMENT"


def test_a_registered_stall_then_error(app: Any, stalls: list[float]) -> None:
    client = app.test_client()
    client.post("/emulator/v1/faults", json={"stall": "3s", "status": 503, "method": "GetCustomJob"})
    assert client.get(f"{JOBS}/1").status_code == 503
    assert stalls == [3.0]


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"status": 404},
        {"status": True},
        {"status": 503, "count": 0},
        {"status": 503, "count": "2"},
        {"stall": "31s"},
        {"stall": -1},
        {"status": 503, "method": ""},
        {"status": 503, "color": "red"},
    ],
)
def test_bad_faults_are_refused(app: Any, spec: dict[str, Any]) -> None:
    client = app.test_client()
    answer = client.post("/emulator/v1/faults", json=spec)
    assert answer.status_code == 400
    assert answer.json["error"]["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert client.get("/emulator/v1/faults").json == {"faults": []}


def test_clear_and_reset_remove_faults_and_the_control_api_never_faults(app: Any) -> None:
    client = app.test_client()
    client.post("/emulator/v1/faults", json={"status": 503, "count": 5})
    assert client.get("/emulator/v1/health").status_code == 200
    assert client.delete("/emulator/v1/faults").status_code == 200
    assert client.get(JOBS).status_code == 200
    client.post("/emulator/v1/faults", json={"status": 503, "count": 5})
    assert client.post("/emulator/v1/reset", json={}).status_code == 200
    assert client.get(JOBS).status_code == 200


def test_the_web_page_never_faults_nor_uses_a_fault_up(app: Any) -> None:
    """Bug: a registered fault answered the page's ``app.js`` with 503 and was used up by it."""
    client = app.test_client()
    client.post("/emulator/v1/faults", json={"status": 503})
    for path in ("/", "/emulator/ui/", "/emulator/ui/app.js"):
        assert client.get(path).status_code == 200, path
        assert client.get(path, headers={faults.HEADER: "503"}).status_code == 200, path
    assert client.get("/emulator/v1/faults").json["faults"][0]["count"] == 1
    assert client.get(JOBS).status_code == 503
    assert client.get(JOBS).status_code == 200


def test_emulators_keep_their_faults_apart(app: Any) -> None:
    app.test_client().post("/emulator/v1/faults", json={"status": 503})
    other = make_app(new_service()).test_client()
    assert other.get(JOBS).status_code == 200


def test_user_retry_logic_meets_injected_faults_through_the_gapic_client(app: Any) -> None:
    """What the feature is for: a client-side retry rides over transient 503s and 429s."""
    service = app.extensions["vertex_emulator"]
    registry: faults.Faults = app.extensions["vertex_emulator_faults"]
    with ThreadedServer(service, app=app) as server:
        registry.add({"status": 503, "method": "ListPersistentResources", "count": 2})
        registry.add({"status": 429, "method": "ListPersistentResources"})
        client = Target(service, server.url).resources()
        with pytest.raises(exceptions.ServiceUnavailable):
            list(client.list_persistent_resources(parent=PARENT))
        patient = retry.Retry(
            predicate=retry.if_exception_type(exceptions.ServiceUnavailable, exceptions.TooManyRequests),
            initial=0.001,
            maximum=0.001,
            timeout=30,
        )
        listed = list(client.list_persistent_resources(parent=PARENT, retry=patient))
        assert [resource.name for resource in listed] == [f"{PARENT}/persistentResources/demo"]
        assert registry.render() == []
