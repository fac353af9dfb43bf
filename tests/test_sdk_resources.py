"""The high-level SDK's PersistentResource classes, v1 and preview (v1beta1), against the emulator."""

from __future__ import annotations

from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform, aiplatform_v1
from google.cloud.aiplatform.persistent_resource import PersistentResource
from vertexai.resources.preview import PersistentResource as PreviewPersistentResource

from tests.conftest import Target

POOL = {
    "machine_spec": {"machine_type": "n1-standard-4", "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 1},
    "replica_count": 1,
    "disk_spec": {"boot_disk_type": "pd-ssd", "boot_disk_size_gb": 100},
}


def _init(target: Target) -> None:
    aiplatform.init(
        project="my-project",
        location="us-central1",
        api_transport="rest",
        credentials=AnonymousCredentials(),
        **({"api_endpoint": target.endpoint} if target.endpoint else {}),
    )


def test_sdk_create_returns_a_running_resource(target: Target, sdk_fast: None) -> None:
    _init(target)
    resource = PersistentResource.create(
        persistent_resource_id="my-pr",
        resource_pools=[POOL],
        display_name="my persistent resource",
        labels={"team": "ml"},
    )
    assert resource.state == aiplatform_v1.PersistentResource.State.RUNNING
    assert resource.resource_name == "projects/my-project/locations/us-central1/persistentResources/my-pr"
    listed = PersistentResource.list()
    assert [r.resource_name for r in listed] == [resource.resource_name]
    resource.reboot()
    resource.delete()
    assert PersistentResource.list() == []


def test_preview_create_returns_a_running_resource(target: Target, sdk_fast: None) -> None:
    _init(target)
    resource = PreviewPersistentResource.create(persistent_resource_id="preview-pr", resource_pools=[POOL])
    assert resource.state.name == "RUNNING"
    assert resource.gca_resource.resource_pools[0].disk_spec.boot_disk_type == "pd-ssd"
