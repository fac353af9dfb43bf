"""Permission checks: each predefined role against each method, custom roles, actAs, and the wire form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform_v1
from google.oauth2.credentials import Credentials

from tests.conftest import PARENT, demo_pool, job_body, new_service
from vertex_emulator import iam
from vertex_emulator.commands.serve import build_http_options
from vertex_emulator.http.app import make_app
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

POLICY = """
tokens:
  admin-token: user:admin@example.com
  user-token: user:dev@example.com
  viewer-token: user:auditor@example.com
  robot-token: serviceAccount:ci@my-project.iam.gserviceaccount.com
roles:
  projects/my-project/roles/jobWatcher:
    includedPermissions: [aiplatform.customJobs.get, aiplatform.customJobs.list]
bindings:
  - role: roles/aiplatform.admin
    members: [user:admin@example.com]
  - role: roles/aiplatform.user
    members: [user:dev@example.com, serviceAccount:ci@my-project.iam.gserviceaccount.com]
  - role: roles/aiplatform.viewer
    members: [user:auditor@example.com]
  - role: projects/my-project/roles/jobWatcher
    members: [user:watcher@example.com]
  - role: roles/iam.serviceAccountUser
    members: [user:dev@example.com]
    resource: projects/my-project
  - role: roles/aiplatform.user
    members: [user:scoped@example.com]
    resource: projects/other-project
