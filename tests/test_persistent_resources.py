"""PersistentResourceService through the official GAPIC client, served and in-process."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.protobuf import field_mask_pb2

from tests.conftest import PARENT, Target, new_service

PR = aiplatform_v1.PersistentResource


def _resource(replicas: int = 2, **pool: object) -> aiplatform_v1.PersistentResource:
    return aiplatform_v1.PersistentResource(
        display_name="my pr",
        resource_pools=[
            {
                "machine_spec": {
                    "machine_type": "n1-standard-4",
                    "accelerator_type": "NVIDIA_TESLA_T4",
                    "accelerator_count": 1,
                },
                "replica_count": replicas,
                **pool,
            }
        ],
        labels={"team": "ml"},
    )


def test_create_returns_an_operation_that_ends_with_a_running_resource(target: Target) -> None:
    client = target.resources()
    operation = client.create_persistent_resource(
        parent=PARENT, persistent_resource=_resource(), persistent_resource_id="my-pr"
    )
    created = operation.result(timeout=5)
    assert created.name == f"{PARENT}/persistentResources/my-pr"
    assert created.state == PR.State.RUNNING
    pool = created.resource_pools[0]
    assert pool.disk_spec.boot_disk_type == "pd-ssd"
    assert pool.disk_spec.boot_disk_size_gb == 100
    assert pool.id
    assert created.start_time and created.create_time
    assert client.get_persistent_resource(name=created.name).labels["team"] == "ml"


def test_create_provisions_on_the_clock(target: Target) -> None:
    target.service.settings = type(target.service.settings)(provision_delay=30)
    client = target.resources()
    operation = client.create_persistent_resource(
        parent=PARENT, persistent_resource=_resource(), persistent_resource_id="slow"
    )
    assert not operation.done()
    assert client.get_persistent_resource(name=f"{PARENT}/persistentResources/slow").state == PR.State.PROVISIONING
    target.advance(30)
    assert operation.result(timeout=5).state == PR.State.RUNNING


def test_list_pages_through_every_resource_once(target: Target) -> None:
    client = target.resources()
    for index in range(7):
        client.create_persistent_resource(
            parent=PARENT, persistent_resource=_resource(), persistent_resource_id=f"pr-{index}"
        ).result()
    pager = client.list_persistent_resources(request={"parent": PARENT, "page_size": 3})
    names = [resource.name for resource in pager]
    assert sorted(names) == sorted(f"{PARENT}/persistentResources/pr-{i}" for i in range(7))
    assert len(set(names)) == 7


def test_update_replica_count_goes_through_updating(target: Target) -> None:
    target.service.settings = type(target.service.settings)(update_delay=5)
    client = target.resources()
    created = client.create_persistent_resource(
        parent=PARENT, persistent_resource=_resource(), persistent_resource_id="grow"
    ).result()
    created.resource_pools[0].replica_count = 4
    operation = client.update_persistent_resource(
        persistent_resource=created, update_mask=field_mask_pb2.FieldMask(paths=["resource_pools.replica_count"])
    )
    assert client.get_persistent_resource(name=created.name).state == PR.State.UPDATING
    target.advance(5)
    updated = operation.result(timeout=5)
    assert updated.state == PR.State.RUNNING
    assert updated.resource_pools[0].replica_count == 4


def test_update_of_another_field_is_a_bad_request(target: Target) -> None:
    client = target.resources()
    created = client.create_persistent_resource(
        parent=PARENT, persistent_resource=_resource(), persistent_resource_id="fixed"
    ).result()
    created.display_name = "renamed"
    with pytest.raises(exceptions.BadRequest, match=r"Unrecognized path .displayName"):
        client.update_persistent_resource(
            persistent_resource=created, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
        )


def test_reboot_and_delete(target: Target) -> None:
    client = target.resources()
    created = client.create_persistent_resource(
        parent=PARENT, persistent_resource=_resource(), persistent_resource_id="cycle"
    ).result()
    assert client.reboot_persistent_resource(name=created.name).result(timeout=5).state == PR.State.RUNNING
    client.delete_persistent_resource(name=created.name).result(timeout=5)
    with pytest.raises(exceptions.NotFound):
        client.get_persistent_resource(name=created.name)


def test_errors_carry_the_classes_users_catch(target: Target) -> None:
    client = target.resources()
    client.create_persistent_resource(
        parent=PARENT, persistent_resource=_resource(), persistent_resource_id="dup"
    ).result()
    with pytest.raises(exceptions.Conflict):
        client.create_persistent_resource(parent=PARENT, persistent_resource=_resource(), persistent_resource_id="dup")
    with pytest.raises(exceptions.NotFound):
        client.get_persistent_resource(name=f"{PARENT}/persistentResources/missing")
    with pytest.raises(exceptions.BadRequest, match="persistent_resource_id"):
        client.create_persistent_resource(
            parent=PARENT, persistent_resource=_resource(), persistent_resource_id="Bad_Id"
        )
    with pytest.raises(exceptions.BadRequest, match="replica_count"):
        client.create_persistent_resource(
            parent=PARENT, persistent_resource=_resource(replicas=0), persistent_resource_id="empty"
        )


def test_v1beta1_operation_carries_v1beta1_types(target: Target) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1beta1

    client = aiplatform_v1beta1.PersistentResourceServiceClient(
        transport="rest", client_options=target.client_options(), credentials=AnonymousCredentials()
    )
    created = client.create_persistent_resource(
        parent=PARENT,
        persistent_resource={
            "resource_pools": [{"machine_spec": {"machine_type": "n1-standard-8"}, "replica_count": 1}]
        },
        persistent_resource_id="beta",
    ).result(timeout=5)
    assert isinstance(created, aiplatform_v1beta1.PersistentResource)
    assert created.state == aiplatform_v1beta1.PersistentResource.State.RUNNING


def test_state_is_separate_per_project_and_location() -> None:
    service = new_service()
    body = {"resourcePools": [{"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": "1"}]}
    service.create_resource("projects/a/locations/us-central1", "same", dict(body), "v1")
    service.create_resource("projects/123456/locations/europe-west4", "same", dict(body), "v1")
    first, _ = service.list_resources("projects/a/locations/us-central1", None, None)
    other, _ = service.list_resources("projects/a/locations/europe-west4", None, None)
    assert [r.name for r in first] == ["projects/a/locations/us-central1/persistentResources/same"]
    assert other == []
