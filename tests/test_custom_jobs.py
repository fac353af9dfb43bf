"""Custom jobs on persistent resources: the documented rules, one test each, through the HTTP API."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import PARENT, job_body, new_service
from vertex_emulator.domain.resources import PersistentResource
from vertex_emulator.http.app import make_app
from vertex_emulator.service import Service

RESOURCES = f"/v1/{PARENT}/persistentResources"
JOBS = f"/v1/{PARENT}/customJobs"
K80 = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_K80", "acceleratorCount": 1}
T4 = {"machineType": "n1-standard-8", "acceleratorType": "NVIDIA_TESLA_T4", "acceleratorCount": 2}


class Api:
    """The Flask test client of one emulator, with the calls these tests repeat."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.http = make_app(service).test_client()

    def resource(self, resource_id: str = "demo", *pools: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"resourcePools": list(pools) or [{"id": "k80", "machineSpec": K80, "replicaCount": "2"}], **fields}
        answer = self.http.post(f"{RESOURCES}?persistentResourceId={resource_id}", json=body)
        assert answer.status_code == 200, answer.json
        return self.get_resource(resource_id)

    def get_resource(self, resource_id: str = "demo") -> dict[str, Any]:
        return self.http.get(f"{RESOURCES}/{resource_id}").json

    def used(self, resource_id: str = "demo") -> dict[str, int]:
        pools = self.get_resource(resource_id)["resourcePools"]
        return {pool["id"]: int(pool.get("usedReplicaCount", 0)) for pool in pools}

    def submit(self, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        answer = self.http.post(JOBS, json=body)
        assert answer.status_code == status, answer.json
        return answer.json

    def job(self, name: str) -> dict[str, Any]:
        return self.http.get(f"/v1/{name}").json

    def outcome(self, name: str, **body: Any) -> dict[str, Any]:
        answer = self.http.post(f"/emulator/v1/{name}:setOutcome", json=body)
        assert answer.status_code == 200, answer.json
        return answer.json

    def advance(self, seconds: float) -> None:
        assert self.http.post("/emulator/v1/clock:advance", json={"seconds": seconds}).status_code == 200


@pytest.fixture
def api() -> Api:
    """Jobs that run until told, so replicas stay held while a test looks."""
    return Api(new_service(job_duration=None, cancel_delay=1))


@pytest.fixture
def queueing() -> Api:
    return Api(new_service(job_duration=None, admission="queue"))


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    return answer["error"]


def _fields(answer: dict[str, Any]) -> list[str]:
    details = _error(answer).get("details", [])
    return [v["field"] for d in details for v in d.get("fieldViolations", [])]


# ------------------------------------------------------------------------ exact matching


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("machineType", "n1-standard-8", "machine_spec.machine_type"),
        ("acceleratorType", "NVIDIA_TESLA_T4", "machine_spec.accelerator_type"),
        ("acceleratorCount", 2, "machine_spec.accelerator_count"),
        ("tpuTopology", "2x2x1", "machine_spec.tpu_topology"),
        ("gpuPartitionSize", "1g.10gb", "machine_spec.gpu_partition_size"),
        ("reservationAffinity", {"reservationAffinityType": "ANY_RESERVATION"}, "machine_spec.reservation_affinity"),
    ],
)
def test_every_machine_spec_field_must_match(api: Api, field: str, value: Any, path: str) -> None:
    api.resource()
    body = job_body(**{field: value})
    answer = api.submit(body, 400)
    assert _error(answer)["status"] == "INVALID_ARGUMENT"
    assert f"job_spec.worker_pool_specs[0].{path}" in " ".join(_fields(answer))
    assert '"k80"' in _error(answer)["message"], "the message names the closest pool"


@pytest.mark.parametrize(
    ("disk", "path"),
    [
        ({"bootDiskType": "pd-standard"}, "disk_spec.boot_disk_type"),
        ({"bootDiskSizeGb": 200}, "disk_spec.boot_disk_size_gb"),
        ({"bootDiskType": "hyperdisk-balanced", "bootDiskSizeGb": 100}, "disk_spec.boot_disk_type"),
    ],
)
def test_disk_spec_must_match_after_defaults(api: Api, disk: dict[str, Any], path: str) -> None:
    api.resource()
    body = job_body()
    body["jobSpec"]["workerPoolSpecs"][0]["diskSpec"] = disk
    answer = api.submit(body, 400)
    assert _fields(answer) == [f"job_spec.worker_pool_specs[0].{path}"]
    assert "pd-ssd" in _error(answer)["message"] or "100" in _error(answer)["message"]


