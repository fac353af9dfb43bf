"""Admission is atomic: concurrent creates through a real server never over-commit a pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import PARENT, job_body, new_service
from vertex_emulator.server import ThreadedServer

THREADS = 8
PER_THREAD = 12
CAPACITY = 5


def test_concurrent_submissions_never_hold_more_than_capacity() -> None:
    service = new_service(job_duration=None)
    pool = {
        "id": "k80",
        "machineSpec": {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1},
        "replicaCount": str(CAPACITY),
    }
    service.seed_resource(PARENT, "demo", {"resourcePools": [pool]})
    with ThreadedServer(service) as server:

        def submit(worker: int) -> list[tuple[int, str]]:
            session = requests.Session()
            answers = []
            for attempt in range(PER_THREAD):
                body = job_body(replicas=1 + (worker + attempt) % 2)
                answer = session.post(f"{server.url}/v1/{PARENT}/customJobs", json=body, timeout=30)
                answers.append((answer.status_code, answer.json().get("name", "")))
            return answers

        with ThreadPoolExecutor(THREADS) as pool_of_threads:
            answers = [a for batch in pool_of_threads.map(submit, range(THREADS)) for a in batch]
        accepted = [name for status, name in answers if status == 200]
        assert {status for status, _ in answers} <= {200, 400}
        assert accepted, "some jobs fit"
        held = 0
        for name in accepted:
            job = requests.get(f"{server.url}/v1/{name}", timeout=30).json()
            assert job["name"] == name
            held += int(job["jobSpec"]["workerPoolSpecs"][0]["replicaCount"])
        used = requests.get(f"{server.url}/v1/{PARENT}/persistentResources/demo", timeout=30).json()
        assert held == int(used["resourcePools"][0]["usedReplicaCount"])
        assert CAPACITY - 1 <= held <= CAPACITY
