"""The control API's state, reset and seed: export then import answers the same; reset empties; seeds repeat."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tests.conftest import PARENT, demo_pool, job_body
from tests.serving import ROOT
from vertex_emulator.clock import ManualClock
from vertex_emulator.http.app import make_app
from vertex_emulator.http.urls import ROUTES
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

OTHER = "projects/other-project/locations/europe-west4"
BUSY = {"admission": "queue", "provision_delay": 5, "job_queued_delay": 1, "job_pending_delay": 1, "job_duration": 30}


def _service(seed: int = 7, start: float = ManualClock.DEFAULT_START) -> Service:
    return Service(clock=ManualClock(start), settings=Settings(**BUSY), seed=seed)


class Client:
    """The emulator's HTTP surface through Flask's test client; every answer must be 200 unless said."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.http = make_app(service).test_client()

    def __call__(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = self.http.open(path, method=method, json=body)
        assert answer.status_code == status, answer.get_data(as_text=True)
        return answer.get_json()

    def answers(self) -> dict[str, Any]:
        """Everything a client can read: lists page by page (tokens included), each object, and the
        overview (holders and queues of every pool, in order)."""
        seen: dict[str, Any] = {
            "clock": self("GET", "/emulator/v1/clock"),
            "overview": self("GET", "/emulator/v1/overview"),
        }
        for parent in (PARENT, OTHER):
            for collection in ("persistentResources", "customJobs", "operations"):
                token, page = "", 0
                while True:
                    listed = self("GET", f"/v1/{parent}/{collection}?pageSize=2&pageToken={token}")
                    seen[f"{parent}/{collection}#{page}"] = listed
                    for item in listed.get(collection, []):
                        seen[item["name"]] = self("GET", f"/v1/{item['name']}")
                    token, page = listed.get("nextPageToken", ""), page + 1
                    if not token:
                        break
        return seen


def _busy(client: Client) -> None:
    """Two projects in the middle of work: provisioning, running, queued, cancelled and deleted things."""
    for parent in (PARENT, OTHER):
        client("POST", f"/v1/{parent}/persistentResources?persistentResourceId=demo", {"resourcePools": [demo_pool()]})
    client("POST", "/emulator/v1/clock:advance", {"seconds": 5})
    client("POST", f"/v1/{PARENT}/persistentResources?persistentResourceId=late", {"resourcePools": [demo_pool()]})
    jobs = [client("POST", f"/v1/{PARENT}/customJobs", job_body(replicas=1))["name"] for _ in range(4)]
    client("POST", f"/v1/{OTHER}/customJobs", job_body(replicas=2))
    client("POST", f"/v1/{PARENT}/customJobs", job_body(None))
    client("POST", "/emulator/v1/clock:advance", {"seconds": 3})
    client("POST", f"/v1/{jobs[3]}:cancel", {})
    client("POST", f"/emulator/v1/{jobs[1]}:setOutcome", {"state": "JOB_STATE_FAILED", "after": "4s"})
    client("POST", "/emulator/v1/clock:advance", {"seconds": 2})
    client("DELETE", f"/v1/{jobs[3]}")


def test_export_then_import_gives_identical_answers_now_and_later() -> None:
    source = Client(_service())
    _busy(source)
    exported = source("GET", "/emulator/v1/state")
    target = Client(_service(seed=99, start=ManualClock.DEFAULT_START + 10**6))
    counts = target("PUT", "/emulator/v1/state", exported)
    assert counts == {key: len(value) for key, value in exported.items() if isinstance(value, list)}
    assert target.answers() == source.answers()
    assert target("GET", "/emulator/v1/state") == exported

    for client in (source, target):
        client("POST", "/emulator/v1/clock:advance", {"seconds": 40})
        client("POST", f"/v1/{PARENT}/customJobs", job_body(None))
    assert target.answers() == source.answers()


def test_the_same_from_python() -> None:
    source = Client(_service())
    _busy(source)
    copied = _service(seed=1)
    copied.import_state(source.service.export_state())
    assert Client(copied).answers() == source.answers()


def _spoiled(exported: dict[str, Any], change: Any) -> dict[str, Any]:
    spoiled = copy.deepcopy(exported)
    change(spoiled)
    return spoiled


def _holding(state: dict[str, Any]) -> dict[str, Any]:
    """A job of the snapshot that holds replicas (running on a resource)."""
    return next(job for job in state["customJobs"] if job["resource"] and job["state"] == "JOB_STATE_RUNNING")


SPOILS = [
    ("format", lambda s: s.update(format="something-else"), "format"),
    ("version", lambda s: s.update(version=2), "version"),
    ("unknown", lambda s: s.update(extra=1), "extra"),
    ("type", lambda s: s["customJobs"][0].update(create_time="yesterday"), "customJobs[0].create_time"),
    ("missing", lambda s: s["operations"][0].pop("target"), "operations[0].target"),
    ("name", lambda s: s["customJobs"][0].update(name="jobs/1"), ".name"),
    ("duplicate", lambda s: s["customJobs"].append(s["customJobs"][0]), ".name"),
    ("seq", lambda s: s.update(seq=1), ".seq"),
    ("state", lambda s: s["customJobs"][0].update(state="JOB_STATE_DONE"), ".state"),
    ("resource", lambda s: _holding(s).update(resource=f"{PARENT}/persistentResources/gone"), ".resource"),
    ("placement", lambda s: _holding(s).update(placement=["nowhere"]), ".placement"),
    (
        "capacity",
        lambda s: _holding(s)["spec"]["jobSpec"]["workerPoolSpecs"][0].update(replicaCount="9"),
        "resourcePools.k80-pool",
    ),
    ("derived", lambda s: s["persistentResources"][0].update(holders={}), ".holders"),
]


@pytest.fixture(scope="module")
def exported() -> dict[str, Any]:
    source = Client(_service())
    _busy(source)
    return source("GET", "/emulator/v1/state")


@pytest.fixture(scope="module")
def target() -> Client:
    """One emulator for every refusal: a refused import leaves it as it was, which each test checks."""
    return Client(_service())


@pytest.mark.parametrize(("change", "blame"), [case[1:] for case in SPOILS], ids=[case[0] for case in SPOILS])
def test_a_bad_snapshot_is_refused_whole_naming_the_field(
    exported: dict[str, Any], target: Client, change: Any, blame: str
) -> None:
    before = target("GET", "/emulator/v1/state")
    refused = target("PUT", "/emulator/v1/state", _spoiled(exported, change), status=400)["error"]
    assert refused["status"] == "INVALID_ARGUMENT"
    assert blame in refused["details"][0]["fieldViolations"][0]["field"]
    assert target("GET", "/emulator/v1/state") == before


def test_reset_empties_everything_or_one_project_and_ids_start_over() -> None:
    client = Client(_service())
    first = client("POST", f"/v1/{PARENT}/customJobs", job_body(None))["name"]
    _busy(client)
    client("POST", "/emulator/v1/reset", {"project": "other-project"})
    assert not client("GET", f"/v1/{OTHER}/persistentResources").get("persistentResources")
    assert client("GET", f"/v1/{PARENT}/persistentResources")["persistentResources"]

    client("POST", "/emulator/v1/reset")
    for collection in ("persistentResources", "customJobs", "operations"):
        assert not client("GET", f"/v1/{PARENT}/{collection}").get(collection)
    state = client("GET", "/emulator/v1/state")
    assert (state["persistentResources"], state["customJobs"], state["operations"]) == ([], [], [])
    assert client("POST", f"/v1/{PARENT}/customJobs", job_body(None))["name"] == first


def _ids(client: Client) -> list[str]:
    operation = client(
        "POST", f"/v1/{PARENT}/persistentResources?persistentResourceId=demo", {"resourcePools": [demo_pool()]}
    )
    jobs = [client("POST", f"/v1/{PARENT}/customJobs", job_body(None))["name"] for _ in range(3)]
    return [operation["name"], *jobs]


def test_two_runs_seeded_alike_get_the_same_ids() -> None:
    runs = []
    for initial in (1, 2, 3):
        client = Client(_service(seed=initial))
        assert client("POST", "/emulator/v1/seed", {"seed": 42 if initial < 3 else 43}) == {
            "seed": 42 if initial < 3 else 43
        }
        runs.append(_ids(client))
    assert runs[0] == runs[1]
    assert not set(runs[0][1:]) & set(runs[2][1:])
    assert len(set(runs[0])) == len(runs[0])


def test_reseeding_mid_run_never_gives_an_id_twice() -> None:
    client = Client(_service())
    client("POST", "/emulator/v1/seed", {"seed": 5})
    first = _ids(client)
    client("POST", "/emulator/v1/seed", {"seed": 5})
    jobs = [client("POST", f"/v1/{PARENT}/customJobs", job_body(None))["name"] for _ in range(3)]
    assert not set(jobs) & set(first)
    listed = client("GET", f"/v1/{PARENT}/customJobs")["customJobs"]
    assert len({job["name"] for job in listed}) == len(listed) == 6


def test_seed_and_state_refuse_what_is_not_theirs() -> None:
    client = Client(_service())
    assert client("POST", "/emulator/v1/seed", {"seed": "42"}, status=400)["error"]["status"] == "INVALID_ARGUMENT"
    assert client("PUT", "/emulator/v1/state", [], status=400)["error"]["status"] == "INVALID_ARGUMENT"


def test_the_readme_lists_every_control_route() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Fixtures, persistence and the control API", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(GET|POST|PUT|DELETE) (/emulator/v1/[^`]*)`", section, re.MULTILINE))
    for route in ROUTES:
        if route.rule.startswith("/emulator/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route.rule)
            for method in route.methods:
                assert (method, path) in listed, f"README: add | `{method} {path}` | to the control API table"
