"""The web page's files and the read-only overview it reads (the browser itself: test_ui_browser.py)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

from tests.browser import CPU, CPU_DISK, K80, PARENT, demo_resource, job, worker_pool
from tests.conftest import new_service
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service


def _client(service: Service) -> Any:
    return make_app(service).test_client()


def _pools(client: Any) -> dict[str, dict[str, Any]]:
    body = client.get("/emulator/v1/overview").get_json()
    return {
        pool["id"]: pool
        for scope in body["scopes"]
        for resource in scope["persistentResources"]
        for pool in resource["pools"]
    }


def _seed_two_pools(service: Service) -> None:
    service.seed_resource(PARENT, "demo", demo_resource("demo"))


def _names(refs: list[dict[str, Any]]) -> list[str]:
    return [ref["displayName"] for ref in refs]


def test_overview_shows_who_holds_each_pool_and_who_waits_in_order() -> None:
    service = new_service(admission="queue", job_duration=None)
    _seed_two_pools(service)
    for name, pool, replicas in [
        ("first", K80, 2),
        ("cpu-a", CPU, 3),
        ("second", K80, 1),
        ("cpu-b", CPU, 2),
        ("third", K80, 2),
    ]:
        disk = CPU_DISK if pool is CPU else None
        service.create_job(PARENT, job(name, "demo", worker_pool(pool, replicas, disk)), "v1")
    client = _client(service)

    pools = _pools(client)
    k80, cpu = pools["k80-pool"], pools["cpu-pool"]
    assert (k80["machineType"], k80["acceleratorType"], k80["acceleratorCount"]) == (
        "n1-standard-4",
        "NVIDIA_TESLA_K80",
        1,
    )
    assert (k80["bootDiskType"], k80["bootDiskSizeGb"], k80["autoscaling"]) == ("pd-ssd", 100, None)
    assert (k80["usedReplicas"], k80["provisionedReplicas"], k80["maxReplicas"]) == (2, 2, 2)
    assert [(ref["displayName"], ref["replicas"]) for ref in k80["holders"]] == [("first", 2)]
    assert [(ref["displayName"], ref["replicas"], ref["position"]) for ref in k80["queued"]] == [
        ("second", 1, 1),
        ("third", 2, 2),
    ]
    assert cpu["autoscaling"] == {"minReplicaCount": 1, "maxReplicaCount": 4}
    assert (cpu["bootDiskType"], cpu["bootDiskSizeGb"]) == ("pd-standard", 200)
    assert (cpu["usedReplicas"], cpu["provisionedReplicas"], cpu["maxReplicas"]) == (3, 3, 4)
    assert _names(cpu["queued"]) == ["cpu-b"]

    service.cancel_job(k80["holders"][0]["name"])
    service.advance(1)
    k80 = _pools(client)["k80-pool"]
    assert _names(k80["holders"]) == ["second"]
    assert _names(k80["queued"]) == ["third"]
    assert k80["queued"][0]["position"] == 1


def test_overview_counts_jobs_lists_operations_in_flight_and_skips_empty_scopes() -> None:
    service = new_service(admission="queue", provision_delay=30.0, job_duration=None)
    _seed_two_pools(service)
    service.create_job(PARENT, job("a", "demo", worker_pool(K80, 1)), "v1")
    failed = service.create_job(PARENT, job("b", "demo", worker_pool(K80, 1)), "v1")
    service.set_outcome(failed.name, "JOB_STATE_FAILED", None, None, None)
    service.create_resource(PARENT, "later", {"resourcePools": [{"machineSpec": CPU, "replicaCount": "1"}]}, "v1")
    service.list_jobs("projects/nobody/locations/nowhere", None, None, None)
    client = _client(service)

    body = client.get("/emulator/v1/overview").get_json()
    assert body["clock"] == client.get("/emulator/v1/clock").get_json()
    assert body["admission"] == "queue"
    assert [scope["parent"] for scope in body["scopes"]] == [PARENT]
    scope = body["scopes"][0]
    assert scope["jobCounts"] == {"JOB_STATE_FAILED": 1, "JOB_STATE_RUNNING": 1}
    assert [(r["id"], r["state"]) for r in scope["persistentResources"]] == [
        ("demo", "RUNNING"),
        ("later", "PROVISIONING"),
    ]
    [operation] = scope["operationsInFlight"]
    assert operation["kind"] == "CreatePersistentResource"
    assert operation["target"] == f"{PARENT}/persistentResources/later"

    service.advance(30)
    scope = client.get("/emulator/v1/overview").get_json()["scopes"][0]
    assert scope["operationsInFlight"] == []
    assert scope["persistentResources"][1]["state"] == "RUNNING"


@pytest.mark.parametrize("path", ["/", "/emulator/ui/", "/emulator/ui"])
def test_the_page_is_served_with_its_assets_from_this_origin_only(path: str) -> None:
    client = _client(new_service())
    page = client.get(path)
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert sorted(assets) == ["/emulator/ui/app.css", "/emulator/ui/app.js"]
    for asset, kind in [("/emulator/ui/app.css", "text/css"), ("/emulator/ui/app.js", "text/javascript")]:
        answer = client.get(asset)
        assert answer.status_code == 200
        assert answer.content_type.startswith(kind)


def test_no_shipped_file_loads_anything_from_elsewhere() -> None:
    folder = resources.files("vertex_emulator").joinpath("ui")
    shipped = {item.name: item.read_text(encoding="utf-8") for item in folder.iterdir()}
    assert set(shipped) == {"index.html", "app.css", "app.js"}
    for name, text in shipped.items():
        assert not re.search(r"https?://|//[a-z]|@import", text, re.IGNORECASE), name


@pytest.mark.parametrize("asset", ["missing.js", "..%2Fservice.py", "index", "app.js.map"])
def test_only_shipped_files_are_served(asset: str) -> None:
    answer = _client(new_service()).get(f"/emulator/ui/{asset}")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["status"] == "NOT_FOUND"


def test_a_distributed_job_holds_and_waits_on_each_of_its_pools() -> None:
    service = new_service(admission="queue", job_duration=None)
    service.seed_resource(PARENT, "demo", demo_resource("demo"))
    service.create_job(PARENT, job("cpu-hog", "demo", worker_pool(CPU, 4, CPU_DISK)), "v1")
    service.create_job(
        PARENT, job("chief-and-workers", "demo", worker_pool(K80, 1), worker_pool(CPU, 2, CPU_DISK)), "v1"
    )
    pools = _pools(_client(service))
    assert _names(pools["k80-pool"]["holders"]) == []
    assert [(ref["displayName"], ref["replicas"]) for ref in pools["k80-pool"]["queued"]] == [("chief-and-workers", 1)]
    assert [(ref["displayName"], ref["replicas"]) for ref in pools["cpu-pool"]["queued"]] == [("chief-and-workers", 2)]

    service.cancel_job(pools["cpu-pool"]["holders"][0]["name"])
    service.advance(1)
    pools = _pools(_client(service))
    assert [(ref["displayName"], ref["replicas"]) for ref in pools["k80-pool"]["holders"]] == [("chief-and-workers", 1)]
    assert [(ref["displayName"], ref["replicas"]) for ref in pools["cpu-pool"]["holders"]] == [("chief-and-workers", 2)]
    assert pools["k80-pool"]["queued"] == pools["cpu-pool"]["queued"] == []


def test_the_api_description_says_the_page_is_html() -> None:
    from vertex_emulator.http.app import make_app

    paths = make_app().test_client().get("/emulator/v1/openapi.json").json["paths"]
    assert set(paths["/"]["get"]["responses"]["200"]["content"]) == {"text/html"}
    assert set(paths["/emulator/ui/{asset}"]["get"]["responses"]["200"]["content"]) == {"text/*"}
