"""The emulator, driven through its HTTP API by Hypothesis, against a small reference model.

A ``RuleBasedStateMachine`` creates, updates, reboots and deletes persistent resources, submits,
cancels, completes and deletes custom jobs, creates, cancels and deletes training pipelines (whose
backing jobs are jobs like the others), and moves the manual clock. Every call is also played
on :class:`Model`, a few dozen lines that restate the rules from the documentation and README
without importing any of the emulator's rules, and the two must agree on every answer (status
and ``google.rpc.Code``) and on every state afterwards.

The invariants, checked after every step:

- each pool's ``usedReplicaCount`` is between 0 and its capacity, and equals the replicas of the
  jobs that hold it (admitted and not yet terminal);
- a terminal state (SUCCEEDED, FAILED, CANCELLED) never changes;
- no job holds replicas of a resource that is not RUNNING (or UPDATING: an update resizes pools
  under the jobs; rebooting needs a resource without jobs, deleting cancels them first);
- every object created can be read, and appears exactly once across the pages of its list;
- every error is a well-formed ``google.rpc.Status`` with a 4xx code;
- a training pipeline is listed once, in its backing job's state (``PIPELINE_STATE_X`` for
  ``JOB_STATE_X``) with its error, or FAILED without a job when the admission refused that job;
- an operation, once done, holds the resource it worked on (Empty for a delete) or an error;
- the state exports, and imports into a fresh service to an equal export (the invariant that
  would have caught an update that names one pool twice); in the ``deep`` profile the steps also
  write a data dir, which reopens at the end of the run to the same export.

Delays are non-zero so that every state (PROVISIONING, UPDATING, QUEUED, CANCELLING, ...) is seen.
Both admission policies run: ``reject`` refuses a job that does not fit in the free replicas now,
``queue`` makes it wait, first in first out per pool.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests import strategies as s
from vertex_emulator import snapshot, store
from vertex_emulator.clock import ManualClock
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

PARENT = "projects/p/locations/us-central1"
RESOURCE_IDS = ("pr-a", "pr-b")
NO_SUCH_JOB = f"{PARENT}/customJobs/404"
OK = "OK"
INVALID = "INVALID_ARGUMENT"
PRECONDITION = "FAILED_PRECONDITION"
NOT_FOUND = "NOT_FOUND"
EXISTS = "ALREADY_EXISTS"
TERMINAL = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
PIPELINE_TERMINAL = tuple(state.replace("JOB_STATE_", "PIPELINE_STATE_") for state in TERMINAL)
NO_SUCH_PIPELINE = f"{PARENT}/trainingPipelines/404"
CUSTOM_TASK = "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"
ERROR_CODES = {"JOB_STATE_FAILED": 13, "JOB_STATE_CANCELLED": 1}
"""The job's ``error.code`` when it ends so; a job failed out of the queue is INVALID_ARGUMENT (3)."""

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
"""The slower profile also writes every step to a data dir and reopens it at the end of a run."""

DELAYS = {
    "provision_delay": 2.0,
    "update_delay": 1.0,
    "reboot_delay": 3.0,
    "delete_delay": 1.0,
    "job_queued_delay": 1.0,
    "job_pending_delay": 1.0,
    "job_duration": 6.0,
    "cancel_delay": 1.0,
}


# ----------------------------------------------------------------------------- the reference model


@dataclass
class Pool:
    """A resource pool as the model knows it: its hardware, and how many replicas it can give."""

    hardware: dict[str, Any]
    capacity: int
    autoscaling: tuple[int, int] | None


@dataclass
class Timed:
    """Something that changes state by itself at ``due`` (``order`` breaks ties: first scheduled first)."""

    name: str
    state: str
    due: float | None = None
    order: int = 0


@dataclass
class Resource(Timed):
    pools: dict[str, Pool] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)


@dataclass
class Pipeline:
    """A training pipeline: its backing job, or the google.rpc.Code of the admission's refusal."""

    job: str | None
    refused: int | None = None
    final: tuple[str, int | None] | None = None
    """State and error code when its job was deleted: the pipeline keeps them."""


@dataclass
class Job(Timed):
    resource: str | None = None
    demand: dict[str, int] = field(default_factory=dict)
    holds: bool = False
    error_code: int | None = None


