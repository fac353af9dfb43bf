"""Malformed input on every route: never a 5xx, always a ``google.rpc.Status``, and no state change.

Hypothesis drives each route of the table (so a route added later is fuzzed too) with generated
path segments, query strings, headers and bodies: wrong types, unknown and missing fields, huge
and deeply nested bodies, non-UTF-8 bytes, wrong content types, odd ids and names, wrong methods.
A request that is refused must leave the state exactly as it found it (the exported snapshot,
counters and clock included); one that succeeds may change it, as long as it answered no 5xx.
The description at ``/emulator/v1/openapi.json`` is checked against the same table.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PARENT, demo_pool, job_body, new_service
from vertex_emulator.core import operation_calls
from vertex_emulator.errors import Code
from vertex_emulator.http.app import make_app
from vertex_emulator.http.request import MAX_BODY_BYTES, json_name
from vertex_emulator.http.routes import Route
from vertex_emulator.http.urls import ROUTES
from vertex_emulator.service import Service

EXAMPLES = 300
CODE_NAMES = {code.name for code in Code}
_VARIABLE = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _seeded() -> tuple[Service, dict[str, list[str]]]:
    """A small world to aim at: a resource, a running job holding replicas, an ended job, operations."""
    service = new_service(job_duration=None)
    resource = service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    running = service.create_job(PARENT, job_body(), "v1")
    ended = service.create_job(PARENT, job_body(None), "v1")
    service.advance(1)
    service.set_outcome(ended.name, "JOB_STATE_FAILED", None, None, None)
    operation = service.delete_job(ended.name, "v1")
    ids = {
        "resource": [resource.name.rsplit("/", 1)[1]],
        "job": [running.name.rsplit("/", 1)[1], ended.name.rsplit("/", 1)[1]],
        "owner": ["demo", running.name.rsplit("/", 1)[1]],
        "operation": [operation.name.rsplit("/", 1)[1]],
        "project": [PARENT.split("/")[1]],
        "location": [PARENT.split("/")[3]],
    }
    return service, ids


def fingerprint(service: Service) -> str:
    return json.dumps(service.export_state(), sort_keys=True)


odd_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
    st.sampled_from(["", ".", "..", "-", "a" * 300, "0", "-1", "9" * 40, "%zz", "%ff%fe", "a:b", "a/b", " ", "\x00"]),
    st.sampled_from(["(" * 100 + "a=1", "NOT " * 100 + "a=1", 'state="JOB_STATE_RUNNING"', "labels.a:*", "1e400s"]),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=8,
)


def _mutated_template(route: Route) -> st.SearchStrategy[Any]:
    """A plausible body with one part broken: a field of the wrong type, unknown, or missing."""
    base: dict[str, Any] = {
        "CustomJob": job_body(),
        "PersistentResource": {"resourcePools": [demo_pool()]},
    }.get(route.body or "") or CONTROL_BODIES.get(route.summary, {"unknownField": 1})

    def mutate(change: tuple[str, Any, bool]) -> dict[str, Any]:
        key, value, drop = change
        body = json.loads(json.dumps(base))
        target = body
        if "jobSpec" in body and key.startswith("jobSpec."):
            target, key = body["jobSpec"], key.split(".", 1)[1]
        if "workerPoolSpecs" in target and key.startswith("pool."):
            target, key = target["workerPoolSpecs"][0], key.split(".", 1)[1]
        if drop:
            target.pop(key, None)
        else:
            target[key] = value
        return body

    keys = st.sampled_from(
        [
            *base,
            *("at", "after", "error", "duration", "stall", "seconds"),
            *("jobSpec.workerPoolSpecs", "jobSpec.persistentResourceId", "jobSpec.serviceAccount"),
            *("pool.replicaCount", "pool.machineSpec", "pool.diskSpec"),
            *("resourcePools", "unknownField", "displayName", "labels", "name"),
        ]
    )
    return st.tuples(keys, json_values | tricky_values, st.booleans()).map(mutate)


CONTROL_BODIES: dict[str, dict[str, Any]] = {
    "AdvanceClock": {"seconds": 5},
    "SetJobOutcome": {"state": "JOB_STATE_FAILED", "error": {"code": 9, "message": "m"}, "after": "5s"},
    "Reset": {"project": "my-project"},
    "Seed": {"seed": 3},
    "AddFault": {"status": 503, "count": 1, "method": "GetCustomJob", "name": "projects/*"},
}
tricky_values = st.sampled_from(
    [
        *(1e308, "1e400s", 5, "5", "2", 3, -1, "boom", {"code": "x"}, {"code": 3, "message": 5}, {"details": [1]}),
        *([1], 503.0, "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "(" * 100, "NOT " * 100, "nan", 2**64),
    ]
)


def _deep(depth: int, opener: str, closer: str) -> bytes:
    return (opener * depth + closer * depth).encode()


bodies = st.one_of(
    st.just(b""),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"\xff\xfe{",
            b'{"displayName": "\xc3\x28"}',
            b"{",
            b"nul\x00l",
            b"[]",
            b'"text"',
            b"1e999999",
            _deep(50_000, "[", "]"),
            _deep(20_000, '{"a":', "}"),
            b'{"jobSpec": ' + _deep(3_000, '{"workerPoolSpecs": [', "]}") + b"}",
            b'{"displayName": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}',
        ]
    ),
)
content_types = st.sampled_from(
    [None, "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "a/b; x"]
)
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


@st.composite
def requests_(draw: st.DrawFn, ids: dict[str, list[str]]) -> dict[str, Any]:
    route = draw(st.sampled_from(ROUTES))

    def segment(match: re.Match[str]) -> str:
        converter, args, name = match.groups()
        known = [value.strip() for value in args.split(",")] if converter == "any" else ids.get(name, [])
        choice = draw(st.one_of(st.sampled_from(known), odd_text) if known else odd_text)
        return quote(choice, safe="") if draw(st.booleans()) else re.sub(r"[/?#]", "", choice) or "x"

    path = _VARIABLE.sub(segment, route.rule)
    bound = [*route.query, *map(json_name, route.query)]
    query_keys = st.one_of(st.sampled_from(bound), odd_text) if bound else odd_text
    query = draw(st.lists(st.tuples(query_keys, odd_text), max_size=3))
    method = draw(st.sampled_from(route.methods) | st.sampled_from(METHODS))
    body = draw(bodies | _mutated_template(route).map(lambda value: json.dumps(value).encode()))
    headers = {}
    content_type = draw(content_types)
    if content_type:
        headers["Content-Type"] = content_type
    if draw(st.booleans()):
        headers["Authorization"] = draw(st.sampled_from(["Bearer ", "Bearer x", "Basic Zm9v", "Bearer \u00e9"]))
    return {"path": path, "query": query, "method": method, "body": body, "headers": headers}


_IDS = _seeded()[1]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(request=requests_(_IDS))
def test_no_input_gets_a_5xx_and_a_refusal_changes_nothing(request: dict[str, Any], app: Any) -> None:
    assert _check(app, request) < 500


def _check(app: Any, request: dict[str, Any]) -> int:
    """Send one request to a fresh seeded service; return its status once the answer is judged."""
    service, _ = _seeded()
    app.extensions["vertex_emulator"] = service
    app.extensions["vertex_emulator_faults"].clear()
    before = fingerprint(service)
    answer = app.test_client().open(
        request["path"],
        method=request["method"],
        query_string=request.get("query"),
        data=request.get("body", b""),
        headers=request.get("headers", {}),
    )
    assert answer.status_code < 500, (request["method"], request["path"], answer.get_data()[:500])
    if answer.status_code < 400:
        return answer.status_code
    if len(request.get("body", b"")) > MAX_BODY_BYTES:
        assert answer.status_code == 413
    error = json.loads(answer.get_data())["error"]
    assert error["code"] == answer.status_code
    assert error["status"] in CODE_NAMES
    assert isinstance(error["message"], str)
    assert error["message"]
    assert fingerprint(service) == before, (request["method"], request["path"], error)
    return answer.status_code


_OUTCOME = f"/emulator/v1/{PARENT}/customJobs/{_IDS['job'][0]}:setOutcome"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/emulator/v1/clock:advance", {"seconds": 1e308}, 400),
        ("POST", "/emulator/v1/clock:advance", {"duration": "1e400s"}, 400),
        ("POST", _OUTCOME, {"at": 5}, 400),
        ("POST", _OUTCOME, {"state": "JOB_STATE_FAILED", "error": "boom"}, 400),
        ("POST", _OUTCOME, {"state": "JOB_STATE_FAILED", "error": {"code": 3, "message": 5}}, 400),
        ("POST", _OUTCOME, {"state": "JOB_STATE_FAILED", "error": {"details": [{"@type": "nope"}]}}, 400),
        ("POST", "/emulator/v1/faults", {"status": [1]}, 400),
        ("POST", "/emulator/v1/faults", {"status": 503.0}, 400),
        ("GET", f"/v1/{PARENT}/customJobs?filter=" + "(" * 5000, None, 400),
        ("GET", f"/v1/{PARENT}/customJobs?filter=" + "NOT " * 5000 + "a%3D1", None, 400),
        ("POST", f"/v1/{PARENT}/customJobs", job_body(replicas=5), 400),
        ("POST", f"/v1/{PARENT}/customJobs", job_body(replicas=2), 400),
    ],
)
def test_inputs_that_once_broke_the_emulator(app: Any, method: str, path: str, body: Any, status: int) -> None:
    """Found by the fuzz test (5xx, or a refused create that used up an id): each now a clean 400."""
    data = b"" if body is None else json.dumps(body).encode()
    assert _check(app, {"method": method, "path": path, "body": data}) == status


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Any:
    """One app for every case (building one takes longer than a case); each case gets a fresh service.

    ``:wait`` on an operation that never ends returns at once instead of holding the test.
    """
    monkeypatch.setattr(operation_calls, "MAX_WAIT_SECONDS", 0.0)
    return make_app(new_service(job_duration=None))


def test_openapi_describes_every_route_from_the_table() -> None:
    client = make_app(new_service()).test_client()
    document = client.get("/emulator/v1/openapi.json").json
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]
    assert len(operations) == sum(len(route.methods) for route in ROUTES)
    assert len({operation["operationId"] for _, _, operation in operations}) == len(operations)
    jobs = document["paths"]["/{version}/projects/{project}/locations/{location}/customJobs"]
    assert jobs["parameters"][0] == {
        "name": "version",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["v1", "v1beta1"]},
    }
    assert jobs["parameters"][1]["schema"]["pattern"] == "^[^/:]+$"
    create = jobs["post"]
    assert create["x-iam-permission"] == "aiplatform.customJobs.create"
    reference = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert reference == "#/components/schemas/google.cloud.aiplatform.v1.CustomJob"
    schemas = document["components"]["schemas"]
    job_schema = schemas["google.cloud.aiplatform.v1.CustomJob"]
    assert job_schema["additionalProperties"] is False
    assert job_schema["properties"]["state"]["enum"][:2] == ["JOB_STATE_UNSPECIFIED", "JOB_STATE_QUEUED"]
    assert job_schema["properties"]["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    spec = schemas["google.cloud.aiplatform.v1.CustomJobSpec"]
    assert spec["properties"]["workerPoolSpecs"]["type"] == "array"
    pool = schemas["google.cloud.aiplatform.v1.WorkerPoolSpec"]["properties"]
    assert pool["replicaCount"] == {"type": "string", "format": "int64"}
    listing = jobs["get"]
    assert [parameter["name"] for parameter in listing["parameters"]] == [
        "filter",
        "pageSize",
        "page_size",
        "pageToken",
        "page_token",
        "readMask",
        "read_mask",
    ]
    assert listing["tags"] == ["Vertex AI API"]
    assert document["paths"]["/emulator/v1/faults"]["post"]["tags"] == ["Control API"]
    assert document["paths"]["/"]["get"]["tags"] == ["Web page"]
    wait = document["paths"]["/{prefix}/projects/{project}/locations/{location}/operations/{operation}:wait"]
    assert wait["post"]["parameters"] == [
        {"name": "timeout", "in": "query", "required": False, "schema": {"type": "string"}}
    ]