def test_defaults_filled_on_both_sides_match(api: Api) -> None:
    api.resource(
        "explicit", {"id": "k80", "machineSpec": K80, "replicaCount": "1", "diskSpec": {"bootDiskType": "pd-ssd"}}
    )
    body = job_body("explicit")
    body["jobSpec"]["workerPoolSpecs"][0]["diskSpec"] = {"bootDiskSizeGb": 100}
    job = api.submit(body)
    assert job["jobSpec"]["workerPoolSpecs"][0]["diskSpec"] == {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100}


def test_a3_ultra_disk_defaults_to_hyperdisk(api: Api) -> None:
    machine = {"machineType": "a3-ultragpu-8g", "acceleratorType": "NVIDIA_H200_141GB", "acceleratorCount": 8}
    resource = api.resource("ultra", {"id": "h200", "machineSpec": machine, "replicaCount": "1"})
    assert resource["resourcePools"][0]["diskSpec"]["bootDiskType"] == "hyperdisk-balanced"
    body = job_body("ultra", **machine)
    api.submit(body)


def test_mismatch_message_names_every_differing_field_and_both_values(api: Api) -> None:
    api.resource()
    answer = api.submit(job_body(machineType="n1-standard-8", acceleratorCount=4), 400)
    message = _error(answer)["message"]
    assert "machine_spec.machine_type is 'n1-standard-8' in the job but 'n1-standard-4'" in message
    assert "machine_spec.accelerator_count is 4 in the job but 1" in message


def test_closest_pool_is_named(api: Api) -> None:
    api.resource(
        "two",
        {"id": "cpu", "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"},
        {"id": "t4", "machineSpec": T4, "replicaCount": "1"},
    )
    answer = api.submit(
        job_body("two", machineType="n1-standard-8", acceleratorType="NVIDIA_TESLA_T4", acceleratorCount=1), 400
    )
    assert 'closest resource pool "t4"' in _error(answer)["message"]


# ---------------------------------------------------------------------- replica accounting


@pytest.mark.parametrize("policy", ["reject", "queue"])
def test_replicas_up_to_free_are_admitted_and_one_more_follows_the_policy(policy: str) -> None:
    api = Api(new_service(job_duration=None, admission=policy))
    api.resource("demo", {"id": "k80", "machineSpec": K80, "replicaCount": "3"})
    first = api.submit(job_body(replicas=2))
    assert api.used() == {"k80": 2}
    if policy == "reject":
        answer = api.submit(job_body(replicas=2), 400)
        error = _error(answer)
        assert error["status"] == "FAILED_PRECONDITION"
        assert "1 of its 3 are free" in error["message"]
        assert first["name"] in error["message"], "the message says which jobs hold the rest"
    else:
        waiting = api.submit(job_body(replicas=2))
        assert waiting["state"] == "JOB_STATE_QUEUED"
        assert api.used() == {"k80": 2}
        behind = api.submit(job_body(replicas=1))
        assert api.used() == {"k80": 2}, "first in, first out: the free replica waits for the head"
        api.outcome(first["name"], state="JOB_STATE_SUCCEEDED")
        assert api.used() == {"k80": 3}, "the head and the one behind it start as soon as they fit"
        assert api.job(waiting["name"])["state"] == api.job(behind["name"])["state"] == "JOB_STATE_RUNNING"
        return
    api.submit(job_body(replicas=1))
    assert api.used() == {"k80": 3}


def test_more_than_capacity_can_never_fit(api: Api) -> None:
    api.resource()
    answer = api.submit(job_body(replicas=3), 400)
    assert _error(answer)["status"] == "INVALID_ARGUMENT"
    assert "at most 2" in _error(answer)["message"]
    assert _fields(answer) == ["job_spec.worker_pool_specs[0].replica_count"]


