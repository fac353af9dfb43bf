"""What the real service is known to do, done the same: its texts, its limits, its pool ids, its rules.

Sources: the project's reference ``training-contract.md`` §7-§8 (a public log of the real service
for the texts, the documentation for the limits and the generated ids).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import PARENT, demo_pool, job_body, new_service
from tests.serving import ROOT, served
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.service import Service

SA = "trainer@my-project.iam.gserviceaccount.com"


def refusal(call: Any, *args: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


def create(service: Service, resource_id: str, *pools: dict[str, Any], **fields: Any) -> Any:
    return service.create_resource(PARENT, resource_id, {"resourcePools": list(pools), **fields}, "v1")


# ------------------------------------------------------------------------------- 14.2 texts


def test_the_real_texts_for_a_duplicate_id_and_a_delete_while_provisioning() -> None:
    service = new_service(provision_delay=60)
    create(service, "busy", demo_pool())
    duplicate = refusal(create, service, "busy", demo_pool())
    assert (duplicate.code, duplicate.status) == (Code.ALREADY_EXISTS, 409)
    assert duplicate.message == (
        'There is an existing PersistentResource with the same ID "busy" created or being created. '
        "Please use a different ID."
    )
    early = refusal(service.delete_resource, f"{PARENT}/persistentResources/busy", "v1")
    assert (early.code, early.status) == (Code.FAILED_PRECONDITION, 400)
    assert early.message == (
        f'PersistentResource "{PARENT}/persistentResources/busy" is being created thus can not be deleted now. '
        "Please try again later after it's active."
    )


# ------------------------------------------------------------------------------ 14.3 limits


@pytest.mark.parametrize(
    ("pool", "field", "words"),
    [
        (demo_pool(diskSpec={"bootDiskSizeGb": 99}), "resource_pools[0].disk_spec.boot_disk_size_gb", "(99)"),
        (demo_pool(diskSpec={"bootDiskSizeGb": 64001}), "resource_pools[0].disk_spec.boot_disk_size_gb", "64000 GB"),
        (
            demo_pool(replicaCount="1", autoscalingSpec={"minReplicaCount": "0", "maxReplicaCount": "4"}),
            "resource_pools[0].autoscaling_spec.min_replica_count",
            "at least 1 (0 only on a persistent resource with a Ray runtime spec",
        ),
        (
            demo_pool(replicaCount="1", autoscalingSpec={"minReplicaCount": "1", "maxReplicaCount": "1001"}),
            "resource_pools[0].autoscaling_spec.max_replica_count",
            "must be at most 1000",
        ),
        (demo_pool(replicaCount="0"), "resource_pools[0].replica_count", "must be greater than 0"),
    ],
    ids=["disk-99", "disk-64001", "autoscaling-min-0", "autoscaling-max-1001", "replicas-0"],
)
def test_documented_limits_of_a_pool_are_refused_with_the_field(pool: dict[str, Any], field: str, words: str) -> None:
    error = refusal(create, new_service(), "limits", pool)
    assert (error.code, [v.field for v in error.violations]) == (Code.INVALID_ARGUMENT, [field])
    assert words in error.message


def test_the_limits_themselves_are_accepted_and_min_0_with_ray() -> None:
    service = new_service()
    edges = [
        demo_pool(id="small", diskSpec={"bootDiskSizeGb": 100}),
        demo_pool(id="large", diskSpec={"bootDiskSizeGb": 64000}),
        demo_pool(id="wide", autoscalingSpec={"minReplicaCount": "1", "maxReplicaCount": "1000"}),
    ]
    create(service, "edges", *edges)
    ray = {"raySpec": {}}
    zero = demo_pool(autoscalingSpec={"minReplicaCount": "0", "maxReplicaCount": "2"})
    zero.pop("replicaCount")
    create(service, "ray", zero, resourceRuntimeSpec=ray)
    service.advance(0)
    (pool,) = service.get_resource(f"{PARENT}/persistentResources/ray").render()["resourcePools"]
    assert pool["autoscalingSpec"] == {"minReplicaCount": "0", "maxReplicaCount": "2"}


@pytest.mark.parametrize("size", [99, 64001])
def test_a_jobs_boot_disk_has_the_same_limits(size: int) -> None:
    body = job_body(None)
    body["jobSpec"]["workerPoolSpecs"][0]["diskSpec"] = {"bootDiskSizeGb": size}
    error = refusal(new_service().create_job, PARENT, body, "v1")
    assert [v.field for v in error.violations] == ["job_spec.worker_pool_specs[0].disk_spec.boot_disk_size_gb"]


# ---------------------------------------------------------------------------- 14.4 pool ids


def test_generated_pool_ids_are_the_real_services_with_a_suffix_on_collision() -> None:
    service = new_service()
    t4 = {"machineType": "n1-highmem-2", "acceleratorType": "NVIDIA_TESLA_T4", "acceleratorCount": 1}
    pools = [
        {"machineSpec": t4, "replicaCount": "1"},
        {"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"},
        {"machineSpec": {**t4, "acceleratorCount": 2}, "replicaCount": "1"},
        {"machineSpec": copy.deepcopy(t4), "replicaCount": "2", "diskSpec": {"bootDiskSizeGb": 200}},
    ]
    create(service, "ids", *pools)
    shown = service.get_resource(f"{PARENT}/persistentResources/ids").render()["resourcePools"]
    assert [pool["id"] for pool in shown] == [
        "n1-highmem-2-nvidia-tesla-t4-1",
        "n1-standard-4",
        "n1-highmem-2-nvidia-tesla-t4-2",
        "n1-highmem-2-nvidia-tesla-t4-1-2",
    ]


# -------------------------------------------------------------------- 14.6 service accounts


def on(service: Service, resource_id: str, account: str | None) -> Any:
    body = job_body(resource_id)
    if account:
        body["jobSpec"]["serviceAccount"] = account
    return service.create_job(PARENT, body, "v1")


def test_a_resource_enforcing_a_custom_service_account_refuses_a_job_without_one() -> None:
    service = new_service()
    enforced = {"serviceAccountSpec": {"enableCustomServiceAccount": True}}
    service.seed_resource(PARENT, "custom", {"resourcePools": [demo_pool()], "resourceRuntimeSpec": enforced})
    error = refusal(on, service, "custom", None)
    assert error.code == Code.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["job_spec.service_account"]
    assert "enable_custom_service_account is true" in error.message
    assert on(service, "custom", SA).spec["jobSpec"]["serviceAccount"] == SA


def test_a_resource_without_custom_service_accounts_refuses_a_job_naming_one() -> None:
    service = new_service()
    service.seed_resource(PARENT, "plain", {"resourcePools": [demo_pool()]})
    error = refusal(on, service, "plain", SA)
    assert [v.field for v in error.violations] == ["job_spec.service_account"]
    assert "enable_custom_service_account true, or leave job_spec.service_account unset" in error.message
    assert on(service, "plain", None).resource == f"{PARENT}/persistentResources/plain"


# ----------------------------------------------------------------------- 14.5 scheduling


def scheduled(service: Service, **scheduling: Any) -> Any:
    body = job_body("demo", replicas=2)
    body["jobSpec"]["scheduling"] = scheduling
    return service.create_job(PARENT, body, "v1")


def test_a_job_past_its_timeout_is_cancelled_and_gives_back_its_replicas() -> None:
    service = new_service(job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    job = scheduled(
        service, timeout="30s", strategy="FLEX_START", maxWaitDuration="600s", restartJobOnWorkerRestart=True
    )
    service.advance(0)
    assert job.state == "JOB_STATE_RUNNING"
    service.advance(29.5)
    assert job.state == "JOB_STATE_RUNNING"
    service.advance(0.5)
    assert job.state == "JOB_STATE_CANCELLED"
    assert job.error["code"] == 4 and "reached its timeout (job_spec.scheduling.timeout 30s)" in job.error["message"]
    resource = service.get_resource(f"{PARENT}/persistentResources/demo").render()
    assert "usedReplicaCount" not in resource["resourcePools"][0], "the replicas are free again"
    assert job.render()["jobSpec"]["scheduling"] == {
        "timeout": "30s",
        "strategy": "FLEX_START",
        "maxWaitDuration": "600s",
        "restartJobOnWorkerRestart": True,
    }, "kept as sent"
    assert scheduled(service, timeout="30s").resource == f"{PARENT}/persistentResources/demo"


def test_an_outcome_before_the_timeout_wins_and_one_after_it_does_not() -> None:
    service = new_service(job_duration=10)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="4")]})
    quick = scheduled(service, timeout="30s")
    slow = scheduled(service, timeout="30s")
    service.advance(0)
    service.set_outcome(slow.name, "JOB_STATE_FAILED", {"code": 13, "message": "late"}, None, 60)
    service.advance(10)
    assert (quick.state, quick.error) == ("JOB_STATE_SUCCEEDED", None)
    assert slow.state == "JOB_STATE_RUNNING"
    service.advance(20)
    assert (slow.state, slow.error["code"]) == ("JOB_STATE_CANCELLED", 4)


# ------------------------------------------------------------------- 14.7 failed provisioning


def test_a_provisioning_set_to_fail_ends_in_error_with_the_real_text_over_http(http: Any, service: Service) -> None:
    name = f"{PARENT}/persistentResources/doomed"
    service.settings = new_service(provision_delay=60).settings
    operation = http.post(
        f"/v1/{PARENT}/persistentResources?persistentResourceId=doomed", json={"resourcePools": [demo_pool()]}
    ).json
    failed = http.post(f"/emulator/v1/{name}:setOutcome", json={"state": "ERROR", "after": "30s"})
    assert failed.status_code == 200 and failed.json["state"] == "PROVISIONING"
    service.advance(29)
    assert http.get(f"/v1/{name}").json["state"] == "PROVISIONING"
    service.advance(1)
    shown = http.get(f"/v1/{name}").json
    real = "An internal error occurred on your cluster. Please try recreating one in a few minutes."
    assert (shown["state"], shown["error"]) == ("ERROR", {"code": 13, "message": real})
    done = http.get(f"/v1/{operation['name']}").json
    assert done["done"] is True and done["error"] == {"code": 13, "message": real} and "response" not in done
    refused = http.post(f"/v1/{PARENT}/customJobs", json=job_body("doomed")).json["error"]
    assert refused["status"] == "FAILED_PRECONDITION" and "is ERROR" in refused["message"]
    deleted = http.delete(f"/v1/{name}")
    assert deleted.status_code == 200, "an ERROR resource is deleted at once"
    service.advance(0)
    assert http.get(f"/v1/{name}").status_code == 404


def test_an_update_set_to_fail_fails_the_jobs_on_the_resource_and_bad_outcomes_are_refused(service: Service) -> None:
    name = f"{PARENT}/persistentResources/demo"
    service.settings = new_service(update_delay=10, job_duration=None).settings
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    job = service.create_job(PARENT, job_body("demo"), "v1")
    not_yet = refusal(service.set_resource_outcome, name, "ERROR", None, None, None)
    assert not_yet.code == Code.FAILED_PRECONDITION and "is RUNNING" in not_yet.message
    service.update_resource(
        name, {"resourcePools": [demo_pool(replicaCount="3")]}, "resource_pools.replica_count", "v1"
    )
    assert refusal(service.set_resource_outcome, name, "RUNNING", None, None, None).code == Code.INVALID_ARGUMENT
    service.set_resource_outcome(name, "ERROR", {"code": 14, "message": "zone down"}, None, None)
    resource = service.get_resource(name)
    assert (resource.state, resource.error) == ("ERROR", {"code": 14, "message": "zone down"})
    assert job.state == "JOB_STATE_FAILED" and job.error["code"] == 14 and "zone down" in job.error["message"]
    service.reboot_resource(name, "v1")
    service.advance(0)
    assert (resource.state, resource.error) == ("RUNNING", None), "a reboot recovers it"


def test_the_harness_fails_a_provisioning(vertex_emulator: Any) -> None:
    vertex_emulator.service.settings = new_service(provision_delay=60).settings
    vertex_emulator.service.create_resource(vertex_emulator.parent, "pr", {"resourcePools": [demo_pool()]}, "v1")
    vertex_emulator.fail_resource("pr", {"code": 8, "message": "quota"})
    shown = vertex_emulator.client.get_persistent_resource("pr")
    assert (shown.state.name, shown.error.code, shown.error.message) == ("ERROR", 8, "quota")


# ------------------------------------------------------- 14.9 a resource under another project


def test_a_missing_resource_names_the_same_id_under_another_project_of_the_location() -> None:
    service = new_service()
    number = "projects/123456789012/locations/us-central1"
    service.seed_resource(number, "distributed-training", {"resourcePools": [demo_pool()]})
    service.seed_resource(
        "projects/other/locations/europe-west4", "distributed-training", {"resourcePools": [demo_pool()]}
    )
    asked = f"{PARENT}/persistentResources/distributed-training"
    error = refusal(service.get_resource, asked)
    assert error.code == Code.NOT_FOUND
    assert error.message == (
        f'PersistentResource "{asked}" does not exist. It exists as {number}/persistentResources/distributed-training: '
        "gcloud prints project numbers, and a resource loaded from its describe output keeps that name; ask for "
        "it under that project."
    ), "only the same location counts"
    assert "It exists as" in refusal(service.create_job, PARENT, job_body("distributed-training"), "v1").message
    assert "It exists" not in refusal(service.get_resource, f"{PARENT}/persistentResources/absent").message
    service.hint_elsewhere = False
    assert refusal(service.get_resource, asked).message == f'PersistentResource "{asked}" does not exist.'


def test_serve_names_the_other_project_but_not_under_an_iam_policy(tmp_path: Path) -> None:
    described = ROOT / "fixtures" / "gcloud" / "distributed-training-describe.json"
    policy = tmp_path / "policy.yaml"
    policy.write_text("bindings:\n  - role: roles/aiplatform.admin\n    members: [allUsers]\n")
    asked = f"/v1/{PARENT}/persistentResources/distributed-training"
    for options, hinted in (((), True), (("--iam-policy", str(policy)), False)):
        with served("--fixtures", str(described), "--storage", "off", *options) as url:
            answer = requests.get(f"{url}{asked}", timeout=10)
        assert answer.status_code == 404
        assert ("It exists as projects/123456789012/" in answer.json()["error"]["message"]) is hinted


def test_one_replica_is_singular_in_the_admissions_words() -> None:
    service = new_service(job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="1")]})
    service.create_job(PARENT, job_body("demo"), "v1")
    assert "needs 1 replica of resource pool" in refusal(service.create_job, PARENT, job_body("demo"), "v1").message
