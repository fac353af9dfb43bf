"""The scheduling rules, stated as properties and checked on generated resources and jobs.

Read top to bottom, this file is the specification of how a custom job lands on a persistent
resource:

1. **Matching is exact.** A worker pool runs on a resource pool only if their machine specs are
   equal field for field and their disk specs are equal once the server's defaults are filled in
   (``pd-ssd``, or ``hyperdisk-balanced`` on A3 Ultra, and 100 GB). Writing a default out or
   leaving it implicit never matters; changing any one field always does, and the error names it.
2. **A job is admitted exactly when it fits.** Its worker pools must go to matching pools whose
   free replicas (capacity minus what other jobs hold) cover them; a job that would not fit even
   on empty pools is INVALID_ARGUMENT, one that only lacks free replicas now is
   FAILED_PRECONDITION. Pools with jobs queued for them have no room for newcomers.
3. **Accounting.** A pool's used replicas are always the sum of what the jobs holding it hold;
   releasing a job gives back exactly what it held; capacity is never exceeded.
4. **Queueing** (admission policy ``queue``): waiting jobs start in first-in-first-out order per
   pool, the head of a pool's queue starts as soon as it fits, and capacity is never exceeded.

The oracles here are written from the documentation, not from the emulator's code: matching is
decided on :meth:`strategies.Hardware.effective`, and fitting by trying every assignment of worker
pools to pools.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import types
from hypothesis import example, given
from hypothesis import strategies as st

from tests import strategies as s
from vertex_emulator.clock import ManualClock
from vertex_emulator.domain import resources
from vertex_emulator.domain.admission import NoFreeReplicas, admit
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.service import Service
from vertex_emulator.settings import Settings

Dict = dict[str, Any]
Held = dict[str, dict[str, int]]


def _resource_with(*pools: Dict) -> Dict:
    return {"name": "projects/p/locations/l/persistentResources/pr", "state": "RUNNING", "resourcePools": list(pools)}


def _fixed_pool(spec: s.Hardware, replicas: int = 4, pool_id: str = "pool-0") -> Dict:
    pool: Dict = {"id": pool_id, "machineSpec": spec.machine, "replicaCount": str(replicas)}
    if spec.disk is not None:
        pool["diskSpec"] = spec.disk
    return pool


def _single_worker_job(spec: s.Hardware, replicas: int = 1) -> Dict:
    worker: Dict = {"machineSpec": spec.machine, "replicaCount": str(replicas), "containerSpec": {"imageUri": s.IMAGE}}
    if spec.disk is not None:
        worker["diskSpec"] = spec.disk
    return s.custom_job([worker])


def _workers(job: Dict) -> list[tuple[int, s.Hardware, int]]:
    """The non-empty worker pools of a job: (index, hardware, replicas)."""
    return [
        (index, s.Hardware(worker["machineSpec"], worker.get("diskSpec")), int(worker["replicaCount"]))
        for index, worker in enumerate(job["jobSpec"]["workerPoolSpecs"])
        if worker
    ]


def _matching(spec: s.Hardware, resource: Dict) -> list[str]:
    return [pool["id"] for pool in resource["resourcePools"] if s.hardware_of(pool).effective() == spec.effective()]


def _fits(job: Dict, resource: Dict, room: Mapping[str, int]) -> bool:
    """Whether some assignment of the job's worker pools to matching pools stays within ``room``."""
    workers = _workers(job)
    choices = [_matching(spec, resource) for _, spec, _ in workers]
    for assignment in itertools.product(*choices):
        demand: dict[str, int] = {}
        for pool_id, (_, _, replicas) in zip(assignment, workers, strict=True):
            demand[pool_id] = demand.get(pool_id, 0) + replicas
        if all(count <= room[pool_id] for pool_id, count in demand.items()):
            return True
    return False


# --------------------------------------------------------------------- 1. matching is exact


def test_the_strategies_can_change_every_field_of_machine_spec_and_disk_spec() -> None:
    """Every leaf field of the official ``MachineSpec`` and ``DiskSpec`` takes part in matching.

    If the proto gains a field, this fails until the strategies learn to vary it too.
    """
    assert set(s.FIELD_VALUES) == set(s.MACHINE_FIELDS) | set(s.DISK_FIELDS)