def test_distributed_job_maps_worker_pools_to_two_pools(api: Api) -> None:
    api.resource(
        "dist",
        {"id": "chief", "machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"},
        {"id": "workers", "machineSpec": T4, "replicaCount": "4"},
    )
    body = job_body("dist", machineType="n1-standard-4", acceleratorType=None, acceleratorCount=None)
    chief = body["jobSpec"]["workerPoolSpecs"][0]
    chief["machineSpec"] = {"machineType": "n1-standard-4"}
    worker = {**copy.deepcopy(chief), "machineSpec": T4, "replicaCount": "3"}
    body["jobSpec"]["workerPoolSpecs"] += [worker, {}]
    api.submit(body)
    assert api.used("dist") == {"chief": 1, "workers": 3}


def test_worker_pools_landing_on_one_pool_add_up(api: Api) -> None:
    api.resource("shared", {"id": "k80", "machineSpec": K80, "replicaCount": "3"})
    body = job_body("shared", replicas=1)
    body["jobSpec"]["workerPoolSpecs"].append(
        {**copy.deepcopy(body["jobSpec"]["workerPoolSpecs"][0]), "replicaCount": "2"}
    )
    api.submit(body)
    assert api.used("shared") == {"k80": 3}
    body["jobSpec"]["workerPoolSpecs"][1]["replicaCount"] = "3"
    answer = api.submit(body, 400)
    assert "worker pools 0 already take part of it" in _error(answer)["message"]


def test_autoscaled_pool_admits_up_to_its_maximum_and_follows_demand(api: Api) -> None:
    pool = {
        "id": "auto",
        "machineSpec": K80,
        "replicaCount": "1",
        "autoscalingSpec": {"minReplicaCount": "1", "maxReplicaCount": "4"},
    }
    api.resource("auto", pool)
    job = api.submit(job_body("auto", replicas=4))
    shown = api.get_resource("auto")["resourcePools"][0]
    assert shown["usedReplicaCount"] == "4"
    assert shown["replicaCount"] == "4", "provisioned replicas grow with demand"
    api.submit(job_body("auto", replicas=1), 400)
    api.outcome(job["name"], state="JOB_STATE_SUCCEEDED")
    shown = api.get_resource("auto")["resourcePools"][0]
    assert "usedReplicaCount" not in shown
    assert shown["replicaCount"] == "1", "and shrink back to the minimum"
    assert _error(api.submit(job_body("auto", replicas=5), 400))["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("end", ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"])
def test_replicas_are_released_on_each_terminal_state(api: Api, end: str) -> None:
    api.resource()
    job = api.submit(job_body(replicas=2))
    api.advance(1)
    assert api.used() == {"k80": 2}
    if end == "JOB_STATE_CANCELLED":
        assert api.http.post(f"/v1/{job['name']}:cancel", json={}).json == {}
        assert api.job(job["name"])["state"] == "JOB_STATE_CANCELLING"
        assert api.used() == {"k80": 2}, "held until terminal"
        api.advance(1)
    else:
        api.outcome(job["name"], state=end, error={"code": 3, "message": "boom"})
    final = api.job(job["name"])
    assert final["state"] == end
    assert api.used() == {"k80": 0}
    if end == "JOB_STATE_CANCELLED":
        assert final["error"]["code"] == 1
    if end == "JOB_STATE_FAILED":
        assert final["error"] == {"code": 3, "message": "boom"}


def test_queued_jobs_start_first_in_first_out(queueing: Api) -> None:
    api = queueing
    api.resource()
    running = api.submit(job_body(replicas=2))
    big = api.submit(job_body(replicas=2))
    small = api.submit(job_body(replicas=1))
    api.advance(10)
    assert [api.job(j["name"])["state"] for j in (big, small)] == ["JOB_STATE_QUEUED"] * 2, "small waits behind big"
    api.outcome(running["name"], state="JOB_STATE_SUCCEEDED")
    assert api.job(big["name"])["state"] == "JOB_STATE_RUNNING"
    assert api.used() == {"k80": 2}
    assert api.job(small["name"])["state"] == "JOB_STATE_QUEUED"


