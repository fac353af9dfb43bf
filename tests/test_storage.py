"""The Cloud Storage emulator component, through the real google-cloud-storage client (no
credentials, ``STORAGE_EMULATOR_HOST``) and through the API the emulator itself uses."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from tests.conftest import new_service
from vertex_emulator import fixtures
from vertex_emulator.storage import HOST_ENV, ObjectNotFound, Storage, StorageError, check_bucket_name

MIB = 1024 * 1024


@pytest.fixture
def storage() -> Iterator[Storage]:
    with Storage(buckets=["staging"]) as started:
        yield started


@pytest.fixture
def client(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> gcs.Client:
    monkeypatch.setenv(HOST_ENV, storage.url)
    return gcs.Client(project="my-project", credentials=AnonymousCredentials())


def test_the_official_client_creates_uploads_downloads_and_lists(client: gcs.Client, tmp_path: Path) -> None:
    bucket = client.create_bucket("my-bucket")
    bucket.blob("small/a.txt").upload_from_string(b"multipart")
    big = os.urandom(9 * MIB)
    (tmp_path / "big.bin").write_bytes(big)
    bucket.blob("big/whole.bin").upload_from_filename(str(tmp_path / "big.bin"))
    chunked = bucket.blob("big/chunked.bin", chunk_size=4 * MIB)
    chunked.upload_from_filename(str(tmp_path / "big.bin"))

    assert bucket.blob("small/a.txt").download_as_bytes() == b"multipart"
    assert bucket.blob("big/whole.bin").download_as_bytes() == big
    assert bucket.blob("big/chunked.bin").download_as_bytes() == big
    assert [blob.name for blob in client.list_blobs("my-bucket", prefix="big/")] == ["big/chunked.bin", "big/whole.bin"]
    assert sorted(b.name for b in client.list_buckets()) == ["my-bucket", "staging"]
    with pytest.raises(exceptions.Conflict):
        client.create_bucket("my-bucket")


def test_the_sdks_staging_upload_needs_the_bucket_to_exist(
    storage: Storage, client: gcs.Client, tmp_path: Path
) -> None:
    """The exact call CustomTrainingJob and CustomJob.from_local_script make
    (``utils._timestamped_copy_to_gcs``): no bucket create, no bucket get, so a missing bucket is a 404."""
    package = tmp_path / "aiplatform_custom_trainer_script-0.1.tar.gz"
    package.write_bytes(b"sdist")

    def upload(bucket: str) -> None:
        client = gcs.Client(project="my-project", credentials=AnonymousCredentials())
        client.bucket(bucket).blob(f"aiplatform-custom-training/{package.name}").upload_from_filename(str(package))

    with pytest.raises(exceptions.NotFound):
        upload("missing-bucket")
    upload("staging")
    assert storage.read(f"gs://staging/aiplatform-custom-training/{package.name}") == b"sdist"
    with pytest.raises(exceptions.NotFound):
        client.bucket("missing-bucket").blob("x").download_as_bytes()


def test_the_emulators_own_reads_and_writes_go_through_the_storage_api(storage: Storage, client: gcs.Client) -> None:
    storage.write("gs://staging/model/saved model.pb", b"weights")
    assert client.bucket("staging").blob("model/saved model.pb").download_as_bytes() == b"weights"
    client.bucket("staging").blob("packages/p.tar.gz").upload_from_string(b"package")
    assert storage.read("gs://staging/packages/p.tar.gz") == b"package"
    assert storage.exists("gs://staging/packages/p.tar.gz")
    assert not storage.exists("gs://staging/packages/other.tar.gz")
    assert storage.objects("staging") == ["model/saved model.pb", "packages/p.tar.gz"]
    assert storage.objects("staging", prefix="model/") == ["model/saved model.pb"]
    with pytest.raises(ObjectNotFound):
        storage.read("gs://staging/nothing")
    with pytest.raises(ObjectNotFound):
        storage.write("gs://missing-bucket/x", b"")
    with pytest.raises(StorageError, match="not a Cloud Storage object URI"):
        storage.read("gs://staging")


def test_reset_empties_everything_and_brings_the_initial_buckets_back(storage: Storage, client: gcs.Client) -> None:
    assert storage.create_bucket("extra")
    assert not storage.create_bucket("extra")
    storage.write("gs://staging/a", b"1")
    storage.reset()
    assert storage.buckets() == ["staging"]
    assert storage.objects("staging") == []
    assert storage.describe() == {
        "url": storage.url,
        "hostEnv": "STORAGE_EMULATOR_HOST",
        "persistent": False,
        "buckets": ["staging"],
    }


@pytest.mark.parametrize(
    "name", ["UPPER", "ab", "-dash-first", "dot-last.", "goog-bucket", "my-google-bucket", "192.168.5.4", "a" * 64]
)
def test_bucket_names_the_real_service_refuses_are_refused(name: str) -> None:
    with pytest.raises(StorageError, match="Invalid bucket name"):
        check_bucket_name(name)


@pytest.mark.parametrize("name", ["abc", "my_bucket-1", "with.dots.example", "a" * 63, f"{'a' * 63}.{'b' * 63}"])
def test_bucket_names_the_real_service_accepts_are_accepted(name: str) -> None:
    check_bucket_name(name)


def test_a_data_dir_keeps_buckets_and_objects_across_restarts(tmp_path: Path) -> None:
    with Storage(data_dir=tmp_path, buckets=["kept"]) as first:
        first.write("gs://kept/model/a.bin", b"saved")
        first.create_bucket("made-later")
        assert first.describe()["persistent"] is True
    with Storage(data_dir=tmp_path, buckets=["kept"]) as second:
        assert second.buckets() == ["kept", "made-later"]
        assert second.read("gs://kept/model/a.bin") == b"saved"


def test_a_port_is_taken_at_bind_and_served_at_start(storage: Storage) -> None:
    later = Storage().bind()
    try:
        assert later.port > 0
        with pytest.raises(OSError):
            Storage(port=later.port).bind()
        later.start()
        assert later.buckets() == []
    finally:
        later.stop()
    with pytest.raises(StorageError, match="not started"):
        _ = later.url


BUCKETS = {
    "list.json": {"kind": "storage#buckets", "items": [{"kind": "storage#bucket", "name": "from-a-list"}]},
    "described.yaml": "name: from-gcloud\nstorage_url: gs://from-gcloud/\nlocation: US-CENTRAL1\n",
}


def test_fixtures_create_buckets_beside_resources(storage: Storage, tmp_path: Path) -> None:
    for file, content in BUCKETS.items():
        (tmp_path / file).write_text(content if isinstance(content, str) else json.dumps(content))
    (tmp_path / "resource.json").write_text(
        json.dumps(
            {"name": "pr", "resourcePools": [{"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": 1}]}
        )
    )
    service = new_service()
    assert fixtures.load(service, [tmp_path], "my-project", "us-central1", storage) == 3
    assert storage.buckets() == ["from-a-list", "from-gcloud", "staging"]
    assert len(service.overview()["scopes"]) == 1


@pytest.mark.parametrize(
    ("bucket", "with_storage", "reason"),
    [({"kind": "storage#bucket", "name": "Bad"}, True, "field name: Invalid bucket name"), (None, False, "is off")],
)
def test_fixture_buckets_that_cannot_be_made_load_nothing(
    storage: Storage, tmp_path: Path, bucket: dict[str, str] | None, with_storage: bool, reason: str
) -> None:
    (tmp_path / "b.json").write_text(json.dumps(bucket or {"kind": "storage#bucket", "name": "fine"}))
    (tmp_path / "resource.json").write_text(
        json.dumps(
            {"name": "pr", "resourcePools": [{"machineSpec": {"machineType": "n1-standard-4"}, "replicaCount": 1}]}
        )
    )
    service = new_service()
    with pytest.raises(fixtures.FixtureError, match=reason) as refused:
        fixtures.load(service, [tmp_path], "my-project", "us-central1", storage if with_storage else None)
    assert "b.json" in str(refused.value)
    assert service.export_state() == new_service().export_state()
    assert storage.buckets() == ["staging"]


def test_empty_and_binary_objects_round_trip(storage: Storage) -> None:
    storage.write("gs://staging/empty", b"")
    storage.write("gs://staging/binary", bytes(range(256)) * 3)
    assert storage.read("gs://staging/empty") == b""
    assert storage.read("gs://staging/binary") == bytes(range(256)) * 3


def test_a_connection_that_sends_nothing_does_not_stall_the_others(storage: Storage) -> None:
    with socket.create_connection((storage.host, storage.port), timeout=5):
        storage.write("gs://staging/while-someone-idles", b"served")
        assert storage.read("gs://staging/while-someone-idles") == b"served"


def test_concurrent_clients_each_get_their_own_objects_back(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight clients at once (a bounded loop on loopback): the requests are handled one at a time,
    so the package's unlocked store loses nothing."""
    monkeypatch.setenv(HOST_ENV, storage.url)

    def round_trips(worker: int) -> bool:
        client = gcs.Client(project="my-project", credentials=AnonymousCredentials())
        bucket = client.bucket("staging")
        payloads = {f"w{worker}/{n}": os.urandom(64 * 1024) for n in range(4)}
        for name, data in payloads.items():
            bucket.blob(name).upload_from_string(data)
        return all(bucket.blob(name).download_as_bytes() == data for name, data in payloads.items())

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(round_trips, range(8)))
    assert len(storage.objects("staging")) == 32
