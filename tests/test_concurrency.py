"""A mixed concurrent workload through a real server keeps every rule of replica accounting.

Eight clients submit, cancel, decide outcomes, resize, reboot, delete and recreate resources and
move the clock, all at once; a ninth checks the invariants under the service lock while they run.
Afterwards the invariants hold again, read through the public API as well, and no request got a
5xx. The count is bounded and the random choices are seeded, so a failure replays.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.conftest import PARENT, new_service
from vertex_emulator.domain import specs
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

THREADS = 8
PER_THREAD = 40
RESOURCES = ("r0", "r1", "r2")
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
MACHINES = {
    "k80": {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1},
    "cpu": {"machineType": "n1-standard-8"},
}


def _resource_body() -> dict[str, Any]:
    return {
        "resourcePools": [
            {"id": "k80", "machineSpec": MACHINES["k80"], "replicaCount": "3"},
            {"id": "cpu", "machineSpec": MACHINES["cpu"], "replicaCount": "2"},
        ]
    }


def _job_body(rng: random.Random) -> dict[str, Any]:
    kinds = rng.choice((["k80"], ["cpu"], ["k80", "cpu"]))
    return {
        "displayName": "load",
        "jobSpec": {
            "persistentResourceId": rng.choice(RESOURCES),
            "workerPoolSpecs": [
                {
                    "machineSpec": MACHINES[kind],
                    "replicaCount": str(rng.randint(1, 2)),
                    "containerSpec": {"imageUri": "gcr.io/p/trainer:1"},
                }
                for kind in kinds
            ],
        },
    }


def violations(service: Service) -> list[str]:
    """Every broken accounting rule, read off the records under the lock."""
    found = []
    with service.lock:
        jobs = {name: job for _, scope in service.iter_scopes() for name, job in scope.of("customJobs").items()}
        for _, scope in service.iter_scopes():
            for resource in scope.of("persistentResources").values():
                for pool in resource.pools:
                    used = resource.used(pool["id"])
                    if not 0 <= used <= specs.pool_capacity(pool):
                        found.append(f"{resource.name}/{pool['id']}: {used} used of {specs.pool_capacity(pool)}")
                expected: dict[str, Counter[str]] = {pool["id"]: Counter() for pool in resource.pools}
                for job in jobs.values():
                    if job.resource != resource.name or job.terminal or job.waiting:
                        continue
                    for index, pool_id in enumerate(job.placement):
                        if pool_id is not None:
                            replicas = int(job.spec["jobSpec"]["workerPoolSpecs"][index]["replicaCount"])
                            expected[pool_id][job.name] += replicas
                for pool_id, holders in resource.holders.items():
                    if dict(expected[pool_id]) != holders:
                        found.append(
                            f"{resource.name}/{pool_id}: holders {holders} != running {dict(expected[pool_id])}"
                        )
                    for holder in holders:
                        if holder not in jobs or jobs[holder].terminal:
                            found.append(f"{resource.name}/{pool_id}: {holder} holds replicas but is ended or gone")
    return found


class Load:
    """One client's share of the workload; it records every status code it sees."""

    def __init__(self, url: str, seed: int, known: list[str], statuses: Counter[int], torn: list[str]) -> None:
        self.url = url
        self.rng = random.Random(seed)
        self.session = requests.Session()
        self.known = known
        self.statuses = statuses
        self.torn = torn

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        answer = self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)
        self.statuses[answer.status_code] += 1
        return answer

    def step(self) -> None:
        rng = self.rng
        roll = rng.random()
        resource = f"/v1/{PARENT}/persistentResources/{rng.choice(RESOURCES)}"
        job = rng.choice(self.known) if self.known else None
        if roll < 0.4 or job is None:
            answer = self.send("POST", f"/v1/{PARENT}/customJobs", json=_job_body(rng))
            if answer.status_code == 200:
                self.known.append(answer.json()["name"])
        elif roll < 0.52:
            self.send("POST", f"/v1/{job}:cancel", json={})
        elif roll < 0.67:
            state = rng.choice(("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED"))
            self.send("POST", f"/emulator/v1/{job}:setOutcome", json={"state": state})
        elif roll < 0.75:
            counts = [{"id": "k80", "replicaCount": str(rng.randint(1, 4))}, {"id": "cpu", "replicaCount": "2"}]
            self.send(
                "PATCH",
                resource,
                params={"updateMask": "resource_pools.replica_count"},
                json={"resourcePools": counts},
            )
        elif roll < 0.79:
            self.send("POST", f"{resource}:reboot", json={})
        elif roll < 0.82:
            self.send("DELETE", resource)
        elif roll < 0.88:
            resource_id = resource.rsplit("/", 1)[1]
            self.send(
                "POST",
                f"/v1/{PARENT}/persistentResources",
                params={"persistentResourceId": resource_id},
                json=_resource_body(),
            )
        elif roll < 0.95:
            self.send("POST", "/emulator/v1/clock:advance", json={"seconds": rng.choice((0, 1, 3))})
        else:
            self.read(resource, job)

    def read(self, resource: str, job: str) -> None:
        """Reads racing the writes must still see whole states, never half a transition."""
        shown = self.send("GET", f"/v1/{job}")
        if shown.status_code == 200:
            body = shown.json()
            if body["state"] in ENDED and "endTime" not in body:
                self.torn.append(f"{job} is {body['state']} without an endTime")
        shown = self.send("GET", resource)
        if shown.status_code == 200:
            for pool in shown.json()["resourcePools"]:
                if int(pool.get("usedReplicaCount", 0)) > int(pool["replicaCount"]):
                    self.torn.append(f"{resource} shows {pool}")