def test_cancelling_a_queued_job_lets_the_next_one_start(queueing: Api) -> None:
    api = queueing
    api.resource()
    api.submit(job_body(replicas=1))
    blocked = api.submit(job_body(replicas=2))
    after = api.submit(job_body(replicas=1))
    api.http.post(f"/v1/{blocked['name']}:cancel", json={})
    api.advance(0)
    assert api.job(blocked["name"])["state"] == "JOB_STATE_CANCELLED"
    assert api.used() == {"k80": 2}
    assert api.job(after["name"])["state"] == "JOB_STATE_RUNNING"


# ---------------------------------------------------------------- resource preconditions


def test_missing_resource_is_not_found(api: Api) -> None:
    answer = api.submit(job_body("nowhere"), 404)
    assert _error(answer)["status"] == "NOT_FOUND"


def test_resource_that_is_not_running_refuses_jobs() -> None:
    api = Api(new_service(provision_delay=60, job_duration=None))
    api.http.post(
        f"{RESOURCES}?persistentResourceId=demo",
        json={"resourcePools": [{"id": "k80", "machineSpec": K80, "replicaCount": "1"}]},
    )
    answer = api.submit(job_body(), 400)
    assert _error(answer)["status"] == "FAILED_PRECONDITION"
    assert "PROVISIONING" in _error(answer)["message"]
    api.advance(60)
    api.submit(job_body())


@pytest.mark.parametrize(
    ("resource_fields", "job_fields", "field"),
    [
        ({"network": "projects/1/global/networks/a"}, {}, "job_spec.network"),
        ({}, {"network": "projects/1/global/networks/a"}, "job_spec.network"),
        ({"network": "projects/1/global/networks/a"}, {"network": "projects/1/global/networks/b"}, "job_spec.network"),
    ],
)
def test_network_must_agree(api: Api, resource_fields: dict[str, Any], job_fields: dict[str, Any], field: str) -> None:
    api.resource("demo", {"id": "k80", "machineSpec": K80, "replicaCount": "1"}, **resource_fields)
    body = job_body()
    body["jobSpec"].update(job_fields)
    assert _fields(api.submit(body, 400)) == [field]


def test_cmek_must_agree(api: Api) -> None:
    key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    api.resource("demo", {"id": "k80", "machineSpec": K80, "replicaCount": "1"}, encryptionSpec={"kmsKeyName": key})
    assert _fields(api.submit(job_body(), 400)) == ["encryption_spec.kms_key_name"]
    api.submit({**job_body(), "encryptionSpec": {"kmsKeyName": key}})


def test_deleting_a_resource_cancels_its_jobs_first(api: Api) -> None:
    api.resource()
    job = api.submit(job_body(replicas=2))
    assert api.http.delete(f"{RESOURCES}/demo").status_code == 200
    final = api.job(job["name"])
    assert final["state"] == "JOB_STATE_CANCELLED"
    assert final["error"]["code"] == 1
    api.advance(0)
    assert api.http.get(f"{RESOURCES}/demo").status_code == 404


def test_reboot_is_refused_while_jobs_run(api: Api) -> None:
    api.resource()
    job = api.submit(job_body())
    answer = api.http.post(f"{RESOURCES}/demo:reboot", json={})
    assert answer.status_code == 400
    assert job["name"] in answer.json["error"]["message"]
    api.outcome(job["name"], state="JOB_STATE_SUCCEEDED")
    assert api.http.post(f"{RESOURCES}/demo:reboot", json={}).status_code == 200