class Model:
    """The rules, restated: what each call answers and what each object's state becomes."""

    def __init__(self, policy: str) -> None:
        self.policy = policy
        self.now = 0.0
        self.resources: dict[str, Resource] = {}
        self.jobs: dict[str, Job] = {}
        self.pipelines: dict[str, Pipeline] = {}
        self._order = 0

    # ---- time

    def _at(self, item: Timed, delay: float | None, start: float) -> None:
        self._order += 1
        item.due, item.order = (None if delay is None else start + delay), self._order

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while True:
            due = [item for item in [*self.resources.values(), *self.jobs.values()] if item.due is not None]
            due = [item for item in due if item.due <= self.now]
            if not due:
                return
            item = min(due, key=lambda item: (item.due, item.order))
            at, item.due = item.due, None
            if isinstance(item, Job):
                self._job_step(item, at)
            else:
                self._resource_step(item, at)

    def _job_step(self, job: Job, at: float) -> None:
        following = {
            "JOB_STATE_QUEUED": ("JOB_STATE_PENDING", DELAYS["job_pending_delay"]),
            "JOB_STATE_PENDING": ("JOB_STATE_RUNNING", DELAYS["job_duration"]),
        }
        if job.state in following:
            job.state, delay = following[job.state]
            self._at(job, delay, at)
        else:
            self._end(job, "JOB_STATE_CANCELLED" if job.state == "JOB_STATE_CANCELLING" else "JOB_STATE_SUCCEEDED", at)

    def _resource_step(self, resource: Resource, at: float) -> None:
        if resource.state == "STOPPING":
            del self.resources[resource.name]
            return
        resource.state = "RUNNING"
        self._start_waiting(resource, at)

    # ---- replicas

    def used(self, resource_name: str, pool_id: str) -> int:
        """A pool's used replicas: the demand of the jobs holding it, nothing stored besides."""
        return sum(
            job.demand.get(pool_id, 0) for job in self.jobs.values() if job.holds and job.resource == resource_name
        )

    def _free(self, name: str) -> dict[str, int]:
        return {
            pool_id: pool.capacity - self.used(name, pool_id) for pool_id, pool in self.resources[name].pools.items()
        }

    def _hold(self, job: Job, at: float) -> None:
        job.holds = True
        self._at(job, DELAYS["job_queued_delay"], at)

    def _end(self, job: Job, state: str, at: float) -> None:
        """A job ends: CANCELLED carries google.rpc.Code CANCELLED (1), a FAILED outcome INTERNAL (13)."""
        job.state, job.due, job.holds = state, None, False
        job.error_code = ERROR_CODES.get(state)
        resource = self.resources.get(job.resource or "")
        if resource is not None:
            if job.name in resource.queue:
                resource.queue.remove(job.name)
            self._start_waiting(resource, at)

    def _start_waiting(self, resource: Resource, at: float) -> None:
        """Queued jobs start in order; one that does not fit keeps the jobs behind it off its pools."""
        if resource.state != "RUNNING":
            return
        blocked: set[str] = set()
        for job_id in list(resource.queue):
            job = self.jobs[job_id]
            if any(count > resource.pools[pool_id].capacity for pool_id, count in job.demand.items()):
                resource.queue.remove(job_id)
                job.state, job.error_code = "JOB_STATE_FAILED", 3
                continue
            free = self._free(resource.name)
            if blocked & job.demand.keys() or any(count > free[pool_id] for pool_id, count in job.demand.items()):
                blocked |= job.demand.keys()
                continue
            resource.queue.remove(job_id)
            self._hold(job, at)

    # ---- persistent resources

    def create_resource(self, resource_id: str, pools: dict[str, Pool]) -> str:
        name = f"{PARENT}/persistentResources/{resource_id}"
        if name in self.resources:
            return EXISTS
        self.resources[name] = Resource(name, "PROVISIONING", pools=pools)
        self._at(self.resources[name], DELAYS["provision_delay"], self.now)
        return OK

    def update_resource(self, name: str, counts: list[int]) -> str:
        resource = self.resources.get(name)
        if resource is None:
            return NOT_FOUND
        if resource.state != "RUNNING":
            return PRECONDITION
        return self._resize(name, counts)

    def update_resource_by_id(self, name: str, entries: list[tuple[str | None, int]]) -> str:
        """An update whose entries name pools by id (or by position when the id is None): each
        entry must name a different pool; the counts then apply in the resource's pool order."""
        resource = self.resources.get(name)
        if resource is None:
            return NOT_FOUND
        if resource.state != "RUNNING":
            return PRECONDITION
        ids = list(resource.pools)
        named = [pool_id or ids[index] for index, (pool_id, _) in enumerate(entries)]
        if len(set(named)) != len(named):
            return INVALID
        counts = dict(zip(named, (count for _, count in entries), strict=True))
        return self._resize(name, [counts[pool_id] for pool_id in ids])

    def _resize(self, name: str, counts: list[int]) -> str:
        resource = self.resources[name]
        for (pool_id, pool), count in zip(resource.pools.items(), counts, strict=True):
            if pool.autoscaling and not pool.autoscaling[0] <= count <= pool.autoscaling[1]:
                return INVALID
            if not pool.autoscaling and count < self.used(name, pool_id):
                return PRECONDITION
        for pool, count in zip(resource.pools.values(), counts, strict=True):
            if not pool.autoscaling:
                pool.capacity = count
        resource.state = "UPDATING"
        self._at(resource, DELAYS["update_delay"], self.now)
        return OK

    def reboot_resource(self, name: str) -> str:
        resource = self.resources.get(name)
        if resource is None:
            return NOT_FOUND
        if resource.state not in ("RUNNING", "ERROR") or any(
            job.holds and job.resource == name for job in self.jobs.values()
        ):
            return PRECONDITION
        resource.state = "REBOOTING"
        self._at(resource, DELAYS["reboot_delay"], self.now)
        return OK

    def delete_resource(self, name: str) -> str:
        resource = self.resources.get(name)
        if resource is None:
            return NOT_FOUND
        if resource.state in ("PROVISIONING", "REBOOTING", "STOPPING"):
            return PRECONDITION
        for job in self.jobs.values():
            if job.resource == name and (job.holds or job.name in resource.queue):
                job.state, job.due, job.holds, job.error_code = "JOB_STATE_CANCELLED", None, False, 1
        resource.queue.clear()
        resource.state = "STOPPING"
        self._at(resource, DELAYS["delete_delay"], self.now)
        return OK

    # ---- custom jobs

    def create_job(self, resource_id: str | None, workers: list[dict[str, Any]]) -> tuple[str, Job | None]:
        """The answer to a job submission, and the job when one is made."""
        if resource_id is None:
            job = Job("", "JOB_STATE_QUEUED")
            self._at(job, DELAYS["job_queued_delay"], self.now)
            return OK, job
        name = f"{PARENT}/persistentResources/{resource_id}"
        resource = self.resources.get(name)
        if resource is None:
            return NOT_FOUND, None
        if resource.state != "RUNNING":
            return PRECONDITION, None
        demand: dict[str, int] = {}
        for worker in workers:
            hardware = s.Hardware(worker["machineSpec"], worker.get("diskSpec")).effective()
            matching = [pool_id for pool_id, pool in resource.pools.items() if pool.hardware == hardware]
            if not matching:
                return INVALID, None
            demand[matching[0]] = demand.get(matching[0], 0) + int(worker["replicaCount"])
        if any(count > resource.pools[pool_id].capacity for pool_id, count in demand.items()):
            return INVALID, None
        job = Job("", "JOB_STATE_QUEUED", resource=name, demand=demand)
        waiting = {pool_id for queued in resource.queue for pool_id in self.jobs[queued].demand}
        free = self._free(name)
        if waiting & demand.keys() or any(count > free[pool_id] for pool_id, count in demand.items()):
            return (PRECONDITION, None) if self.policy == "reject" else (OK, job)
        self._hold(job, self.now)
        return OK, job

    def add_job(self, name: str, job: Job) -> None:
        """A job the emulator made, under the name it gave; one that does not hold replicas waits."""
        job.name = name
        self.jobs[name] = job
        if job.resource and not job.holds:
            self.resources[job.resource].queue.append(name)

    def cancel_job(self, name: str) -> str:
        job = self.jobs.get(name)
        if job is None:
            return NOT_FOUND
        if job.state in TERMINAL:
            return PRECONDITION
        if job.state != "JOB_STATE_CANCELLING":
            resource = self.resources.get(job.resource or "")
            if resource is not None and name in resource.queue:
                resource.queue.remove(name)
                self._start_waiting(resource, self.now)
            job.state = "JOB_STATE_CANCELLING"
            self._at(job, DELAYS["cancel_delay"], self.now)
        return OK

    def finish_job(self, name: str, state: str) -> str:
        job = self.jobs.get(name)
        if job is None:
            return NOT_FOUND
        if job.state in (*TERMINAL, "JOB_STATE_CANCELLING"):
            return PRECONDITION
        self._end(job, state, self.now)
        return OK

    def delete_job(self, name: str) -> str:
        job = self.jobs.get(name)
        if job is None:
            return NOT_FOUND
        if job.state not in TERMINAL:
            return PRECONDITION
        for pipeline in self.pipelines.values():
            if pipeline.job == name:
                pipeline.final = self.pipeline_state(pipeline)
        del self.jobs[name]
        return OK

    # ---- training pipelines

    def create_pipeline(self, resource_id: str, workers: list[dict[str, Any]]) -> tuple[str, Job | None, int | None]:
        """A pipeline runs the job it holds; an admission refusal is a FAILED pipeline, not an error."""
        expected, job = self.create_job(resource_id, workers)
        if expected in (INVALID, PRECONDITION):
            return OK, None, {INVALID: 3, PRECONDITION: 9}[expected]
        return expected, job, None

    def pipeline_state(self, pipeline: Pipeline) -> tuple[str, int | None]:
        """The pipeline's state and error code: its job's, renamed."""
        if pipeline.final is not None:
            return pipeline.final
        if pipeline.job is None:
            return "PIPELINE_STATE_FAILED", pipeline.refused
        job = self.jobs[pipeline.job]
        return job.state.replace("JOB_STATE_", "PIPELINE_STATE_"), job.error_code

    def cancel_pipeline(self, name: str) -> str:
        pipeline = self.pipelines.get(name)
        if pipeline is None:
            return NOT_FOUND
        if self.pipeline_state(pipeline)[0] in PIPELINE_TERMINAL:
            return PRECONDITION
        assert pipeline.job is not None
        return self.cancel_job(pipeline.job)

    def delete_pipeline(self, name: str) -> str:
        pipeline = self.pipelines.get(name)
        if pipeline is None:
            return NOT_FOUND
        if self.pipeline_state(pipeline)[0] not in PIPELINE_TERMINAL:
            return PRECONDITION
        del self.pipelines[name]
        return OK


