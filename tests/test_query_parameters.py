"""Query parameters bind by proto field name and by JSON name, as on Google's front end.

The documentation's curl sample creates a persistent resource with ``?persistent_resource_id=ID``;
the REST clients send ``persistentResourceId``. Both spellings of every bound field work on every
method, and any other name is still refused.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from tests.conftest import PARENT, demo_pool, job_body, new_service
from vertex_emulator.http.app import make_app
from vertex_emulator.http.request import json_name
from vertex_emulator.http.routes import Surface
from vertex_emulator.http.urls import ROUTES
from vertex_emulator.server import ThreadedServer

RESOURCES = f"/v1/{PARENT}/persistentResources"
JOBS = f"/v1/{PARENT}/customJobs"
RESOURCE = {"resourcePools": [demo_pool(replicaCount="4")]}


@pytest.fixture
def client() -> Any:
    return make_app(new_service(job_duration=None)).test_client()


NOT_BOUND = {"ListModels": {"order_by"}, "ListModelVersions": {"filter", "order_by"}}
"""Query fields the real API binds and the emulator does not implement yet: refused as unknown."""


def _request_message(summary: str) -> Any:
    """The request message of a route's RPC: ``ListCustomJobs`` -> ``ListCustomJobsRequest``."""
    name = f"{summary}Request"
    return getattr(aiplatform_v1, name, None) or getattr(operations_pb2, name)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.surface is Surface.API], ids=lambda r: r.endpoint)
def test_each_route_binds_exactly_the_query_fields_of_its_request_message(route: Any) -> None:
    """Fields that are neither the path's name/parent nor the body are query parameters (google.api.http)."""
    message = _request_message(route.summary)
    descriptor = getattr(message, "DESCRIPTOR", None) or message.pb().DESCRIPTOR
    expected = {
        field.name
        for field in descriptor.fields
        if field.name not in ("name", "parent") and not (field.message_type and field.message_type.name == route.body)
    }
    assert set(route.query) == expected - NOT_BOUND.get(route.summary, set())


def test_the_documented_curl_sample_creates_with_the_proto_field_name() -> None:
    with ThreadedServer(new_service()) as server:
        answer = subprocess.run(
            [
                "curl",
                "-sS",
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json; charset=utf-8",
                "-d",
                json.dumps(RESOURCE),
                f"{server.url}{RESOURCES}?persistent_resource_id=curl-pr",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        operation = json.loads(answer.stdout)
        assert operation["metadata"]["@type"].endswith("CreatePersistentResourceOperationMetadata")
        assert server.service.get_resource(f"{PARENT}/persistentResources/curl-pr").name.endswith("/curl-pr")


@pytest.mark.parametrize("spelling", ["persistent_resource_id", "persistentResourceId"])
def test_create_takes_the_id_in_either_spelling(client: Any, spelling: str) -> None:
    assert client.post(f"{RESOURCES}?{spelling}=demo", json=RESOURCE).status_code == 200
    assert client.get(f"{RESOURCES}/demo").json["name"] == f"{PARENT}/persistentResources/demo"


@pytest.mark.parametrize(("size", "token"), [("page_size", "page_token"), ("pageSize", "pageToken")])
def test_paging_in_either_spelling_on_every_list(client: Any, size: str, token: str) -> None:
    for name in ("demo", "r1", "r2"):
        assert client.post(f"{RESOURCES}?persistentResourceId={name}", json=RESOURCE).status_code == 200
    for path, key in [(RESOURCES, "persistentResources"), (f"/v1/{PARENT}/operations", "operations")]:
        first = client.get(f"{path}?{size}=2").json
        assert len(first[key]) == 2
        rest = client.get(f"{path}?{size}=2&{token}={first['nextPageToken']}").json
        assert len(rest[key]) == 1
    for _ in range(3):
        assert client.post(JOBS, json=job_body()).status_code == 200
    first = client.get(f"{JOBS}?{size}=2").json
    assert len(first["customJobs"]) == 2
    assert len(client.get(f"{JOBS}?{size}=2&{token}={first['nextPageToken']}").json["customJobs"]) == 1


@pytest.mark.parametrize("spelling", ["read_mask", "readMask"])
def test_read_mask_and_filter_in_either_spelling(client: Any, spelling: str) -> None:
    client.post(f"{RESOURCES}?persistent_resource_id=demo", json=RESOURCE)
    client.post(JOBS, json=job_body())
    listed = client.get(f"{JOBS}?filter=state%3DJOB_STATE_RUNNING&{spelling}=display_name").json
    assert listed == {"customJobs": [{"displayName": "train"}]}


@pytest.mark.parametrize("spelling", ["update_mask", "updateMask"])
def test_update_mask_in_either_spelling(client: Any, spelling: str) -> None:
    client.post(f"{RESOURCES}?persistent_resource_id=demo", json=RESOURCE)
    body = {"resourcePools": [{"id": "k80-pool", "replicaCount": "3"}]}
    answer = client.patch(f"{RESOURCES}/demo?{spelling}=resource_pools.replica_count", json=body)
    assert answer.status_code == 200, answer.json
    assert client.get(f"{RESOURCES}/demo").json["resourcePools"][0]["replicaCount"] == "3"


@pytest.mark.parametrize(
    "query",
    ["persistentresourceid=demo", "persistent-resource-id=demo", "PersistentResourceId=demo", "page_sizes=2"],
)
def test_other_names_are_still_refused(client: Any, query: str) -> None:
    answer = client.post(f"{RESOURCES}?{query}", json=RESOURCE)
    assert answer.status_code == 400
    name = query.split("=", 1)[0]
    assert f'Unknown name "{name}": Cannot bind query parameter' in answer.json["error"]["message"]


def test_json_names_follow_protobuf() -> None:
    assert [json_name(name) for name in ("page_size", "return_partial_success", "filter", "pageSize")] == [
        "pageSize",
        "returnPartialSuccess",
        "filter",
        "pageSize",
    ]