def test_update_never_shrinks_below_what_is_held(api: Api) -> None:
    api.resource("demo", {"id": "k80", "machineSpec": K80, "replicaCount": "3"})
    api.submit(job_body(replicas=2))
    shrink = {"resourcePools": [{"id": "k80", "machineSpec": K80, "replicaCount": "1"}]}
    answer = api.http.patch(f"{RESOURCES}/demo?updateMask=resource_pools.replica_count", json=shrink)
    assert answer.status_code == 400
    assert answer.json["error"]["status"] == "FAILED_PRECONDITION"
    shrink["resourcePools"][0]["replicaCount"] = "2"
    assert api.http.patch(f"{RESOURCES}/demo?updateMask=resourcePools.replicaCount", json=shrink).status_code == 200


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_follows_the_clock_and_stamps_each_step() -> None:
    api = Api(new_service(job_queued_delay=1, job_pending_delay=2, job_duration=30))
    api.resource()
    body = job_body()
    body["jobSpec"]["enableWebAccess"] = True
    job = api.submit(body)
    states = []
    for step in (0, 1, 2, 29, 1):
        api.advance(step)
        states.append(api.job(job["name"])["state"])
    assert states == [
        "JOB_STATE_QUEUED",
        "JOB_STATE_PENDING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_SUCCEEDED",
    ]
    final = api.job(job["name"])
    assert final["createTime"] == "2026-01-01T00:00:00Z"
    assert final["startTime"] == "2026-01-01T00:00:03Z"
    assert final["endTime"] == final["updateTime"] == "2026-01-01T00:00:33Z"
    assert set(final["webAccessUris"]) == {"workerpool0-0"}
    assert api.used() == {"k80": 0}


def test_a_big_clock_jump_stamps_transitions_when_they_were_due() -> None:
    api = Api(new_service(job_queued_delay=1, job_pending_delay=2, job_duration=30))
    api.resource()
    job = api.submit(job_body())
    api.advance(1000)
    final = api.job(job["name"])
    assert (final["startTime"], final["endTime"]) == ("2026-01-01T00:00:03Z", "2026-01-01T00:00:33Z")


def test_outcome_at_a_chosen_time(api: Api) -> None:
    api.resource()
    job = api.submit(job_body())
    api.outcome(job["name"], state="JOB_STATE_FAILED", error={"code": 8, "message": "OOM"}, at="2026-01-01T00:10:00Z")
    api.advance(599)
    assert api.job(job["name"])["state"] == "JOB_STATE_RUNNING"
    api.advance(1)
    assert api.job(job["name"])["error"] == {"code": 8, "message": "OOM"}


def test_on_demand_jobs_run_without_pool_accounting(api: Api) -> None:
    job = api.submit(job_body(None, replicas=50))
    api.outcome(job["name"], state="JOB_STATE_SUCCEEDED")
    assert api.job(job["name"])["state"] == "JOB_STATE_SUCCEEDED"


def test_cancel_and_delete_preconditions(api: Api) -> None:
    api.resource()
    job = api.submit(job_body())
    assert api.http.delete(f"/v1/{job['name']}").json["error"]["status"] == "FAILED_PRECONDITION"
    api.outcome(job["name"], state="JOB_STATE_SUCCEEDED")
    assert api.http.post(f"/v1/{job['name']}:cancel", json={}).json["error"]["status"] == "FAILED_PRECONDITION"
    operation = api.http.delete(f"/v1/{job['name']}").json
    assert operation["done"] is True
    assert operation["response"]["@type"] == "type.googleapis.com/google.protobuf.Empty"
    assert api.http.get(f"/v1/{job['name']}").status_code == 404


def test_job_ids_are_numeric_and_names_are_full(api: Api) -> None:
    job = api.submit(job_body(None))
    assert job["name"].startswith(f"{PARENT}/customJobs/")
    assert job["name"].rsplit("/", 1)[1].isdigit()


# ---------------------------------------------------------------------- list and filter


