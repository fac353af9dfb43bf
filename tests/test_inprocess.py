"""The in-process path: what a fresh mock costs (counted, not timed) and how a call reaches the app.

``mock_vertex`` runs in every test of its users' suites, so building one must not compile the URL
rules again (werkzeug generates code for each), and its transport, ``HTTPAdapter.send`` calling
the WSGI app, must hand the app what a server would: the percent-decoded path, the query, the
body however ``requests`` holds it, and answer what an adapter answers, retries included.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from werkzeug.routing import Rule, matcher

from tests.conftest import PARENT
from vertex_emulator.client.inprocess import RefusedHost, mock_vertex
from vertex_emulator.http.app import make_app, routing

HOST = "https://us-central1-aiplatform.googleapis.com"
JOB = {
    "displayName": "in-process",
    "jobSpec": {
        "workerPoolSpecs": [
            {"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1", "containerSpec": {"imageUri": "i"}}
        ]
    },
}


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL rule compiled from now on."""
    seen: list[str] = []
    real = Rule.compile

    def counting(rule: Rule) -> None:
        seen.append(rule.rule)
        real(rule)

    monkeypatch.setattr(Rule, "compile", counting)
    return seen


def test_a_fresh_mock_compiles_no_url_rule(compiled: list[str]) -> None:
    routing()  # the process's one compilation, if nothing here made it yet
    compiled.clear()
    for _ in range(3):
        with mock_vertex():
            pass
        make_app()
    assert compiled == []


def test_every_app_shares_the_one_url_map_and_keeps_its_own_state() -> None:
    first, second = make_app(), make_app()
    assert first.url_map is second.url_map is routing().url_map
    assert first.extensions["vertex_emulator"] is not second.extensions["vertex_emulator"]
    assert first.extensions["vertex_emulator_faults"] is not second.extensions["vertex_emulator_faults"]


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


def test_a_call_reaches_the_app_as_a_server_would_hand_it(session: requests.Session) -> None:
    with mock_vertex() as service:
        created = session.post(f"{HOST}/v1/{PARENT}/customJobs", json=JOB).json()
        job_id = created["name"].rsplit("/", 1)[1]
        encoded = session.get(f"{HOST}/v1/{PARENT.replace('/', '%2F', 1)}/customJobs/{job_id}")
        assert encoded.json()["name"] == created["name"]
        listed = session.get(f"{HOST}/v1/{PARENT}/customJobs", params={"pageSize": 1})
        assert [job["name"] for job in listed.json()["customJobs"]] == [created["name"]]
        refused_query = session.get(f"{HOST}/v1/{PARENT}/customJobs", params={"nope": 1})
        assert refused_query.status_code == 400 and "nope" in refused_query.json()["error"]["message"]
        streamed = session.post(f"{HOST}/v1/{PARENT}/customJobs", data=iter([json.dumps(JOB).encode()]))
        assert streamed.status_code == 200, streamed.text
        from_file = session.post(f"{HOST}/v1/{PARENT}/customJobs", data=io.BytesIO(json.dumps(JOB).encode()))
        assert from_file.status_code == 200, from_file.text
        assert len(service.list_jobs(PARENT, None, None, None)[0]) == 3
        assert encoded.headers["Content-Type"] == "application/json"
        assert encoded.request.url.endswith(job_id) and encoded.url == encoded.request.url
        assert b"".join(encoded.iter_content(7)) == encoded.content


def test_adapter_retries_are_honoured(session: requests.Session) -> None:
    """A session retrying 503s at its adapter meets an injected fault, then the emulator, as urllib3 would."""
    session.mount("https://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[503], allowed_methods=None)))
    mock = mock_vertex()
    with mock as service:
        fault = {"status": 503, "method": "CreateCustomJob", "count": 1}
        assert session.post(f"{HOST}/emulator/v1/faults", json=fault).status_code == 200
        assert session.post(f"{HOST}/v1/{PARENT}/customJobs", json=JOB).status_code == 200
        assert len(service.list_jobs(PARENT, None, None, None)[0]) == 1
        with pytest.raises(requests.exceptions.RetryError):
            session.post(f"{HOST}/v1/{PARENT}/customJobs", json=JOB, headers={"X-Vertex-Emulator-Fault": "503"})
        assert len(mock.calls) == 3


def test_other_hosts_are_refused_and_recorded(session: requests.Session) -> None:
    mock = mock_vertex()
    with mock:
        with pytest.raises(RefusedHost, match=r"example\.com"):
            session.get("https://example.com/")
        session.get(f"{HOST}/v1/{PARENT}/customJobs")
        assert [call.url for call in mock.calls] == ["https://example.com/", f"{HOST}/v1/{PARENT}/customJobs"]
    assert requests.adapters.HTTPAdapter.send is _REAL_SEND


_REAL_SEND = HTTPAdapter.send


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/projects/p/locations/l/customJobs/7"),
        ("POST", "/v1/projects/p/locations/l/customJobs"),
        ("POST", "/v1beta1/projects/p/locations/l/persistentResources/r:reboot"),
        ("POST", "/v1/projects/p/locations/l/hyperparameterTuningJobs/7:cancel"),
    ],
)
def test_a_url_is_matched_a_segment_at_a_time(monkeypatch: pytest.MonkeyPatch, method: str, path: str) -> None:
    """At most one pattern tried per segment, not one per rule: werkzeug matches the rest of the
    path as one regex per rule, rule after rule, once a converter may span segments (``IdConverter``)."""
    tried: list[str] = []

    class CountingRe:
        def __getattr__(self, name: str) -> object:
            return getattr(re, name)

        def compile(self, pattern: str) -> re.Pattern[str]:
            tried.append(pattern)
            return re.compile(pattern)

    monkeypatch.setattr(matcher, "re", CountingRe())
    routing().url_map.bind("localhost").match(path, method)
    assert 0 < len(tried) < path.count("/"), tried


def test_url_builders_compiled_on_first_use_build_as_werkzeug_does() -> None:
    """The rules defer their builders (``MatchingRule``); building a URL still works, unknown values as a query."""
    adapter = routing().url_map.bind("localhost")
    get_job = next(endpoint for endpoint in routing().routes if endpoint.startswith("GetCustomJob:"))
    values = {"version": "v1", "project": "p", "location": "l", "job": "7"}
    assert adapter.build(get_job, values) == "/v1/projects/p/locations/l/customJobs/7"
    assert adapter.build(get_job, {**values, "view": "full"}) == "/v1/projects/p/locations/l/customJobs/7?view=full"
