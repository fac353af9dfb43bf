"""Regressions of the state bugs of issue 13 (update pools, reset caches) and the core's extension points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import PARENT, demo_pool, job_body, new_service
from vertex_emulator import names, snapshot
from vertex_emulator.core import hooks, kinds
from vertex_emulator.domain import jobs
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.record import Record
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

MASK = "resource_pools.replica_count"


def _two_pools(service: Service) -> str:
    body = {
        "resourcePools": [
            demo_pool(id="a", replicaCount="2"),
            demo_pool(id="b", replicaCount="2", machineSpec={"machineType": "n1-standard-8"}),
        ]
    }
    return service.seed_resource(PARENT, "two", body).name


@pytest.mark.parametrize(
    ("pools", "entry"),
    [
        ([{"id": "a", "replicaCount": "3"}, {"id": "a", "replicaCount": "2"}], "resource_pools[1].id"),
        ([{"id": "b", "replicaCount": "1"}, {"replicaCount": "4"}], "resource_pools[1]"),
    ],
)
def test_an_update_naming_one_pool_twice_is_refused_and_changes_nothing(pools: list[Any], entry: str) -> None:
    service = new_service()
    name = _two_pools(service)
    before = service.export_state()
    http = make_app(service).test_client()
    answer = http.patch(f"/v1/{name}?updateMask={MASK}", json={"resourcePools": pools})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert entry in error["message"] or any(entry in str(detail) for detail in error.get("details", []))
    assert service.export_state() == before


def test_an_update_by_ids_in_another_order_keeps_the_pool_order() -> None:
    service = new_service()
    name = _two_pools(service)
    service.update_resource(
        name, {"resourcePools": [{"id": "b", "replicaCount": "4"}, {"id": "a", "replicaCount": "3"}]}, MASK, "v1"
    )
    service.advance(1)
    pools = service.get_resource(name).render()["resourcePools"]
    assert [(pool["id"], pool["replicaCount"]) for pool in pools] == [("a", "3"), ("b", "4")]
    fresh = new_service()
    fresh.import_state(service.export_state())
    assert fresh.export_state() == service.export_state()


def test_update_keeps_no_reference_to_the_callers_body() -> None:
    service = new_service()
    name = _two_pools(service)
    body = {"resourcePools": [{"id": "a", "replicaCount": "3"}, {"id": "b", "replicaCount": "2"}]}
    service.update_resource(name, body, MASK, "v1")
    body["resourcePools"][0]["replicaCount"] = "9"
    service.advance(1)
    assert service.get_resource(name).render()["resourcePools"][0]["replicaCount"] == "3"


def test_a_created_job_keeps_no_reference_to_the_callers_body_unless_given_it() -> None:
    """A caller's body is copied; one handed over (``adopt``: an HTTP view's parse) becomes the spec."""
    service = new_service()
    body = job_body(resource_id=None)
    kept = service.create_job(PARENT, body, "v1")
    body["jobSpec"]["workerPoolSpecs"][0]["replicaCount"] = "9"
    assert kept.spec["jobSpec"]["workerPoolSpecs"][0]["replicaCount"] == "1"
    given = job_body(resource_id=None)
    assert service.create_job(PARENT, given, "v1", adopt=True).spec is given


def _queued_job(service: Service) -> str:
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="1")]})
    service.create_job(PARENT, job_body(), "v1")
    return service.create_job(PARENT, job_body(), "v1").name


def test_reset_of_a_project_and_reseed_leave_no_cache_or_event_behind() -> None:
    service = new_service(admission="queue", job_duration=None)
    first = _queued_job(service)
    service.reset(names.scope_of(first)[0])
    assert service.timeline.next() is None
    service.reseed(7)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="2")]})
    service.create_job(PARENT, job_body(), "v1")
    again = service.create_job(PARENT, job_body(), "v1")
    assert again.name == first
    assert not again.waiting
    assert service.get_resource(f"{PARENT}/persistentResources/demo").used("k80-pool") == 2


# ------------------------------------------------------------------ extension points


@dataclass(slots=True)
class Watcher(Record):
    """A record kind of a test that owns backing jobs and has timed steps."""

    heard: list[str] | None = None
    next_at: float | None = None
    steps: int = 0


def _heard(service: Any, owner: Watcher, job: CustomJob, at: float) -> None:
    owner.heard = [*(owner.heard or []), job.state]
    service.registry.mark(owner)


def _step(service: Any, owner: Watcher, at: float) -> None:
    owner.steps += 1


@pytest.fixture
def watchers() -> Any:
    kind = kinds.register(kinds.Kind("watchers", Watcher, step=_step, job_changed=_heard))
    yield kind
    del kinds.KINDS["watchers"]


def _watcher(service: Service) -> Watcher:
    with service.lock:
        now = service.clock.now()
        watcher = Watcher(
            name=service.registry.new_name(PARENT, "watchers", service.ids.next),
            spec={},
            version="v1",
            seq=service.next_seq(),
            create_time=now,
            update_time=now,
        )
        service.registry.add(watcher)
        watcher.next_at = service.schedule(watcher.name, now + 5)
        return watcher


def test_a_registered_kind_owns_jobs_steps_and_survives_export(watchers: Any) -> None:
    service = new_service(job_duration=10)
    watcher = _watcher(service)
    job = service.create_job(PARENT, job_body(resource_id=None), "v1", owner=watcher.name)
    assert job.owner == watcher.name
    service.advance(20)
    assert watcher.heard == [jobs.PENDING, jobs.RUNNING, jobs.SUCCEEDED]
    assert watcher.steps == 1
    data = service.export_state()
    assert [item["name"] for item in data["watchers"]] == [watcher.name]
    fresh = new_service()
    fresh.import_state(data)
    assert fresh.export_state() == data
    assert snapshot.from_json(data).records


def test_wait_for_room_queues_whatever_the_admission_says() -> None:
    service = new_service(admission="reject", job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="1")]})
    service.create_job(PARENT, job_body(), "v1")
    with pytest.raises(ApiError) as refused:
        service.create_job(PARENT, job_body(), "v1")
    assert refused.value.code == Code.FAILED_PRECONDITION
    waiting = service.create_job(PARENT, job_body(), "v1", wait_for_room=True)
    assert waiting.waiting
    with pytest.raises(ApiError) as never:
        service.create_job(PARENT, job_body(replicas=5), "v1", wait_for_room=True)
    assert never.value.code == Code.INVALID_ARGUMENT


class Recorder(hooks.Execution):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def started(self, job: Any, at: float) -> None:
        self.seen.append(("started", job.name))

    def stopped(self, job: Any, reason: str, at: float) -> None:
        self.seen.append((reason, job.name))


def test_execution_hook_and_finish_job() -> None:
    service = new_service(job_duration=None)
    service.execution = recorder = Recorder()
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="1")]})
    first = service.create_job(PARENT, job_body(), "v1")
    second = service.create_job(PARENT, job_body(resource_id=None), "v1")
    service.advance(1)
    assert recorder.seen == [("started", first.name), ("started", second.name)]
    with pytest.raises(ApiError):
        service.finish_job(first.name, "JOB_STATE_RUNNING", None)
    service.finish_job(first.name, jobs.FAILED, {"code": 13, "message": "exit 1"})
    assert first.state == jobs.FAILED and first.error == {"code": 13, "message": "exit 1"}
    assert service.get_resource(f"{PARENT}/persistentResources/demo").used("k80-pool") == 0
    service.cancel_job(second.name)
    service.close()
    assert recorder.seen[2:] == [(hooks.CANCELLED, second.name), (hooks.SHUTDOWN, second.name)]