# ------------------------------------------------------------------------------ the HTTP side


def check_status(response: Any) -> str:
    """The canonical code of an error response, after checking it is a well-formed Status."""
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.get_data(as_text=True)}"
    body = response.get_json()
    assert set(body) == {"error"}
    error = dict(body["error"])
    assert error["code"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    code = error.pop("status")
    json_format.ParseDict(error, status_pb2.Status(), descriptor_pool=error_details_pb2.DESCRIPTOR.pool)
    return code


def answer(response: Any) -> str:
    return OK if response.status_code == 200 else check_status(response)


def as_struct(value: Any, key: str = "") -> Any:
    """A REST worker pool as the SDK puts it in ``trainingTaskInputs``: snake_case keys but a
    camelCase ``containerSpec``, and every integer (int64 strings too) a float."""
    if isinstance(value, dict):
        if key == "containerSpec":
            return value
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): as_struct(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [as_struct(item) for item in value]
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdigit()):
        return float(value)
    return value


def _pool(pool: dict[str, Any]) -> Pool:
    autoscaling = pool.get("autoscalingSpec")
    bounds = (int(autoscaling["minReplicaCount"]), int(autoscaling["maxReplicaCount"])) if autoscaling else None
    return Pool(s.hardware_of(pool).effective(), s.capacity(pool), bounds)


