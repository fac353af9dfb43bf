"""The environment Vertex AI gives each replica of a training job, with loopback addresses.

Facts are the real service's (the shared training contract, section 4): ``CLUSTER_SPEC`` on every
replica, ``TF_CONFIG`` only when the job has more than one replica, ``AIP_*`` output directories
with trailing slashes, the trial's id and its own metric file in a tuning trial. The
emulator's own choices: real hosts are ``cmle-training-workerpoolN-<hash>-i:2222``, here each
replica gets one free loopback port; ``CLOUD_ML_PROJECT_ID`` is the project *number* on the real
service, here a number derived from the project id (``project_number``); and the PyTorch variables
(``MASTER_ADDR``, ``MASTER_PORT``, ``WORLD_SIZE``, ``RANK``) rank workerpool0-0 first, then every
other replica pool by pool, so ``init_process_group(init_method="env://")`` works across replicas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vertex_emulator.domain.specs import snake, worker_pool_is_empty

TF_TASK_TYPES = ("chief", "worker", "ps", "evaluator")
"""TF_CONFIG's names of worker pools 0, 1, 2 and 3; evaluators never appear in its ``cluster``."""

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, order=True)
class Replica:
    """One replica of a worker pool: its name is the ``task_name`` of its log entries."""

    pool: int
    index: int

    @property
    def name(self) -> str:
        return f"workerpool{self.pool}-{self.index}"

    @property
    def pool_name(self) -> str:
        return f"workerpool{self.pool}"


@dataclass(frozen=True)
class Trial:
    """What a tuning trial adds to its job's replicas: its id and its own metric file.

    Its parameters are already in its CustomJob's ``args`` and its output directory already ends in
    its id: the tuning job writes them into the trial's job spec, as the real service does.
    """

    id: str
    metric_file: str


def replicas(job_spec: Mapping[str, Any]) -> list[Replica]:
    """Every replica of a job, pool by pool; an empty worker pool has none."""
    found = []
    for pool_index, pool in enumerate(job_spec.get("workerPoolSpecs") or []):
        if worker_pool_is_empty(pool):
            continue
        found += [Replica(pool_index, index) for index in range(int(pool.get("replicaCount") or 0))]
    return found


def project_number(project: str) -> str:
    """A deterministic 12-digit project number for a project id (a numeric id is its own number).

    The real ``CLOUD_ML_PROJECT_ID`` is the project number, which only Resource Manager knows.
    """
    if project.isdigit():
        return project
    digest = hashlib.sha256(project.encode()).digest()
    return str(10**11 + int.from_bytes(digest[:8], "big") % (9 * 10**11))


def _snake_keys(value: Any) -> Any:
    """A CustomJobSpec as the replicas see it in ``CLUSTER_SPEC.job``: proto field names."""
    if isinstance(value, Mapping):
        return {snake(key): _snake_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake_keys(item) for item in value]
    return value


def _output_dirs(job_spec: Mapping[str, Any]) -> dict[str, str]:
    base = ((job_spec.get("baseOutputDirectory") or {}).get("outputUriPrefix") or "").rstrip("/")
    if not base:
        return {}
    return {
        "AIP_MODEL_DIR": f"{base}/model/",
        "AIP_CHECKPOINT_DIR": f"{base}/checkpoints/",
        "AIP_TENSORBOARD_LOG_DIR": f"{base}/logs/",
    }


@dataclass(frozen=True)
class Cluster:
    """The replicas of one job and the loopback port each one listens on."""

    job_name: str
    job_spec: Mapping[str, Any]
    ports: Mapping[Replica, int]
    trial: Trial | None = None

    @property
    def members(self) -> list[Replica]:
        return sorted(self.ports)

    def address(self, replica: Replica) -> str:
        return f"{LOOPBACK}:{self.ports[replica]}"

    def by_pool(self) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {}
        for replica in self.members:
            pools.setdefault(replica.pool_name, []).append(self.address(replica))
        return pools

    def cluster_spec(self, replica: Replica) -> dict[str, Any]:
        task: dict[str, Any] = {"type": replica.pool_name, "index": replica.index}
        if self.trial is not None:
            task["trial"] = self.trial.id
        return {"cluster": self.by_pool(), "environment": "cloud", "task": task, "job": _snake_keys(self.job_spec)}

    def tf_config(self, replica: Replica) -> dict[str, Any]:
        cluster: dict[str, list[str]] = {}
        for member in self.members:
            if member.pool < 3:
                cluster.setdefault(TF_TASK_TYPES[member.pool], []).append(self.address(member))
        task: dict[str, Any] = {"type": TF_TASK_TYPES[replica.pool], "index": replica.index}
        if self.trial is not None:
            task["trial"] = self.trial.id
        task["cloud"] = self.job_name.rsplit("/", 1)[-1]
        return {"cluster": cluster, "task": task, "job": _snake_keys(self.job_spec), "environment": "cloud"}

    def rank(self, replica: Replica) -> int:
        return self.members.index(replica)

    def environment(self, replica: Replica, storage_host: str | None = None) -> dict[str, str]:
        """The variables Vertex AI sets for ``replica``; the worker pool's own ``env`` comes on top."""
        parts = self.job_name.split("/")
        project, location, job_id = parts[1], parts[3], parts[-1]
        env = {
            "CLUSTER_SPEC": json.dumps(self.cluster_spec(replica)),
            "CLOUD_ML_PROJECT_ID": project_number(project),
            "CLOUD_ML_JOB_ID": job_id,
            "CLOUD_ML_REGION": location,
            **_output_dirs(self.job_spec),
        }
        if len(self.members) > 1:
            primary = self.members[0]
            env["TF_CONFIG"] = json.dumps(self.tf_config(replica))
            env["MASTER_ADDR"] = LOOPBACK
            env["MASTER_PORT"] = str(self.ports[primary])
            env["WORLD_SIZE"] = str(len(self.members))
            env["RANK"] = str(self.rank(replica))
        if storage_host:
            env["STORAGE_EMULATOR_HOST"] = storage_host
        if self.trial is not None:
            env["CLOUD_ML_TRIAL_ID"] = self.trial.id
            env["CLOUD_ML_HP_METRIC_FILE"] = self.trial.metric_file
        pool = (self.job_spec.get("workerPoolSpecs") or [])[replica.pool]
        task = pool.get("containerSpec") or pool.get("pythonPackageSpec") or {}
        for entry in task.get("env") or []:
            env[str(entry.get("name", ""))] = str(entry.get("value", ""))
        return env