@given(st.data(), s.hardware(), st.booleans())
def test_a_worker_pool_matches_a_pool_of_the_same_effective_spec_however_defaults_are_written(
    data: st.DataObject, spec: s.Hardware, normalized: bool
) -> None:
    """Filling in defaults never breaks a match: an omitted disk type or size is the default, and
    an empty message (``reservationAffinity: {}``) is the same as none.

    The pool is given as a user writes it or as the server stores it (defaults filled in).
    """
    body = _resource_with(_fixed_pool(spec))
    resource = {**body, **resources.normalize(body, "pr")} if normalized else body
    written = data.draw(s.written_differently(spec))
    placement = admit(_single_worker_job(written), resource, {})
    assert placement.pools == ("pool-0",)
    assert placement.demand == {"pool-0": 1}


def test_an_empty_message_on_one_side_only_still_matches() -> None:
    """Regression, found by the property above: ``reservationAffinity: {}`` on the job but not on
    the pool refused the job, with a message that listed no differing field."""
    machine = {"machineType": "n1-standard-4"}
    job = _single_worker_job(s.Hardware({**machine, "reservationAffinity": {}}, None))
    assert admit(job, _resource_with(_fixed_pool(s.Hardware(machine, None))), {}).pools == ("pool-0",)


@given(st.data(), s.hardware())
def test_changing_any_one_field_of_the_effective_spec_breaks_the_match(data: st.DataObject, spec: s.Hardware) -> None:
    """Any single field that differs refuses the job with INVALID_ARGUMENT naming that field."""
    change = data.draw(s.one_field_changes(spec))
    with pytest.raises(ApiError) as refused:
        admit(_single_worker_job(change.apply(spec)), _resource_with(_fixed_pool(spec)), {})
    assert refused.value.code is Code.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == [f"job_spec.worker_pool_specs[0].{change.field_path}"]
    assert 'closest resource pool "pool-0"' in refused.value.message


# ------------------------------------------------------------------ 2. admitted exactly when it fits


@st.composite
def holdings(draw: st.DrawFn, resource: Dict) -> Held:
    """Replicas other jobs hold on each pool: anything from none to the whole pool, in one or two jobs."""
    held: Held = {}
    for pool in resource["resourcePools"]:
        total = draw(st.integers(0, s.capacity(pool)))
        first = draw(st.integers(0, total))
        held[pool["id"]] = {name: count for name, count in (("job-a", first), ("job-b", total - first)) if count}
    return held


@st.composite
def admission_cases(draw: st.DrawFn) -> tuple[Dict, Dict, Held, set[str]]:
    resource = draw(s.persistent_resources(shared_hardware=True))
    job = draw(s.jobs_for(resource, max_replicas=6))
    held = draw(holdings(resource))
    blocked = draw(st.sets(st.sampled_from([pool["id"] for pool in resource["resourcePools"]]), max_size=1))
    return resource, job, held, blocked


def _two_equal_pools() -> tuple[Dict, Dict, Held, set[str]]:
    """Two pools of the same hardware, 3 and 2 replicas; workers of 2 and 3 fit only one way round."""
    spec = s.Hardware({"machineType": "n1-standard-4"}, None)
    resource = _resource_with(_fixed_pool(spec, 3, "big"), _fixed_pool(spec, 2, "small"))
    worker = _single_worker_job(spec)["jobSpec"]["workerPoolSpecs"][0]
    job = s.custom_job([{**worker, "replicaCount": "2"}, {**worker, "replicaCount": "3"}])
    return resource, job, {}, set()


