"""The environment of a replica: every variable Vertex AI sets, on a two-pool job and a trial."""

from __future__ import annotations

import json

from vertex_emulator.runner.environment import Cluster, Replica, Trial, project_number, replicas

JOB = "projects/my-project/locations/europe-west4/customJobs/4242"
SPEC = {
    "workerPoolSpecs": [
        {
            "machineSpec": {"machineType": "n1-standard-4"},
            "replicaCount": "1",
            "containerSpec": {"imageUri": "trainer", "command": ["python"], "env": [{"name": "MODE", "value": "a"}]},
        },
        {
            "machineSpec": {"machineType": "n1-standard-4"},
            "replicaCount": "2",
            "containerSpec": {"imageUri": "trainer", "command": ["python"]},
        },
    ],
    "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/out"},
}
PORTS = {Replica(0, 0): 5000, Replica(1, 0): 5001, Replica(1, 1): 5002}


def test_replicas_skip_empty_pools_and_keep_indices() -> None:
    spec = {"workerPoolSpecs": [SPEC["workerPoolSpecs"][0], {}, {**SPEC["workerPoolSpecs"][1], "replicaCount": "1"}]}
    assert [replica.name for replica in replicas(spec)] == ["workerpool0-0", "workerpool2-0"]


def test_every_variable_of_a_two_pool_job() -> None:
    cluster = Cluster(JOB, SPEC, PORTS)
    env = cluster.environment(Replica(1, 1), storage_host="http://127.0.0.1:9023")
    assert json.loads(env.pop("CLUSTER_SPEC")) == {
        "cluster": {"workerpool0": ["127.0.0.1:5000"], "workerpool1": ["127.0.0.1:5001", "127.0.0.1:5002"]},
        "environment": "cloud",
        "task": {"type": "workerpool1", "index": 1},
        "job": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": "1",
                    "container_spec": {
                        "image_uri": "trainer",
                        "command": ["python"],
                        "env": [{"name": "MODE", "value": "a"}],
                    },
                },
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": "2",
                    "container_spec": {"image_uri": "trainer", "command": ["python"]},
                },
            ],
            "base_output_directory": {"output_uri_prefix": "gs://bucket/out"},
        },
    }
    tf_config = json.loads(env.pop("TF_CONFIG"))
    assert tf_config["cluster"] == {"chief": ["127.0.0.1:5000"], "worker": ["127.0.0.1:5001", "127.0.0.1:5002"]}
    assert tf_config["task"] == {"type": "worker", "index": 1, "cloud": "4242"}
    assert tf_config["environment"] == "cloud"
    assert tf_config["job"]["worker_pool_specs"][1]["replica_count"] == "2"
    assert env == {
        "CLOUD_ML_PROJECT_ID": project_number("my-project"),
        "CLOUD_ML_JOB_ID": "4242",
        "CLOUD_ML_REGION": "europe-west4",
        "AIP_MODEL_DIR": "gs://bucket/out/model/",
        "AIP_CHECKPOINT_DIR": "gs://bucket/out/checkpoints/",
        "AIP_TENSORBOARD_LOG_DIR": "gs://bucket/out/logs/",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": "5000",
        "WORLD_SIZE": "3",
        "RANK": "2",
        "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9023",
    }
    assert cluster.environment(Replica(0, 0))["MODE"] == "a"
    assert [cluster.environment(replica)["RANK"] for replica in sorted(PORTS)] == ["0", "1", "2"]


def test_a_single_replica_job_has_no_tf_config_nor_torch_variables() -> None:
    spec = {"workerPoolSpecs": SPEC["workerPoolSpecs"][:1]}
    env = Cluster(JOB, spec, {Replica(0, 0): 5000}).environment(Replica(0, 0))
    assert not {"TF_CONFIG", "MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "AIP_MODEL_DIR"} & set(env)
    assert json.loads(env["CLUSTER_SPEC"])["task"] == {"type": "workerpool0", "index": 0}


def test_evaluators_are_never_in_tf_config_cluster() -> None:
    pool = SPEC["workerPoolSpecs"][1]
    spec = {"workerPoolSpecs": [SPEC["workerPoolSpecs"][0], {}, {}, {**pool, "replicaCount": "1"}]}
    ports = {Replica(0, 0): 6000, Replica(3, 0): 6001}
    tf_config = json.loads(Cluster(JOB, spec, ports).environment(Replica(3, 0))["TF_CONFIG"])
    assert tf_config["cluster"] == {"chief": ["127.0.0.1:6000"]}
    assert tf_config["task"]["type"] == "evaluator"


def test_a_trial_gets_its_id_and_metric_file() -> None:
    trial_spec = {**SPEC, "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/out/7"}}
    env = Cluster(JOB, trial_spec, PORTS, Trial("7", "/tmp/t7/output.metrics")).environment(Replica(0, 0))
    assert env["AIP_MODEL_DIR"] == "gs://bucket/out/7/model/"
    assert env["CLOUD_ML_TRIAL_ID"] == "7"
    assert env["CLOUD_ML_HP_METRIC_FILE"] == "/tmp/t7/output.metrics"
    assert json.loads(env["CLUSTER_SPEC"])["task"]["trial"] == "7"
    assert json.loads(env["TF_CONFIG"])["task"]["trial"] == "7"


def test_project_numbers_are_deterministic_twelve_digit_numbers() -> None:
    assert project_number("my-project") == project_number("my-project") != project_number("other")
    assert len(project_number("my-project")) == 12 and project_number("my-project").isdigit()
    assert project_number("123456789012") == "123456789012"