@pytest.mark.parametrize("admission", ["reject", "queue"])
def test_mixed_concurrent_load_keeps_the_accounting(
    admission: str, record_property: Callable[[str, object], None]
) -> None:
    service = new_service(admission=admission, job_duration=None, cancel_delay=2.0, reboot_delay=1.0)
    for resource_id in RESOURCES:
        service.seed_resource(PARENT, resource_id, _resource_body())
    statuses: Counter[int] = Counter()
    midway: list[str] = []
    known: list[str] = []
    torn: list[str] = []
    done = threading.Event()
    with ThreadedServer(service) as server:

        def client(seed: int) -> None:
            load = Load(server.url, seed, known, statuses, torn)
            for _ in range(PER_THREAD):
                load.step()

        def watcher() -> None:
            while not done.is_set():
                midway.extend(violations(service))
                done.wait(0.02)

        watching = threading.Thread(target=watcher)
        watching.start()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(client, range(THREADS)))
        done.set()
        watching.join()
        after = violations(service)
        api_mismatches = _api_mismatches(server.url, service, known)

    record_property("requests", sum(statuses.values()))
    record_property("violations", len(midway) + len(after) + len(api_mismatches) + len(torn))
    record_property("statuses", dict(sorted(statuses.items())))
    assert sum(statuses.values()) >= THREADS * PER_THREAD
    assert not [code for code in statuses if code >= 500], statuses
    assert midway == []
    assert after == []
    assert api_mismatches == []
    assert torn == []
    assert statuses[200] > THREADS * PER_THREAD // 5, statuses


def _api_mismatches(url: str, service: Service, known: list[str]) -> list[str]:
    """The same accounting as clients see it: usedReplicaCount against the replicas of running jobs."""
    session = requests.Session()
    states = {}
    for name in known:
        answer = session.get(f"{url}/v1/{name}", timeout=30)
        if answer.status_code == 200:
            states[name] = answer.json()["state"]
    running = ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_CANCELLING")
    found = []
    for resource_id in RESOURCES:
        answer = session.get(f"{url}/v1/{PARENT}/persistentResources/{resource_id}", timeout=30)
        if answer.status_code == 404:
            continue
        shown = {pool["id"]: int(pool.get("usedReplicaCount", 0)) for pool in answer.json()["resourcePools"]}
        expected: Counter[str] = Counter()
        with service.lock:
            for name, state in states.items():
                job = service.get_job(name)
                if state in running and not job.waiting and job.resource and job.resource.endswith(f"/{resource_id}"):
                    for index, pool_id in enumerate(job.placement):
                        if pool_id is not None:
                            expected[pool_id] += int(job.spec["jobSpec"]["workerPoolSpecs"][index]["replicaCount"])
        if {pool: count for pool, count in shown.items() if count} != dict(expected):
            found.append(f"{resource_id}: usedReplicaCount {shown} != running jobs {dict(expected)}")
    return found