@given(admission_cases())
@example(_two_equal_pools()).via("first-fit placement must not miss an assignment that fits")
def test_a_job_is_admitted_exactly_when_its_worker_pools_fit_in_the_free_replicas(
    case: tuple[Dict, Dict, Held, set[str]],
) -> None:
    """Capacity minus held replicas is what a job may use; queued-for pools offer new jobs nothing.

    - fits in the free replicas: admitted, each worker pool on a matching pool, demand added up;
    - fits only in the pools' full capacity: FAILED_PRECONDITION (replicas are busy right now);
    - does not fit even then: INVALID_ARGUMENT (it never could).
    """
    resource, job, held, blocked = case
    pools = {pool["id"]: pool for pool in resource["resourcePools"]}
    full = {pool_id: s.capacity(pool) for pool_id, pool in pools.items()}
    free = {
        pool_id: 0 if pool_id in blocked else room - sum(held.get(pool_id, {}).values())
        for pool_id, room in full.items()
    }
    try:
        placement = admit(job, resource, held, blocked=blocked)
    except NoFreeReplicas as busy:
        assert busy.code is Code.FAILED_PRECONDITION
        assert _fits(job, resource, full) and not _fits(job, resource, free)
        return
    except ApiError as never:
        assert never.code is Code.INVALID_ARGUMENT
        assert not _fits(job, resource, full)
        return
    assert _fits(job, resource, free)
    demand: dict[str, int] = {}
    for index, spec, replicas in _workers(job):
        pool_id = placement.pools[index]
        assert pool_id in _matching(spec, resource)
        demand[pool_id] = demand.get(pool_id, 0) + replicas
    assert dict(placement.demand) == demand
    assert all(count <= free[pool_id] for pool_id, count in demand.items())
    skipped = [index for index, worker in enumerate(job["jobSpec"]["workerPoolSpecs"]) if not worker]
    assert all(placement.pools[index] is None for index in skipped)


def test_placement_tries_identical_pools_once_each_room() -> None:
    """Two hundred identical one-replica pools and five worker pools that cannot all fit: trying
    every ordering of the identical pools would take billions of steps; twins are tried once."""
    spec = s.Hardware({"machineType": "n1-standard-4"}, None)
    resource = _resource_with(*(_fixed_pool(spec, 1, f"p{index}") for index in range(200)))
    worker = _single_worker_job(spec)["jobSpec"]["workerPoolSpecs"][0]
    job = s.custom_job([*([worker] * 4), {**worker, "replicaCount": "2"}])
    with pytest.raises(ApiError) as refused:
        admit(job, resource, {})
    assert refused.value.code is Code.INVALID_ARGUMENT
    assert "Worker pool 4" in refused.value.message


@given(s.persistent_resources(max_pools=2), st.data())
def test_only_a_running_persistent_resource_admits_jobs(resource: Dict, data: st.DataObject) -> None:
    """PROVISIONING, UPDATING, REBOOTING, STOPPING, ERROR: FAILED_PRECONDITION, even for a job that fits."""
    states = [state.name for state in types.PersistentResource.State if state.name != "RUNNING"]
    stopped = {**resource, "state": data.draw(st.sampled_from(states))}
    with pytest.raises(ApiError) as refused:
        admit(data.draw(s.jobs_for(resource, max_replicas=1)), stopped, {})
    assert refused.value.code is Code.FAILED_PRECONDITION
    assert stopped["state"] in refused.value.message


NETWORKS = st.sampled_from(("", "projects/1/global/networks/a", "projects/1/global/networks/b"))
KEYS = st.sampled_from(
    ("", "projects/p/locations/l/keyRings/r/cryptoKeys/k1", "projects/p/locations/l/keyRings/r/cryptoKeys/k2")
)


@given(s.persistent_resources(max_pools=1), st.data(), NETWORKS, NETWORKS, KEYS, KEYS)
def test_network_and_cmek_of_the_job_must_be_those_of_the_resource(
    resource: Dict, data: st.DataObject, job_network: str, network: str, job_key: str, key: str
) -> None:
    """ "The network and CMEK configs on the job should be consistent with those on the PersistentResource"."""
    job = data.draw(s.jobs_for(resource, max_workers=1, max_replicas=1))
    job["jobSpec"]["network"] = job_network
    job["encryptionSpec"] = {"kmsKeyName": job_key}
    target = {**resource, "network": network, "encryptionSpec": {"kmsKeyName": key}}
    if (job_network, job_key) == (network, key):
        admit(job, target, {})
        return
    with pytest.raises(ApiError) as refused:
        admit(job, target, {})
    assert refused.value.code is Code.INVALID_ARGUMENT
    wrong = {"job_spec.network"} if job_network != network else set()
    wrong |= {"encryption_spec.kms_key_name"} if job_key != key else set()
    assert {v.field for v in refused.value.violations} == wrong


# ---------------------------------------------------------------------------------- 3. accounting