@pytest.fixture
def listed() -> tuple[Api, list[str]]:
    api = Api(new_service(job_duration=None))
    names = []
    for index in range(6):
        body = job_body(None)
        body["displayName"] = f"my_job_{index}" if index % 2 == 0 else f"other-{index}"
        body["labels"] = {"team": "a" if index < 3 else "b"}
        names.append(api.submit(body)["name"])
        api.advance(60)
    api.outcome(names[0], state="JOB_STATE_SUCCEEDED")
    api.outcome(names[1], state="JOB_STATE_FAILED")
    return api, names


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('state="JOB_STATE_SUCCEEDED"', [0]),
        ("state!=JOB_STATE_FAILED", [0, 2, 3, 4, 5]),
        ('display_name:"my_job_*"', [0, 2, 4]),
        ('display_name="other-3"', [3]),
        ('NOT display_name="other-3"', [0, 1, 2, 4, 5]),
        ('state="JOB_STATE_SUCCEEDED" AND display_name:"my_job_*"', [0]),
        ('state!="JOB_STATE_FAILED" OR display_name="other-1"', [0, 1, 2, 3, 4, 5]),
        ('create_time>"2026-01-01T00:02:00Z"', [3, 4, 5]),
        ("create_time<=2026-01-01T00:01:00Z", [0, 1]),
        ("labels.team=b", [3, 4, 5]),
        ("labels.team:*", [0, 1, 2, 3, 4, 5]),
        ("labels.missing:*", []),
        ('(labels.team=a OR labels.team=b) AND -display_name:"my_job_*"', [1, 3, 5]),
    ],
)
def test_list_filter(listed: tuple[Api, list[str]], expression: str, expected: list[int]) -> None:
    api, names = listed
    answer = api.http.get(JOBS, query_string={"filter": expression})
    assert answer.status_code == 200, answer.json
    found = {job["name"] for job in answer.json.get("customJobs", [])}
    assert found == {names[i] for i in expected}


@pytest.mark.parametrize(
    "expression",
    [
        'state="JOB_STATE_SUCCEEDED" AND',
        "colour=red",
        'state="NOPE"',
        "(state=JOB_STATE_FAILED",
        "create_time>yesterday",
    ],
)
def test_unparseable_filter_is_a_bad_request_that_says_where(listed: tuple[Api, list[str]], expression: str) -> None:
    api, _ = listed
    answer = api.http.get(JOBS, query_string={"filter": expression})
    assert answer.status_code == 400
    assert "position" in answer.json["error"]["message"]


def test_pages_lose_and_repeat_nothing(listed: tuple[Api, list[str]]) -> None:
    api, names = listed
    seen: list[str] = []
    token = None
    while True:
        query = {"pageSize": 4, **({"pageToken": token} if token else {})}
        page = api.http.get(JOBS, query_string=query).json
        seen += [job["name"] for job in page["customJobs"]]
        api.submit(job_body(None))
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == list(reversed(names)), "newest first, nothing lost or repeated while jobs are added"


def test_a_bad_or_foreign_page_token_is_refused(listed: tuple[Api, list[str]]) -> None:
    api, _ = listed
    token = api.http.get(JOBS, query_string={"pageSize": 1}).json["nextPageToken"]
    assert api.http.get(JOBS, query_string={"pageToken": "garbage"}).status_code == 400
    assert api.http.get(JOBS, query_string={"pageToken": token, "filter": "labels.team=a"}).status_code == 400


def test_read_mask_selects_fields(listed: tuple[Api, list[str]]) -> None:
    api, _ = listed
    jobs = api.http.get(JOBS, query_string={"readMask": "name,display_name,job_spec.persistent_resource_id"}).json[
        "customJobs"
    ]
    assert all(set(job) <= {"name", "displayName", "jobSpec"} for job in jobs)
    assert all("state" not in job for job in jobs)


def test_a_refusal_names_at_most_ten_holders(api: Api) -> None:
    api.resource("busy", {"id": "k80", "machineSpec": K80, "replicaCount": "12"})
    held = [api.submit(job_body("busy"))["name"] for _ in range(12)]
    message = _error(api.submit(job_body("busy"), 400))["message"]
    assert all(name in message for name in held[:10])
    assert held[10] not in message
    assert message.endswith("and 2 more jobs.")


def test_deleting_a_resource_starts_none_of_its_queued_jobs(queueing: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api = queueing
    api.resource()
    running = api.submit(job_body(replicas=2))
    queued = api.submit(job_body(replicas=1))
    held: list[str] = []
    original = PersistentResource.hold
    monkeypatch.setattr(
        PersistentResource, "hold", lambda self, job, demand: (held.append(job), original(self, job, demand))
    )
    api.http.delete(f"{RESOURCES}/demo")
    assert held == [], "releasing the running job must not start the queued one on a resource being deleted"
    assert [api.job(j["name"])["state"] for j in (running, queued)] == ["JOB_STATE_CANCELLED"] * 2