class MarkAudit:
    """A listener that fails a call which changed a record's stored form without marking it.

    The store writes only the records a call marked (``Records.mark``), so a change left unmarked
    would be lost at the next restart; this compares every record's snapshot form after each call
    with the one after the call before, and the names whose form moved with the names marked."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.forms: dict[str, str] = {}
        self.audited = 0
        service.listeners.append(self)

    def __call__(self) -> None:
        forms = {record.name: json.dumps(snapshot.dump(record), sort_keys=True) for record in self.service.records()}
        moved = {name for name in forms.keys() | self.forms.keys() if forms.get(name) != self.forms.get(name)}
        unmarked = moved - self.service.changes()
        assert not unmarked, f"changed without being marked for the store: {sorted(unmarked)}"
        self.forms = forms
        self.audited += 1


class EmulatorMachine(RuleBasedStateMachine):
    """Random calls on the HTTP API; after each, the emulator and the model must agree."""

    policy = "reject"

    def __init__(self) -> None:
        super().__init__()
        service = Service(clock=ManualClock(), settings=Settings(admission=self.policy, **DELAYS), seed=3)
        self.service = service
        self.audit = MarkAudit(service)
        self.data_dir: tempfile.TemporaryDirectory[str] | None = None
        self.store: store.Store | None = None
        if DEEP:
            self.data_dir = tempfile.TemporaryDirectory()
            self.store = store.attach(service, self.data_dir.name)
        self.http = make_app(service).test_client()
        self.model = Model(self.policy)
        self.known_jobs: list[str] = []
        self.known_pipelines: list[str] = []
        self.ended: dict[str, str] = {}
        self.operations: dict[str, tuple[str, str]] = {}
        self.reads = 0

    def _expect(self, response: Any, expected: str, call: str = "") -> None:
        got = answer(response)
        assert got == expected, response.get_data(as_text=True)
        if call:
            event(f"{call}: {got}")

    def _started(self, response: Any, expected: str, call: str, resource: str) -> None:
        """A resource call answers with an operation, which is read again until the run ends."""
        self._expect(response, expected, call)
        if expected == OK:
            self.operations[response.get_json()["name"]] = (call, resource)

    def _some_job(self, data: st.DataObject) -> str:
        """A job made so far (deleted ones too), or one that never existed."""
        return data.draw(st.sampled_from([*self.known_jobs, NO_SUCH_JOB]))

    # ---- persistent resources

    @initialize(data=st.data())
    def running_resources(self, data: st.DataObject) -> None:
        """Start from RUNNING resources, so that runs get to jobs quickly."""
        for resource_id in RESOURCE_IDS:
            self.create_resource(data, resource_id)
        self.advance_clock(DELAYS["provision_delay"])

    @rule(data=st.data(), resource_id=st.sampled_from(RESOURCE_IDS))
    def create_resource(self, data: st.DataObject, resource_id: str) -> None:
        resource = data.draw(s.persistent_resources(max_pools=2, max_replicas=4))
        body = {"displayName": resource_id, "resourcePools": resource["resourcePools"]}
        response = self.http.post(f"/v1/{PARENT}/persistentResources?persistentResourceId={resource_id}", json=body)
        pools = {pool["id"]: _pool(pool) for pool in resource["resourcePools"]}
        name = f"{PARENT}/persistentResources/{resource_id}"
        self._started(response, self.model.create_resource(resource_id, pools), "create resource", name)

    @rule(data=st.data(), resource_id=st.sampled_from(RESOURCE_IDS))
    def update_resource(self, data: st.DataObject, resource_id: str) -> None:
        name = f"{PARENT}/persistentResources/{resource_id}"
        known = self.model.resources.get(name)
        counts = (
            data.draw(st.lists(st.integers(1, 6), min_size=len(known.pools), max_size=len(known.pools)))
            if known
            else [1]
        )
        response = self.http.patch(
            f"/v1/{name}?updateMask=resourcePools.replicaCount",
            json={"resourcePools": [{"replicaCount": str(count)} for count in counts]},
        )
        self._started(response, self.model.update_resource(name, counts), "update resource", name)

    @rule(data=st.data(), resource_id=st.sampled_from(RESOURCE_IDS))
    def update_resource_by_id(self, data: st.DataObject, resource_id: str) -> None:
        """Entries that name pools by id, in any order, some by position, possibly one pool twice."""
        name = f"{PARENT}/persistentResources/{resource_id}"
        known = self.model.resources.get(name)
        ids = list(known.pools) if known else ["p"]
        chosen = data.draw(st.lists(st.sampled_from([*ids, None]), min_size=len(ids), max_size=len(ids)))
        entries = [(pool_id, data.draw(st.integers(1, 6))) for pool_id in chosen]
        body = {
            "resourcePools": [
                {"replicaCount": str(count), **({"id": pool_id} if pool_id else {})} for pool_id, count in entries
            ]
        }
        response = self.http.patch(f"/v1/{name}?updateMask=resourcePools.replicaCount", json=body)
        self._started(response, self.model.update_resource_by_id(name, entries), "update resource by id", name)

    @rule(resource_id=st.sampled_from(RESOURCE_IDS))
    def reboot_resource(self, resource_id: str) -> None:
        name = f"{PARENT}/persistentResources/{resource_id}"
        self._started(self.http.post(f"/v1/{name}:reboot", json={}), self.model.reboot_resource(name), "reboot", name)

    @rule(resource_id=st.sampled_from(RESOURCE_IDS))
    def delete_resource(self, resource_id: str) -> None:
        name = f"{PARENT}/persistentResources/{resource_id}"
        response = self.http.delete(f"/v1/{name}")
        self._started(response, self.model.delete_resource(name), "delete resource", name)

    # ---- custom jobs

    @rule(data=st.data(), resource_id=st.sampled_from(RESOURCE_IDS), count=st.integers(1, 3))
    def submit_jobs(self, data: st.DataObject, resource_id: str, count: int) -> None:
        """Jobs whose worker pools mostly match a pool of the resource, now and then one that does not."""
        for _ in range(count):
            self._submit(data, resource_id)

    @rule(data=st.data())
    def submit_job_without_a_resource(self, data: st.DataObject) -> None:
        """A job on on-demand machines: it runs through its states on the clock, holding nothing."""
        self._submit(data, None)

    def _workers(self, data: st.DataObject, resource_id: str | None) -> list[dict[str, Any]]:
        resource = self.model.resources.get(f"{PARENT}/persistentResources/{resource_id}")
        workers = []
        for _ in range(data.draw(st.integers(1, 2))):
            if resource and data.draw(st.integers(0, 5)) < 5:
                spec = s.hardware_of(data.draw(st.sampled_from(list(resource.pools.values()))).hardware)
            else:
                spec = data.draw(s.hardware())
            workers.append(data.draw(s.worker_pools(data.draw(s.written_differently(spec)), st.integers(1, 3))))
        return workers

    def _submit(self, data: st.DataObject, resource_id: str | None) -> None:
        workers = self._workers(data, resource_id)
        job_spec: dict[str, Any] = {"workerPoolSpecs": workers}
        if resource_id:
            job_spec["persistentResourceId"] = resource_id
        response = self.http.post(f"/v1/{PARENT}/customJobs", json={"displayName": "train", "jobSpec": job_spec})
        expected, job = self.model.create_job(resource_id, workers)
        self._expect(response, expected, "submit")
        if job is not None:
            name = response.get_json()["name"]
            self.model.add_job(name, job)
            self.known_jobs.append(name)
            event("submit: waits in the queue" if job.resource and not job.holds else "submit: runs")

    @rule(data=st.data())
    def cancel_job(self, data: st.DataObject) -> None:
        name = self._some_job(data)
        self._expect(self.http.post(f"/v1/{name}:cancel", json={}), self.model.cancel_job(name), "cancel")

    @rule(data=st.data(), state=st.sampled_from(("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED")))
    def complete_job(self, data: st.DataObject, state: str) -> None:
        name = self._some_job(data)
        response = self.http.post(f"/emulator/v1/{name}:setOutcome", json={"state": state})
        self._expect(response, self.model.finish_job(name, state), "complete")

    @rule(data=st.data())
    def delete_job(self, data: st.DataObject) -> None:
        name = self._some_job(data)
        self._expect(self.http.delete(f"/v1/{name}"), self.model.delete_job(name), "delete job")

    # ---- training pipelines

    @rule(data=st.data(), resource_id=st.sampled_from(RESOURCE_IDS))
    def create_pipeline(self, data: st.DataObject, resource_id: str) -> None:
        """A pipeline as the SDK sends it: its job spec a Struct, snake_case, integers as floats."""
        workers = self._workers(data, resource_id)
        inputs = {"worker_pool_specs": [as_struct(worker) for worker in workers], "persistent_resource_id": resource_id}
        body = {"displayName": "pipe", "trainingTaskDefinition": CUSTOM_TASK, "trainingTaskInputs": inputs}
        response = self.http.post(f"/v1/{PARENT}/trainingPipelines", json=body)
        expected, job, refused = self.model.create_pipeline(resource_id, workers)
        self._expect(response, expected, "create pipeline")
        if expected != OK:
            return
        created = response.get_json()
        backing = created.get("trainingTaskMetadata", {}).get("backingCustomJob")
        assert (backing is None) == (job is None), created
        if job is not None:
            self.model.add_job(backing, job)
            self.known_jobs.append(backing)
        self.model.pipelines[created["name"]] = Pipeline(backing, refused)
        self.known_pipelines.append(created["name"])
        event("create pipeline: refused by the admission" if job is None else "create pipeline: runs its job")

    def _some_pipeline(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from([*self.known_pipelines, NO_SUCH_PIPELINE]))

    @rule(data=st.data())
    def cancel_pipeline(self, data: st.DataObject) -> None:
        name = self._some_pipeline(data)
        response = self.http.post(f"/v1/{name}:cancel", json={})
        self._expect(response, self.model.cancel_pipeline(name), "cancel pipeline")

    @rule(data=st.data())
    def delete_pipeline(self, data: st.DataObject) -> None:
        name = self._some_pipeline(data)
        self._expect(self.http.delete(f"/v1/{name}"), self.model.delete_pipeline(name), "delete pipeline")

    def _check_pipelines(self) -> None:
        """Each pipeline is listed once, in its job's state with its job's error; terminal stays terminal."""
        listed = self._listed("trainingPipelines", 3)
        assert sorted(p["name"] for p in listed) == sorted(self.model.pipelines), "every pipeline once"
        for shown in listed:
            state, code = self.model.pipeline_state(self.model.pipelines[shown["name"]])
            assert (shown["state"], shown.get("error", {}).get("code")) == (state, code), shown["name"]
            if state in PIPELINE_TERMINAL:
                assert self.ended.setdefault(shown["name"], state) == state, "a terminal state never changes"

    # ---- time

    @rule(seconds=st.sampled_from((0.5, 1.0, 2.0, 3.0, 7.0)))
    def advance_clock(self, seconds: float) -> None:
        self._expect(self.http.post("/emulator/v1/clock:advance", json={"seconds": seconds}), OK)
        self.model.advance(seconds)

    # ---- invariants

    def _listed(self, collection: str, page_size: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = ""
        while True:
            response = self.http.get(f"/v1/{PARENT}/{collection}?pageSize={page_size}&pageToken={token}")
            assert response.status_code == 200, response.get_data(as_text=True)
            body = response.get_json()
            found += body.get(collection, [])
            token = body.get("nextPageToken", "")
            if not token:
                return found

    @invariant()
    def the_emulator_agrees_with_the_model(self) -> None:
        resources = self._listed("persistentResources", 2)
        jobs = self._listed("customJobs", 4)
        self._check_resources(resources)
        self._check_jobs(jobs, {resource["name"]: resource["state"] for resource in resources})
        self._check_pipelines()
        self.reads += 1
        self._read(self.made()[self.reads % len(self.made())])
        operations = list(self.operations)
        self._check_operation(operations[self.reads % len(operations)])

    @invariant()
    def the_state_exports_and_imports_to_the_same_state(self) -> None:
        exported = self.service.export_state()
        fresh = Service(clock=ManualClock(), settings=self.service.settings)
        fresh.import_state(exported)
        assert fresh.export_state() == exported

    def teardown(self) -> None:
        for name in self.made():
            self._read(name)
        for operation in self.operations:
            self._check_operation(operation)
        if self.store is not None and self.data_dir is not None:
            exported = self.service.export_state()
            self.store.close()
            reopened = Service(clock=ManualClock(), settings=self.service.settings)
            again = store.attach(reopened, self.data_dir.name)
            try:
                assert again.restored and reopened.export_state() == exported, "the data dir reopens to the state"
            finally:
                again.close()
                self.data_dir.cleanup()

    def _check_operation(self, name: str) -> None:
        """An operation stays readable; once done it carries the resource (or Empty) or an error."""
        read = self.http.get(f"/v1/{name}")
        self._expect(read, OK)
        operation = read.get_json()
        if not operation.get("done"):
            assert "response" not in operation and "error" not in operation
            return
        assert ("response" in operation) != ("error" in operation), "a finished operation has one outcome"
        call, resource = self.operations[name]
        if "error" in operation:
            json_format.ParseDict(operation["error"], status_pb2.Status())
            assert 1 <= operation["error"]["code"] <= 16 and operation["error"]["message"]
        elif call != "delete resource":
            assert operation["response"].get("name") == resource, f"{call} finished without the resource"

    def made(self) -> list[str]:
        """Every object the run made (or tried to: resource names are few and reused)."""
        return [*(f"{PARENT}/persistentResources/{resource_id}" for resource_id in RESOURCE_IDS), *self.known_jobs]

    def _read(self, name: str) -> None:
        """An object reads as the model has it, or is NOT_FOUND when the model has none."""
        read = self.http.get(f"/v1/{name}")
        exists = name in self.model.resources or name in self.model.jobs
        self._expect(read, OK if exists else NOT_FOUND)
        if exists:
            model = self.model.resources.get(name) or self.model.jobs[name]
            assert read.get_json()["state"] == model.state

    def _check_resources(self, listed: list[dict[str, Any]]) -> None:
        """Each resource is listed once, in its model state, and its pools' books balance."""
        names = [resource["name"] for resource in listed]
        assert sorted(names) == sorted(self.model.resources), "every resource appears exactly once"
        for shown in listed:
            name = shown["name"]
            assert shown["state"] == self.model.resources[name].state
            for pool in shown["resourcePools"]:
                used = int(pool.get("usedReplicaCount", "0"))
                model_pool = self.model.resources[name].pools[pool["id"]]
                assert 0 <= used <= model_pool.capacity
                assert used == self.model.used(name, pool["id"]), "used replicas are those of the holding jobs"
                if model_pool.autoscaling is None:
                    assert int(pool["replicaCount"]) == model_pool.capacity

    def _check_jobs(self, listed: list[dict[str, Any]], resource_states: dict[str, str]) -> None:
        """Each job is listed once, in its model state; terminal states never change; a job that
        holds replicas sits on a RUNNING (or UPDATING) resource."""
        names = [job["name"] for job in listed]
        assert sorted(names) == sorted(self.model.jobs), "every job appears exactly once"
        for shown in listed:
            name = shown["name"]
            job = self.model.jobs[name]
            assert shown["state"] == job.state, name
            assert shown.get("error", {}).get("code") == job.error_code, name
            if shown["state"] in TERMINAL:
                assert self.ended.setdefault(name, shown["state"]) == shown["state"], "a terminal state never changes"
            if job.holds:
                assert resource_states.get(job.resource or "") in ("RUNNING", "UPDATING")