@st.composite
def accounting_runs(draw: st.DrawFn) -> tuple[Dict, list[tuple[str, Any]]]:
    """A resource and a run of admissions and releases: ("admit", job) or ("release", job index)."""
    resource = draw(s.persistent_resources(shared_hardware=True))
    steps = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("admit"), s.jobs_for(resource, max_replicas=5)),
                st.tuples(st.just("release"), st.integers(0, 30)),
            ),
            max_size=25,
        )
    )
    return resource, steps


def _check_accounting(record: PersistentResource, model: Held) -> None:
    rendered = {pool["id"]: pool for pool in record.render()["resourcePools"]}
    for pool in record.pools:
        pool_id = pool["id"]
        held = sum(model.get(pool_id, {}).values())
        assert record.used(pool_id) == held, "used replicas are the sum over the jobs holding them"
        assert 0 <= held <= s.capacity(pool), "capacity is never exceeded"
        assert int(rendered[pool_id].get("usedReplicaCount", "0")) == held
        provisioned = int(rendered[pool_id]["replicaCount"])
        if "autoscalingSpec" in pool:
            low = int(pool["autoscalingSpec"]["minReplicaCount"])
            assert max(low, held) <= provisioned <= s.capacity(pool), "an autoscaled pool grows to what is used"
        else:
            assert provisioned == s.capacity(pool), "a fixed pool keeps its replica count"


@given(accounting_runs())
def test_held_replicas_always_equal_the_sum_over_the_jobs_that_hold_them(
    run: tuple[Dict, list[tuple[str, Any]]],
) -> None:
    """Admit and release jobs in any order: the pools' books balance after every step, and
    releasing a job gives back exactly what it held, no more and no less."""
    body, steps = run
    record = PersistentResource(
        name=body["name"], spec=resources.normalize(dict(body), "pr"), version="v1", seq=1, create_time=0, update_time=0
    )
    record.state = resources.RUNNING
    model: Held = {}
    admitted: list[str] = []
    for number, (kind, argument) in enumerate(steps):
        if kind == "admit":
            try:
                placement = admit(argument, record.admission_view(), record.holders)
            except ApiError:
                continue
            name = f"job-{number}"
            record.hold(name, dict(placement.demand))
            admitted.append(name)
            for pool_id, count in placement.demand.items():
                model.setdefault(pool_id, {})[name] = count
        elif admitted:
            name = admitted.pop(argument % len(admitted))
            expected = {pool_id: jobs[name] for pool_id, jobs in model.items() if name in jobs}
            assert record.release(name) == expected
            for jobs in model.values():
                jobs.pop(name, None)
            assert record.release(name) == {}, "a second release gives back nothing"
        _check_accounting(record, model)


# ---------------------------------------------------------------------------------- 4. queueing

PARENT = "projects/p/locations/us-central1"


@dataclass
class QueueRun:
    """A queue-mode service with one resource, and what the test knows about the jobs it made."""

    service: Service
    resource: str
    jobs: list[str] = field(default_factory=list)
    demand: dict[str, dict[str, int]] = field(default_factory=dict)
    admitted: set[str] = field(default_factory=set)
    never_held: set[str] = field(default_factory=set)

    def record(self) -> PersistentResource:
        return self.service.get_resource(self.resource)

    def job(self, name: str) -> Any:
        return self.service.get_job(name)

    def waiting(self) -> list[str]:
        """Jobs waiting for replicas, oldest first."""
        return [name for name in self.jobs if self.job(name).waiting]

    def holding(self) -> list[str]:
        """Jobs admitted and not yet terminal: they hold their replicas (CANCELLING ones too)."""
        return [
            name
            for name in self.jobs
            if name not in self.never_held and not self.job(name).terminal and not self.job(name).waiting
        ]


def _demand(job: Dict, resource: Dict) -> dict[str, int]:
    """Per pool, the replicas a job needs; the queue tests give every pool its own hardware."""
    demand: dict[str, int] = {}
    for _, spec, replicas in _workers(job):
        (pool_id,) = _matching(spec, resource)
        demand[pool_id] = demand.get(pool_id, 0) + replicas
    return demand