"""

JOB = f"{PARENT}/customJobs/123"
TUNING = f"{PARENT}/hyperparameterTuningJobs/456"
RESOURCE = f"{PARENT}/persistentResources/demo"
OPERATION = f"{PARENT}/operations/9"
PIPELINE = f"{PARENT}/trainingPipelines/456"
MODEL = f"{PARENT}/models/789"
# Each method of the real API as a request: (method summary, HTTP method, path, query).
METHODS: list[tuple[str, str, str, str]] = [
    ("CreatePersistentResource", "POST", f"/v1/{PARENT}/persistentResources", "persistentResourceId=x"),
    ("ListPersistentResources", "GET", f"/v1/{PARENT}/persistentResources", ""),
    ("GetPersistentResource", "GET", f"/v1/{RESOURCE}", ""),
    ("UpdatePersistentResource", "PATCH", f"/v1/{RESOURCE}", "updateMask=resource_pools.replica_count"),
    ("DeletePersistentResource", "DELETE", f"/v1/{RESOURCE}", ""),
    ("RebootPersistentResource", "POST", f"/v1/{RESOURCE}:reboot", ""),
    ("CreateCustomJob", "POST", f"/v1/{PARENT}/customJobs", ""),
    ("ListCustomJobs", "GET", f"/v1/{PARENT}/customJobs", ""),
    ("GetCustomJob", "GET", f"/v1/{JOB}", ""),
    ("DeleteCustomJob", "DELETE", f"/v1/{JOB}", ""),
    ("CancelCustomJob", "POST", f"/v1/{JOB}:cancel", ""),
    ("CreateTrainingPipeline", "POST", f"/v1/{PARENT}/trainingPipelines", ""),
    ("ListTrainingPipelines", "GET", f"/v1/{PARENT}/trainingPipelines", ""),
    ("GetTrainingPipeline", "GET", f"/v1/{PIPELINE}", ""),
    ("DeleteTrainingPipeline", "DELETE", f"/v1/{PIPELINE}", ""),
    ("CancelTrainingPipeline", "POST", f"/v1/{PIPELINE}:cancel", ""),
    ("ListModels", "GET", f"/v1/{PARENT}/models", ""),
    ("GetModel", "GET", f"/v1/{MODEL}", ""),
    ("ListModelVersions", "GET", f"/v1/{MODEL}:listVersions", ""),
    ("CreateHyperparameterTuningJob", "POST", f"/v1/{PARENT}/hyperparameterTuningJobs", ""),
    ("ListHyperparameterTuningJobs", "GET", f"/v1/{PARENT}/hyperparameterTuningJobs", ""),
    ("GetHyperparameterTuningJob", "GET", f"/v1/{TUNING}", ""),
    ("DeleteHyperparameterTuningJob", "DELETE", f"/v1/{TUNING}", ""),
    ("CancelHyperparameterTuningJob", "POST", f"/v1/{TUNING}:cancel", ""),
    ("ListOperations", "GET", f"/v1/{PARENT}/operations", ""),
    ("GetOperation", "GET", f"/ui/{OPERATION}", ""),
    ("WaitOperation", "POST", f"/v1/{OPERATION}:wait", "timeout=0s"),
    ("CancelOperation", "POST", f"/v1/{OPERATION}:cancel", ""),
    ("DeleteOperation", "DELETE", f"/v1/{OPERATION}", ""),
]
# What each role may do, written out by hand from vertex-api.md §8 (not read from vertex_emulator.iam).
ALLOWED = {
    "admin-token": {summary for summary, *_ in METHODS},
    "user-token": {
        "ListPersistentResources",
        "GetPersistentResource",
        "CreateCustomJob",
        "ListCustomJobs",
        "GetCustomJob",
        "DeleteCustomJob",
        "CancelCustomJob",
        "CreateTrainingPipeline",
        "ListTrainingPipelines",
        "GetTrainingPipeline",
        "DeleteTrainingPipeline",
        "CancelTrainingPipeline",
        "ListModels",
        "GetModel",
        "ListModelVersions",
        "CreateHyperparameterTuningJob",
        "ListHyperparameterTuningJobs",
        "GetHyperparameterTuningJob",
        "DeleteHyperparameterTuningJob",
        "CancelHyperparameterTuningJob",
        "ListOperations",
        "GetOperation",
        "WaitOperation",
    },
    "viewer-token": {
        "ListPersistentResources",
        "GetPersistentResource",
        "ListCustomJobs",
        "GetCustomJob",
        "ListTrainingPipelines",
        "GetTrainingPipeline",
        "ListModels",
        "GetModel",
        "ListModelVersions",
        "ListHyperparameterTuningJobs",
        "GetHyperparameterTuningJob",
        "ListOperations",
        "GetOperation",
        "WaitOperation",
    },
    "user:watcher@example.com": {"ListCustomJobs", "GetCustomJob"},
    "user:scoped@example.com": set(),
    None: set(),
}
PERMISSIONS = {
    "CreatePersistentResource": ("aiplatform.persistentResources.create", PARENT),
    "ListPersistentResources": ("aiplatform.persistentResources.list", PARENT),
    "GetPersistentResource": ("aiplatform.persistentResources.get", RESOURCE),
    "UpdatePersistentResource": ("aiplatform.persistentResources.update", RESOURCE),
    "DeletePersistentResource": ("aiplatform.persistentResources.delete", RESOURCE),
    "RebootPersistentResource": ("aiplatform.persistentResources.update", RESOURCE),
    "CreateCustomJob": ("aiplatform.customJobs.create", PARENT),
    "ListCustomJobs": ("aiplatform.customJobs.list", PARENT),
    "GetCustomJob": ("aiplatform.customJobs.get", JOB),
    "DeleteCustomJob": ("aiplatform.customJobs.delete", JOB),
    "CancelCustomJob": ("aiplatform.customJobs.cancel", JOB),
    "CreateTrainingPipeline": ("aiplatform.trainingPipelines.create", PARENT),
    "ListTrainingPipelines": ("aiplatform.trainingPipelines.list", PARENT),
    "GetTrainingPipeline": ("aiplatform.trainingPipelines.get", PIPELINE),
    "DeleteTrainingPipeline": ("aiplatform.trainingPipelines.delete", PIPELINE),
    "CancelTrainingPipeline": ("aiplatform.trainingPipelines.cancel", PIPELINE),
    "ListModels": ("aiplatform.models.list", PARENT),
    "GetModel": ("aiplatform.models.get", MODEL),
    "ListModelVersions": ("aiplatform.models.list", MODEL),
    "CreateHyperparameterTuningJob": ("aiplatform.hyperparameterTuningJobs.create", PARENT),
    "ListHyperparameterTuningJobs": ("aiplatform.hyperparameterTuningJobs.list", PARENT),
    "GetHyperparameterTuningJob": ("aiplatform.hyperparameterTuningJobs.get", TUNING),
    "DeleteHyperparameterTuningJob": ("aiplatform.hyperparameterTuningJobs.delete", TUNING),
    "CancelHyperparameterTuningJob": ("aiplatform.hyperparameterTuningJobs.cancel", TUNING),
    "ListOperations": ("aiplatform.operations.list", PARENT),
    "GetOperation": ("aiplatform.operations.list", OPERATION),
    "WaitOperation": ("aiplatform.operations.list", OPERATION),
    "CancelOperation": ("aiplatform.operations.cancel", OPERATION),
    "DeleteOperation": ("aiplatform.operations.delete", OPERATION),
}


@pytest.fixture
def policy() -> iam.Policy:
    import yaml

    return iam.Policy.from_dict(yaml.safe_load(POLICY))


@pytest.fixture
def client(policy: iam.Policy) -> Any:
    return make_app(new_service(), HttpOptions(policy=policy)).test_client()


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.mark.parametrize("token", list(ALLOWED))
def test_each_role_against_each_method(client: Any, token: str | None) -> None:
    for summary, method, path, query in METHODS:
        answer = client.open(path, method=method, query_string=query, json={}, headers=_headers(token))
        if summary in ALLOWED[token]:
            assert answer.status_code != 403, (token, summary, answer.json)
            continue
        permission, resource = PERMISSIONS[summary]
        assert answer.status_code == 403, (token, summary, answer.status_code)
        error = answer.json["error"]
        assert error["status"] == "PERMISSION_DENIED"
        assert error["message"] == (
            f"Permission '{permission}' denied on resource '//aiplatform.googleapis.com/{resource}' "
            "(or it may not exist)."
        )
        assert error["details"] == [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "aiplatform.googleapis.com",
                "metadata": {"permission": permission, "resource": f"//aiplatform.googleapis.com/{resource}"},
            }
        ]


def test_the_route_table_declares_the_permissions_the_matrix_expects() -> None:
    from vertex_emulator.http.urls import ROUTES

    declared = {route.summary: route.permission for route in ROUTES if route.permission}
    assert declared == {summary: permission for summary, (permission, _) in PERMISSIONS.items()}


def test_a_binding_on_a_project_covers_its_resources_only(client: Any) -> None:
    scoped = _headers("user:scoped@example.com")
    assert client.get("/v1/projects/other-project/locations/us-central1/customJobs", headers=scoped).status_code == 200
    assert client.get(f"/v1/{PARENT}/customJobs", headers=scoped).status_code == 403


def test_the_access_token_query_parameter_names_the_principal_too(client: Any) -> None:
    assert client.get(f"/v1/{PARENT}/customJobs?access_token=viewer-token").status_code == 200
    assert client.post(f"/v1/{PARENT}/customJobs?access_token=viewer-token", json=job_body(None)).status_code == 403


def test_a_service_account_job_needs_act_as_on_that_account(client: Any) -> None:
    body = job_body(None)
    body["jobSpec"]["serviceAccount"] = "trainer@my-project.iam.gserviceaccount.com"
    assert client.post(f"/v1/{PARENT}/customJobs", json=body, headers=_headers("user-token")).status_code == 200
    denied = client.post(f"/v1/{PARENT}/customJobs", json=body, headers=_headers("robot-token"))
    assert denied.status_code == 403
    resource = "//iam.googleapis.com/projects/my-project/serviceAccounts/trainer@my-project.iam.gserviceaccount.com"
    assert denied.json["error"]["message"] == (
        f"Permission 'iam.serviceAccounts.actAs' denied on resource '{resource}' (or it may not exist)."
    )
    assert denied.json["error"]["details"][0]["domain"] == "iam.googleapis.com"
    body["jobSpec"]["serviceAccount"] = "trainer@elsewhere.iam.gserviceaccount.com"
    assert client.post(f"/v1/{PARENT}/customJobs", json=body, headers=_headers("user-token")).status_code == 403


def test_no_policy_allows_everything_and_no_request_is_ever_401() -> None:
    client = make_app(new_service()).test_client()
    assert client.post(f"/v1/{PARENT}/customJobs", json=job_body(None)).status_code == 200
    assert client.get(f"/v1/{PARENT}/customJobs", headers=_headers("who-knows")).status_code == 200


def test_all_users_and_all_authenticated_users() -> None:
    policy = iam.Policy.from_dict(
        {
            "bindings": [
                {"role": "roles/aiplatform.viewer", "members": ["allUsers"]},
                {"role": "roles/aiplatform.user", "members": ["allAuthenticatedUsers"]},
            ]
        }
    )
    assert policy.allows(iam.ANONYMOUS, "aiplatform.customJobs.list", PARENT)
    assert not policy.allows(iam.ANONYMOUS, "aiplatform.customJobs.create", PARENT)
    assert policy.allows("user:x@example.com", "aiplatform.customJobs.create", PARENT)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "a policy is a mapping"),
        ({"bindings": [{"role": "roles/aiplatform.superuser", "members": ["user:a"]}]}, "neither predefined"),
        ({"bindings": [{"role": "roles/aiplatform.user", "members": "user:a"}]}, "members must be a list"),
        ({"bindings": [{"role": "roles/aiplatform.user", "members": ["user:a"], "when": 1}]}, "bindings[0]"),
        ({"roles": {"r": {"includedPermissions": "aiplatform.*"}}}, "roles.r must list permissions"),
        ({"tokens": {"t": 3}}, "tokens.t"),
        ({"binding": []}, "unknown keys"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(data: Any, complaint: str) -> None:
    with pytest.raises(iam.PolicyError, match=re.escape(complaint)):
        iam.Policy.from_dict(data)


def test_serve_reads_yaml_and_json_policy_files(tmp_path: Path) -> None:
    import argparse
    import json

    import yaml

    yaml_file = tmp_path / "policy.yaml"
    yaml_file.write_text(POLICY)
    json_file = tmp_path / "policy.json"
    json_file.write_text(json.dumps(yaml.safe_load(POLICY)))
    for path in (yaml_file, json_file):
        args = argparse.Namespace(control="on", control_token=None, iam_policy=str(path))
        policy = build_http_options(args).policy
        assert policy is not None
        assert policy.principal("viewer-token") == "user:auditor@example.com"
    broken = tmp_path / "broken.yaml"
    broken.write_text("bindings: [{role: roles/nope, members: [user:a]}]")
    with pytest.raises(iam.PolicyError, match=r"broken\.yaml"):
        build_http_options(argparse.Namespace(control="on", control_token=None, iam_policy=str(broken)))


def _served(service: Service, policy: iam.Policy) -> ThreadedServer:
    return ThreadedServer(service, app=make_app(service, HttpOptions(policy=policy)))


def test_gapic_clients_with_bearer_tokens(policy: iam.Policy) -> None:
    service = new_service(job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool()]})
    with _served(service, policy) as server:

        def jobs(token: str) -> aiplatform_v1.JobServiceClient:
            return aiplatform_v1.JobServiceClient(
                transport="rest",
                client_options={"api_endpoint": server.url},
                credentials=Credentials(token=token),
            )

        job = aiplatform_v1.CustomJob(
            display_name="train",
            job_spec={
                "persistent_resource_id": "demo",
                "worker_pool_specs": [
                    {
                        "machine_spec": {
                            "machine_type": "n1-standard-4",
                            "accelerator_type": "NVIDIA_TESLA_K80",
                            "accelerator_count": 1,
                        },
                        "replica_count": 1,
                        "container_spec": {"image_uri": "gcr.io/p/trainer:1"},
                    }
                ],
            },
        )
        with pytest.raises(exceptions.Forbidden) as caught:
            jobs("viewer-token").create_custom_job(parent=PARENT, custom_job=job)
        assert "Permission 'aiplatform.customJobs.create' denied on resource" in caught.value.message
        assert caught.value.reason == "IAM_PERMISSION_DENIED"
        created = jobs("user-token").create_custom_job(parent=PARENT, custom_job=job)
        assert jobs("viewer-token").get_custom_job(name=created.name).display_name == "train"
        with pytest.raises(exceptions.Forbidden):
            jobs("viewer-token").cancel_custom_job(name=created.name)
        jobs("user-token").cancel_custom_job(name=created.name)


def test_the_readme_policy_example_loads_and_means_what_it_says() -> None:
    import yaml

    from tests.serving import ROOT

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Permission checks", 1)[1]
    policy = iam.Policy.from_dict(yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)))
    developer = policy.principal("dev-token")
    assert policy.allows(developer, "aiplatform.customJobs.create", PARENT)
    assert policy.allows(developer, iam.ACT_AS, iam.service_account("t@my-project.iam.gserviceaccount.com"))
    assert not policy.allows(
        policy.principal("ci-token"), iam.ACT_AS, iam.service_account("t@my-project.iam.gserviceaccount.com")
    )
    assert policy.allows("user:someone@example.com", "aiplatform.customJobs.get", f"{PARENT}/customJobs/1")
    assert not policy.allows(iam.ANONYMOUS, "aiplatform.customJobs.get", f"{PARENT}/customJobs/1")
