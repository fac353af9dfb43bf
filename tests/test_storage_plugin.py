"""The pytest plugin's Cloud Storage: both fixtures set ``STORAGE_EMULATOR_HOST``, create the
staging bucket (``--vertex-staging-bucket``) for each test and empty the storage between tests, and
the SDK stages a local script there unmodified."""

from __future__ import annotations

# In-process pytester runs drop the modules they import; the official types cannot be imported
# twice, and the process's one storage emulator must outlive the inner runs, so both come first.
import google.cloud.aiplatform  # noqa: F401
import pytest

import vertex_emulator.storage  # noqa: F401

pytest_plugins = ["pytester"]

TESTS = '''
import os

from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform, storage

POOL = {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1}


def _upload(name):
    """The upload the SDK's script staging makes: no bucket create, no bucket get."""
    client = storage.Client(project="my-project", credentials=AnonymousCredentials())
    client.bucket("my-stage").blob(name).upload_from_string(b"package")


def test_in_process_fixture_has_the_staging_bucket(vertex_emulator):
    assert os.environ["STORAGE_EMULATOR_HOST"] == vertex_emulator.storage.url
    _upload("first.tar.gz")
    assert vertex_emulator.storage.read("gs://my-stage/first.tar.gz") == b"package"


def test_the_next_test_finds_it_empty(vertex_emulator):
    assert vertex_emulator.storage.buckets() == ["my-stage"]
    assert vertex_emulator.storage.objects("my-stage") == []


def test_server_fixture_has_it_too(vertex_emulator_server):
    import json, urllib.request

    _upload("served.tar.gz")
    with urllib.request.urlopen(vertex_emulator_server.url + "/emulator/v1/storage") as answer:
        described = json.loads(answer.read())
    assert described["url"] == os.environ["STORAGE_EMULATOR_HOST"]
    assert described["buckets"] == ["my-stage"]
    assert vertex_emulator_server.storage.objects("my-stage") == ["served.tar.gz"]


def test_the_sdk_stages_a_local_script_unmodified(vertex_emulator, tmp_path):
    vertex_emulator.client.create_persistent_resource("my-pr", {"resource_pools": [POOL]})
    script = tmp_path / "train.py"
    script.write_text("print('training')\\n")
    job = aiplatform.CustomJob.from_local_script(
        display_name="script",
        script_path=str(script),
        container_uri="us-docker.pkg.dev/vertex-ai/training/pytorch-cpu.2-4:latest",
        persistent_resource_id="my-pr",
    )
    job.run()
    [package] = job.job_spec.worker_pool_specs[0].python_package_spec.package_uris
    assert package.startswith("gs://my-stage/sub/aiplatform-")
    assert package.endswith("aiplatform_custom_trainer_script-0.1.tar.gz")
    assert vertex_emulator.storage.read(package)[:2] == b"\\x1f\\x8b"
    assert job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED
'''


def test_the_fixtures_give_each_test_an_emptied_storage_with_the_staging_bucket(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=TESTS)
    result = pytester.runpytest_inprocess("-q", "--vertex-staging-bucket=gs://my-stage/sub")
    result.assert_outcomes(passed=4)


def test_the_default_staging_bucket_is_created(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_default="""
from google.cloud import storage


def test_default(vertex_emulator):
    assert vertex_emulator.storage.buckets() == ["vertex-emulator-staging"]
    storage.Client().bucket("vertex-emulator-staging").blob("a").upload_from_string(b"x")
"""
    )
    pytester.runpytest_inprocess("-q").assert_outcomes(passed=1)