def _queue_step(run: QueueRun, step: tuple[str, Any], body: Dict) -> None:
    kind, argument = step
    try:
        if kind == "submit":
            job = run.service.create_job(PARENT, argument, "v1")
            run.jobs.append(job.name)
            run.demand[job.name] = _demand(argument, body)
        elif kind == "advance":
            run.service.advance(argument)
        elif kind == "resize":
            pools = [{"replicaCount": str(count)} for count in argument]
            run.service.update_resource(run.resource, {"resourcePools": pools}, "resourcePools.replicaCount", "v1")
        elif run.jobs:
            name = run.jobs[argument % len(run.jobs)]
            if kind == "cancel":
                if run.job(name).waiting:
                    run.never_held.add(name)
                run.service.cancel_job(name)
            else:
                run.service.set_outcome(name, kind, None, None, None)
    except ApiError as refused:
        assert 400 <= refused.status < 500


def _check_queue(run: QueueRun) -> None:
    record = run.record()
    free = {pool["id"]: s.capacity(pool) - record.used(pool["id"]) for pool in record.pools}
    for pool in record.pools:
        holding = sum(run.demand[name].get(pool["id"], 0) for name in run.holding())
        assert record.used(pool["id"]) == holding <= s.capacity(pool), "capacity is never exceeded"
    waiting = run.waiting()
    for name in run.holding():
        if name not in run.admitted:
            run.admitted.add(name)
            overtaken = [
                earlier
                for earlier in waiting
                if run.jobs.index(earlier) < run.jobs.index(name)
                and run.demand[earlier].keys() & run.demand[name].keys()
            ]
            assert not overtaken, f"{name} started before {overtaken}, queued earlier for the same pool"
    if record.state != resources.RUNNING:
        return
    for position, name in enumerate(waiting):
        ahead = [earlier for earlier in waiting[:position] if run.demand[earlier].keys() & run.demand[name].keys()]
        fits = all(count <= free[pool_id] for pool_id, count in run.demand[name].items())
        assert ahead or not fits, f"{name} heads its pools' queues and fits, but still waits"


@st.composite
def queue_runs(draw: st.DrawFn) -> tuple[Dict, list[tuple[str, Any]]]:
    resource = draw(s.persistent_resources(max_pools=3))
    for pool in resource["resourcePools"]:
        pool.pop("autoscalingSpec", None)
        pool["replicaCount"] = str(draw(st.integers(1, 4)))
    count = len(resource["resourcePools"])
    steps = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("submit"), s.jobs_for(resource, max_workers=2, max_replicas=3)),
                st.tuples(st.sampled_from(["cancel", "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED"]), st.integers(0, 20)),
                st.tuples(st.just("advance"), st.sampled_from([0.5, 1.0, 2.0])),
                st.tuples(st.just("resize"), st.lists(st.integers(1, 5), min_size=count, max_size=count)),
            ),
            max_size=30,
        )
    )
    return resource, steps


def _failed_while_queued() -> tuple[Dict, list[tuple[str, Any]]]:
    """One pool of 2: a job of 1 runs, a job of 2 waits and a job of 1 waits behind it; then the
    job of 2 is failed through the control API while it waits. The job of 1 now fits and heads
    the queue."""
    spec = s.Hardware({"machineType": "n1-standard-4"}, None)
    resource = _resource_with(_fixed_pool(spec, 2))
    steps: list[tuple[str, Any]] = [("submit", _single_worker_job(spec, replicas)) for replicas in (1, 2, 1)]
    return resource, [*steps, ("JOB_STATE_FAILED", 1)]


def _outgrown_while_queued() -> tuple[Dict, list[tuple[str, Any]]]:
    """One pool of 4: a job of 2 runs and a job of 4 waits; the pool shrinks to 3, so the waiting
    job can never fit and fails; a job of 1 then fits and starts, overtaking nobody."""
    spec = s.Hardware({"machineType": "n1-standard-4"}, None)
    resource = _resource_with(_fixed_pool(spec, 4))
    steps: list[tuple[str, Any]] = [("submit", _single_worker_job(spec, replicas)) for replicas in (2, 4)]
    return resource, [*steps, ("resize", [3]), ("advance", 1.0), ("submit", _single_worker_job(spec, 1))]


