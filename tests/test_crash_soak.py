"""Crash durability: SIGKILL ``serve --data-dir`` during a concurrent load, restart, lose nothing answered.

Four clients each work on their own persistent resource and their own jobs: submit, cancel, decide
outcomes and resize the resource. Every answered write is recorded, with the one request each
client may have in flight when the process dies. After each kill the emulator is restarted on the
same data dir and must show every acknowledged write (a job an answered cancel or outcome reached
is in that state; a resize is the size last answered), and the replica accounting must hold. The
kills come after a random number of answered writes, so no test waits on the wall clock.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.conftest import PARENT, new_service
from tests.serving import serving
from tests.test_concurrency import violations

KILLS = 3
CLIENTS = 4
OPTIONS = ("--clock", "manual", "--seed", "5", "--job-duration", "never")
ZERO_DELAYS = tuple(
    part
    for flag in ("provision", "update", "reboot", "delete", "job-queued", "job-pending", "cancel")
    for part in (f"--{flag}-delay", "0")
)
ALIVE = {"JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING"}
CANCELLED = {"JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"}
CPU = {"machineType": "n1-standard-8"}


@dataclass
class Ledger:
    """What one client was told: the states each of its jobs may be in, and its resource's size."""

    resource: str
    jobs: dict[str, set[str]] = field(default_factory=dict)
    sizes: set[int] = field(default_factory=lambda: {6})
    acknowledged: int = 0


def _job(resource_id: str, replicas: int) -> dict[str, Any]:
    pool = {"machineSpec": CPU, "replicaCount": str(replicas), "containerSpec": {"imageUri": "gcr.io/p/t:1"}}
    return {"displayName": "soak", "jobSpec": {"persistentResourceId": resource_id, "workerPoolSpecs": [pool]}}


class Progress:
    """Answered writes across the clients; ``reached`` is set at the target, when the kill comes."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.count = 0
        self.lock = threading.Lock()
        self.reached = threading.Event()

    def tick(self) -> None:
        with self.lock:
            self.count += 1
            if self.count >= self.target:
                self.reached.set()


class Client:
    def __init__(self, url: str, ledger: Ledger, seed: int, stop: threading.Event, progress: Progress) -> None:
        self.url, self.ledger, self.stop, self.progress = url, ledger, stop, progress
        self.rng = random.Random(seed)
        self.session = requests.Session()

    def send(self, method: str, path: str, body: dict[str, Any], **params: str) -> dict[str, Any] | None:
        answer = self.session.request(method, f"{self.url}/{path}", json=body, params=params, timeout=30)
        assert answer.status_code < 500, answer.text
        if answer.status_code != 200:
            return None
        self.ledger.acknowledged += 1
        self.progress.tick()
        return answer.json()

    def run(self) -> None:
        """Until the emulator dies (or a bounded number of steps): one request in flight at a time."""
        try:
            for _ in range(500):
                if self.stop.is_set():
                    return
                self.step()
        except requests.RequestException:
            return
        finally:
            self.progress.reached.set()

    def step(self) -> None:
        ledger, rng = self.ledger, self.rng
        resource_id = ledger.resource.rsplit("/", 1)[1]
        live = [name for name, states in ledger.jobs.items() if states == ALIVE]
        roll = rng.random()
        if roll < 0.45 or not live:
            created = self.send("POST", f"v1/{PARENT}/customJobs", _job(resource_id, rng.randint(1, 2)))
            if created is not None:
                ledger.jobs[created["name"]] = set(ALIVE)
        elif roll < 0.65:
            job = rng.choice(live)
            ledger.jobs[job] = ALIVE | CANCELLED
            if self.send("POST", f"v1/{job}:cancel", {}) is not None:
                ledger.jobs[job] = set(CANCELLED)
        elif roll < 0.85:
            job, state = rng.choice(live), rng.choice(("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED"))
            ledger.jobs[job] = ALIVE | {state}
            if self.send("POST", f"emulator/v1/{job}:setOutcome", {"state": state}) is not None:
                ledger.jobs[job] = {state}
        else:
            size = rng.randint(2, 8)
            ledger.sizes.add(size)
            body = {"resourcePools": [{"id": "cpu", "replicaCount": str(size)}]}
            if self.send("PATCH", f"v1/{ledger.resource}", body, updateMask="resource_pools.replica_count"):
                ledger.sizes = {size}
            elif ledger.sizes != {size}:
                ledger.sizes.discard(size)


def _lost(url: str, ledgers: list[Ledger]) -> list[str]:
    """Every acknowledged write the restarted emulator does not show; the ledgers then follow what it shows.

    A write in flight at the kill may or may not have landed; once seen, the next round expects what was seen.
    """
    session, lost = requests.Session(), []
    for ledger in ledgers:
        for name, states in ledger.jobs.items():
            answer = session.get(f"{url}/v1/{name}", timeout=30)
            shown = answer.json().get("state") if answer.status_code == 200 else f"HTTP {answer.status_code}"
            if shown not in states:
                lost.append(f"{name}: {shown}, expected one of {sorted(states)}")
            ledger.jobs[name] = next((set(group) for group in (ALIVE, CANCELLED) if shown in group), {str(shown)})
        size = int(session.get(f"{url}/v1/{ledger.resource}", timeout=30).json()["resourcePools"][0]["replicaCount"])
        if size not in ledger.sizes:
            lost.append(f"{ledger.resource}: size {size}, expected one of {ledger.sizes}")
        ledger.sizes = {size}
    return lost


def _create_resources(url: str, ledgers: list[Ledger]) -> None:
    for ledger in ledgers:
        answer = requests.post(
            f"{url}/v1/{PARENT}/persistentResources",
            params={"persistentResourceId": ledger.resource.rsplit("/", 1)[1]},
            json={"resourcePools": [{"id": "cpu", "machineSpec": CPU, "replicaCount": "6"}]},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text


def test_sigkill_during_concurrent_load_loses_no_acknowledged_write(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    options = (*OPTIONS, *ZERO_DELAYS, "--data-dir", str(tmp_path))
    ledgers = [Ledger(f"{PARENT}/persistentResources/soak-{index}") for index in range(CLIENTS)]
    rng = random.Random(8)
    survived, lost = 0, []
    for kill in range(KILLS):
        with serving(*options) as (process, url):
            if kill == 0:
                _create_resources(url, ledgers)
            lost += _lost(url, ledgers)
            stop, progress = threading.Event(), Progress(rng.randint(10, 40))
            clients = [Client(url, ledger, rng.randrange(2**32), stop, progress) for ledger in ledgers]
            threads = [threading.Thread(target=client.run) for client in clients]
            for thread in threads:
                thread.start()
            assert progress.reached.wait(timeout=120)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            survived += 1
    with serving(*options) as (_, url):
        lost += _lost(url, ledgers)
        state = requests.get(f"{url}/emulator/v1/state", timeout=30).json()
    restored = new_service()
    restored.import_state(state)
    broken = violations(restored)

    acknowledged = sum(ledger.acknowledged for ledger in ledgers)
    for name, value in (("kills", survived), ("acknowledged", acknowledged), ("lost", len(lost))):
        record_property(name, value)
    assert survived == KILLS
    assert acknowledged >= KILLS * 10
    assert lost == []
    assert broken == []