class QueueingMachine(EmulatorMachine):
    """The same calls with admission policy ``queue``: jobs that do not fit now wait their turn."""

    policy = "queue"


TestRejectPolicy = EmulatorMachine.TestCase
TestQueuePolicy = QueueingMachine.TestCase
TestRejectPolicy.settings = settings(settings.default, max_examples=max(10, settings.default.max_examples // 10))
"""A run is many calls: a tenth of the profile's examples, each of ``stateful_step_count`` steps."""
TestQueuePolicy.settings = TestRejectPolicy.settings


def test_an_update_cut_short_by_a_delete_ends_with_an_error() -> None:
    """Regression, found by the operation invariant: deleting a resource while it was UPDATING
    finished the update operation "done" with an empty PersistentResource, so ``result()`` of the
    update returned a resource without a name instead of raising."""
    http = make_app(Service(clock=ManualClock(), settings=Settings(**DELAYS))).test_client()
    pool = {"id": "p", "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"}
    http.post(f"/v1/{PARENT}/persistentResources?persistentResourceId=pr-a", json={"resourcePools": [pool]})
    http.post("/emulator/v1/clock:advance", json={"seconds": DELAYS["provision_delay"]})
    name = f"{PARENT}/persistentResources/pr-a"
    update = http.patch(f"/v1/{name}?updateMask=resourcePools.replicaCount", json={"resourcePools": [pool]})
    http.delete(f"/v1/{name}")
    done = http.get(f"/v1/{update.get_json()['name']}").get_json()
    assert done["done"] and done["error"]["code"] == 1 and "response" not in done


# ------------------------------------------------------------------- hyperparameter tuning jobs


class TuningMachine(RuleBasedStateMachine):
    """Tuning jobs whose trials compete with each other and with plain jobs for one resource's pools.

    Invariants after every step: no pool holds more replicas than it has; a tuning job never has
    more than ``parallelTrialCount`` open trials (so never more ACTIVE); a trial is open exactly while
    its CustomJob has not ended, and ACTIVE trials' jobs hold replicas or run; a tuning job that has
    ended (CANCELLED above all) holds nothing. At the end, with the clock moved far enough, every
    trial and every tuning job has ended.
    """

    RESOURCE = f"{PARENT}/persistentResources/pr-a"

    def __init__(self) -> None:
        super().__init__()
        self.service = Service(clock=ManualClock(), settings=Settings(**DELAYS), seed=5)
        self.audit = MarkAudit(self.service)
        self.capacity = 3
        pool = {"id": "p", "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": str(self.capacity)}
        self.service.seed_resource(PARENT, "pr-a", {"resourcePools": [pool]})
        self.tuning: list[str] = []

    def _trial_job(self, replicas: int) -> dict[str, Any]:
        return {
            "persistentResourceId": "pr-a",
            "workerPoolSpecs": [
                {
                    "machineSpec": {"machineType": "n1-standard-4"},
                    "replicaCount": str(replicas),
                    "containerSpec": {"imageUri": "gcr.io/p/t:1"},
                }
            ],
        }

    @rule(
        most=st.integers(1, 5),
        data=st.data(),
        replicas=st.integers(1, 3),
        algorithm=st.sampled_from(["RANDOM_SEARCH", "GRID_SEARCH"]),
    )
    def create_tuning_job(self, most: int, data: st.DataObject, replicas: int, algorithm: str) -> None:
        body = {
            "displayName": "hp",
            "studySpec": {
                "metrics": [{"metricId": "loss", "goal": "MINIMIZE"}],
                "parameters": [{"parameterId": "n", "integerValueSpec": {"minValue": "1", "maxValue": "3"}}],
                "algorithm": algorithm,
            },
            "maxTrialCount": most,
            "parallelTrialCount": data.draw(st.integers(1, most), label="parallel"),
            "maxFailedTrialCount": data.draw(st.integers(0, most), label="failed"),
            "trialJobSpec": self._trial_job(replicas),
        }
        try:
            record = self.service.create_tuning_job(PARENT, body, "v1")
        except ApiError as error:
            assert error.code is Code.NOT_FOUND or error.code is Code.FAILED_PRECONDITION, error
            return
        self.tuning.append(record.name)

    @rule(replicas=st.integers(1, 2))
    def create_plain_job(self, replicas: int) -> None:
        body = {"displayName": "other", "jobSpec": self._trial_job(replicas)}
        try:
            self.service.create_job(PARENT, body, "v1")
        except ApiError as error:
            assert error.code in (Code.FAILED_PRECONDITION, Code.NOT_FOUND), error

    @rule(data=st.data(), metric=st.floats(0, 1), infeasible=st.booleans())
    def set_trial_outcome(self, data: st.DataObject, metric: float, infeasible: bool) -> None:
        if not self.tuning:
            return
        name = data.draw(st.sampled_from(self.tuning), label="tuning job")
        record = self.service.get_tuning_job(name)
        trial_id = str(data.draw(st.integers(1, int(record.spec["maxTrialCount"])), label="trial"))
        try:
            if infeasible:
                self.service.set_trial_outcome(name, trial_id, state="INFEASIBLE", reason="diverged")
            else:
                self.service.set_trial_outcome(name, trial_id, metrics={"loss": metric})
        except ApiError as error:
            assert error.code is Code.FAILED_PRECONDITION, error

    @rule(data=st.data())
    def cancel_tuning_job(self, data: st.DataObject) -> None:
        if not self.tuning:
            return
        name = data.draw(st.sampled_from(self.tuning), label="tuning job")
        try:
            self.service.cancel_tuning_job(name)
        except ApiError as error:
            assert error.code is Code.FAILED_PRECONDITION and self.service.get_tuning_job(name).terminal

    @rule(data=st.data())
    def cancel_a_trials_job(self, data: st.DataObject) -> None:
        """Cancelling a trial's job from outside cancels its tuning job (as deleting the resource does)."""
        jobs = [trial.custom_job for name in self.tuning for trial in self.service.get_tuning_job(name).open_trials]
        if not jobs:
            return
        try:
            self.service.cancel_job(data.draw(st.sampled_from(jobs), label="trial job") or "")
        except ApiError as error:
            assert error.code is Code.FAILED_PRECONDITION, error

    @rule(seconds=st.sampled_from([0.0, 1.0, 2.0, 6.0]))
    def advance(self, seconds: float) -> None:
        self.service.advance(seconds)

    @rule()
    def delete_resource(self) -> None:
        try:
            self.service.delete_resource(self.RESOURCE, "v1")
        except ApiError as error:
            assert error.code in (Code.NOT_FOUND, Code.FAILED_PRECONDITION), error

    @invariant()
    def pools_never_exceed_their_replicas_and_trials_follow_their_jobs(self) -> None:
        with self.service.lock:
            resource = self.service.registry.find(self.RESOURCE)
            if resource is not None:
                held = resource.holders["p"]
                assert sum(held.values()) <= self.capacity
            for name in self.tuning:
                record = self.service.registry.find(name)
                open_trials = record.open_trials
                assert len(open_trials) <= int(record.spec["parallelTrialCount"])
                for trial in record.trials:
                    job = self.service.registry.find(trial.custom_job) if trial.custom_job else None
                    if job is None:
                        assert trial.state == "INFEASIBLE", "a trial without a job never started"
                        continue
                    assert trial.open == (not job.terminal), (trial, job.state)
                    if trial.state == "ACTIVE":
                        assert not job.waiting, "an ACTIVE trial's job holds replicas"
                if record.terminal:
                    assert not open_trials, "an ended tuning job holds nothing"
                    assert record.state != "JOB_STATE_CANCELLED" or all(
                        self.service.registry.find(trial.custom_job).terminal
                        for trial in record.trials
                        if trial.custom_job
                    )

    def teardown(self) -> None:
        """Trials queue behind each other: each ends within a job's delays once it holds replicas,
        so the clock moves on, boundedly, until the last of them has ended."""
        records = [self.service.get_tuning_job(name) for name in self.tuning]
        for _ in range(1000):
            if all(record.terminal for record in records):
                break
            self.service.advance(10)
        for name in self.tuning:
            record = self.service.get_tuning_job(name)
            assert record.terminal, (name, record.state, [trial.state for trial in record.trials])
            assert all(trial.state in ("SUCCEEDED", "INFEASIBLE") for trial in record.trials)
        exported = self.service.export_state()
        again = Service(clock=ManualClock(), settings=self.service.settings)
        again.import_state(exported)
        assert again.export_state() == exported, "tuning jobs and their trials export and import whole"


TestTuningJobs = TuningMachine.TestCase
TestTuningJobs.settings = TestRejectPolicy.settings