@given(queue_runs())
@example(_failed_while_queued()).via("a job that ends while it waits must let the jobs behind it start")
@example(_outgrown_while_queued()).via("a job failed out of the queue no longer waits")
def test_queued_jobs_start_in_fifo_order_per_pool_as_soon_as_they_fit(
    run_case: tuple[Dict, list[tuple[str, Any]]],
) -> None:
    """Admission policy ``queue``: a job that fits the pools but not their free replicas waits.

    After every call: no job started while an older job waiting for one of its pools still waits
    (first in, first out per pool); no waiting job that heads the queue of each of its pools and
    fits in the free replicas is left waiting (it starts as soon as it fits); the pools' used
    replicas are those of the jobs holding them, never above capacity.
    """
    body, steps = run_case
    settings = Settings(admission="queue", job_duration=None, cancel_delay=1.0, update_delay=1.0, job_queued_delay=1.0)
    service = Service(clock=ManualClock(), settings=settings, seed=1)
    resource = service.seed_resource(PARENT, "pr", {"resourcePools": [dict(pool) for pool in body["resourcePools"]]})
    run = QueueRun(service, resource.name)
    for step in steps:
        _queue_step(run, step, body)
        _check_queue(run)


# ------------------------------------------------------------------- hyperparameter tuning trials


@given(
    capacity=st.integers(1, 6),
    replicas=st.integers(1, 3),
    others=st.integers(0, 6),
    limits=st.integers(1, 6).flatmap(lambda most: st.tuples(st.just(most), st.integers(1, most))),
    policy=st.sampled_from(["reject", "queue"]),
)
def test_trials_run_as_many_at_once_as_fit_and_parallel_allows_then_all_end(
    capacity: int, replicas: int, others: int, limits: tuple[int, int], policy: str
) -> None:
    """**Tuning trials** take a pool's replicas like any job: at once, as many trials are ACTIVE as
    both ``parallelTrialCount`` and the free replicas allow (the others wait REQUESTED, whatever the
    admission policy), the pool is never over-committed, and once jobs end every trial ends."""
    from vertex_emulator.domain import tuning

    replicas = min(replicas, capacity)
    most, parallel = limits
    service = Service(clock=ManualClock(), settings=Settings(admission=policy, job_duration=None), seed=1)
    machine = {"machineType": "n1-standard-4"}
    pool = {"id": "p", "machineSpec": machine, "replicaCount": str(capacity)}
    service.seed_resource("projects/p/locations/l", "pr", {"resourcePools": [pool]})
    worker = {"machineSpec": machine, "containerSpec": {"imageUri": "i"}}
    held = min(others, capacity)
    if held:
        job_spec = {"persistentResourceId": "pr", "workerPoolSpecs": [{**worker, "replicaCount": str(held)}]}
        service.create_job("projects/p/locations/l", {"displayName": "other", "jobSpec": job_spec}, "v1")
    trial_pool = {**worker, "replicaCount": str(replicas)}
    body = {
        "displayName": "hp",
        "studySpec": {
            "metrics": [{"metricId": "m", "goal": "MAXIMIZE"}],
            "parameters": [{"parameterId": "x", "doubleValueSpec": {"minValue": 0.0, "maxValue": 1.0}}],
        },
        "maxTrialCount": most,
        "parallelTrialCount": parallel,
        "trialJobSpec": {"persistentResourceId": "pr", "workerPoolSpecs": [trial_pool]},
    }
    record = service.create_tuning_job("projects/p/locations/l", body, "v1")
    active = [trial for trial in record.trials if trial.state == tuning.ACTIVE]
    assert len(active) == min(parallel, (capacity - held) // replicas)
    assert len(record.open_trials) == parallel
    resource = service.get_resource("projects/p/locations/l/persistentResources/pr")
    for _ in range(2 * most + 2):
        assert resource.used("p") <= capacity
        assert sum(trial.state == tuning.ACTIVE for trial in record.trials) <= parallel
        for name in [*resource.holders["p"]]:
            service.set_outcome(name, "JOB_STATE_SUCCEEDED", None, None, None)
        service.advance(0)
    assert record.state == "JOB_STATE_SUCCEEDED"
    assert [trial.state for trial in record.trials] == [tuning.SUCCEEDED] * most
    assert resource.used("p") == 0
