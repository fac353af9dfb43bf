"""The gcloud path: ``gcloud ai custom-jobs create`` flags read as gcloud reads them, checked and submitted."""

from __future__ import annotations

import copy
import json
import shlex
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import PARENT, PROJECT, demo_pool, job_body, new_service
from vertex_emulator import cli, fixtures
from vertex_emulator.offline import gcloud, gcloud_output
from vertex_emulator.offline.gcloud import GcloudError
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

BASE = "gcloud ai custom-jobs create --region=us-central1 --display-name=train"
IMAGE = "container-image-uri=gcr.io/p/trainer:1"
K80 = "machine-type=n1-standard-4,accelerator-type=NVIDIA_TESLA_K80"


def parse(command: str, environ: dict[str, str] | None = None, cwd: Path | None = None) -> gcloud.CustomJobsCreate:
    return gcloud.parse(shlex.split(command), environ={} if environ is None else environ, cwd=cwd)


def pools(command: str, **kwargs: Any) -> list[dict[str, Any]]:
    return parse(command, **kwargs).job["jobSpec"]["workerPoolSpecs"]


def refusal(command: str, **kwargs: Any) -> str:
    with pytest.raises(GcloudError) as caught:
        parse(command, **kwargs)
    return str(caught.value)


# ----------------------------------------------------------------------------- the parser


def test_each_documented_key_lands_in_its_field() -> None:
    command = (
        f"{BASE} --persistent-resource-id=demo --worker-pool-spec=machine-type=a2-highgpu-1g,replica-count=3,"
        f"accelerator-type=NVIDIA_TESLA_A100,accelerator-count=2,{IMAGE}"
    )
    read = parse(command)
    assert read.job == {
        "displayName": "train",
        "jobSpec": {
            "persistentResourceId": "demo",
            "workerPoolSpecs": [
                {
                    "machineSpec": {
                        "machineType": "a2-highgpu-1g",
                        "acceleratorType": "NVIDIA_TESLA_A100",
                        "acceleratorCount": 2,
                    },
                    "replicaCount": "3",
                    "containerSpec": {"imageUri": "gcr.io/p/trainer:1"},
                }
            ],
        },
    }
    assert (read.region, read.version, read.project) == ("us-central1", "v1", None)


def test_defaults_replica_count_one_and_accelerator_count_one() -> None:
    (pool,) = pools(f"{BASE} --worker-pool-spec={K80},{IMAGE}")
    assert pool["replicaCount"] == "1"
    assert pool["machineSpec"] == {
        "machineType": "n1-standard-4",
        "acceleratorType": "NVIDIA_TESLA_K80",
        "acceleratorCount": 1,
    }
    assert "diskSpec" not in pool, "gcloud has no disk keys: the server's defaults apply"


def test_space_and_equals_forms_read_the_same() -> None:
    spaced = (
        "gcloud ai custom-jobs create --region us-central1 --display-name train "
        f"--persistent-resource-id demo --worker-pool-spec {K80},{IMAGE} --args y,z"
    )
    joined = f"{BASE} --persistent-resource-id=demo --worker-pool-spec={K80},{IMAGE} --args=y,z"
    assert parse(spaced).job == parse(joined).job


def test_repeated_worker_pool_specs_are_pools_in_order_with_empty_slots() -> None:
    read = pools(
        f"{BASE} --worker-pool-spec=machine-type=n1-standard-8,{IMAGE} --worker-pool-spec= "
        f"--worker-pool-spec=machine-type=n1-standard-4,replica-count=4,{IMAGE}"
    )
    assert [pool.get("machineSpec", {}).get("machineType") for pool in read] == ["n1-standard-8", None, "n1-standard-4"]
    assert read[1] == {}
    assert read[2]["replicaCount"] == "4"


def test_python_package_keys_and_package_uris() -> None:
    (pool,) = pools(
        f"{BASE} --worker-pool-spec=machine-type=e2-standard-4,executor-image-uri=us-docker.pkg.dev/vertex-ai/t:1,"
        "python-module=trainer.task --python-package-uris=gs://b/a.tar.gz,gs://b/c.tar.gz --args=--epochs=2"
    )
    assert pool["pythonPackageSpec"] == {
        "executorImageUri": "us-docker.pkg.dev/vertex-ai/t:1",
        "packageUris": ["gs://b/a.tar.gz", "gs://b/c.tar.gz"],
        "pythonModule": "trainer.task",
        "args": ["--epochs=2"],
    }


def test_local_package_path_names_the_image_gcloud_would_push(tmp_path: Path) -> None:
    (tmp_path / "trainer").mkdir()
    read = pools(
        f"{BASE} --worker-pool-spec=machine-type=n1-standard-4,local-package-path=trainer,"
        "executor-image-uri=us-docker.pkg.dev/vertex-ai/t:1,script=task.py,output-image-uri=gcr.io/p/built:1 "
        "--worker-pool-spec=machine-type=n1-standard-8,replica-count=2",
        cwd=tmp_path,
    )
    assert [pool["containerSpec"]["imageUri"] for pool in read] == ["gcr.io/p/built:1", "gcr.io/p/built:1"]


def test_escaping_list_args_command_labels_and_flags_of_the_job_spec() -> None:
    read = parse(
        f"{BASE} --worker-pool-spec=^@^machine-type=n1-standard-4@{IMAGE} --args=a,b --args=c --command=python,-m "
        "--labels=team=ml,env=ci --service-account=sa@p.iam.gserviceaccount.com "
        "--network=projects/1/global/networks/n --enable-web-access --enable-dashboard-access"
    )
    spec = read.job["jobSpec"]
    assert spec["workerPoolSpecs"][0]["containerSpec"] == {
        "imageUri": "gcr.io/p/trainer:1",
        "args": ["a", "b", "c"],
        "command": ["python", "-m"],
    }
    assert read.job["labels"] == {"team": "ml", "env": "ci"}
    assert spec["serviceAccount"] == "sa@p.iam.gserviceaccount.com"
    assert spec["network"] == "projects/1/global/networks/n"
    assert spec["enableWebAccess"] is True and spec["enableDashboardAccess"] is True


def test_project_region_track_and_kms_key() -> None:
    read = parse(
        "gcloud beta --project=p ai custom-jobs create --display-name=x "
        f"--worker-pool-spec=machine-type=n1-standard-4,{IMAGE} --kms-key=k --kms-keyring=r --kms-location=us-central1",
        environ={"CLOUDSDK_AI_REGION": "europe-west4"},
    )
    assert (read.track, read.version, read.project, read.region) == ("beta", "v1beta1", "p", "europe-west4")
    assert read.command == "gcloud.beta.ai.custom-jobs.create"
    assert read.job["encryptionSpec"] == {"kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"}
    env = parse(f"{BASE} --worker-pool-spec=machine-type=n1,{IMAGE}", environ={"CLOUDSDK_CORE_PROJECT": "q"})
    assert env.project == "q"


# ------------------------------------------------------------------------ what gcloud refuses


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            f"--worker-pool-spec=machine-type=n1,gpu=1,{IMAGE}",
            "argument --worker-pool-spec: valid keys are [accelerator-count, accelerator-type, container-image-uri, "
            "executor-image-uri,",
        ),
        ("--worker-pool-spec=machine-type=n1", "Exactly one of keys [executor-image-uri, container-image-uri]"),
        (f"--worker-pool-spec={IMAGE}", "Key [machine-type] required in dict arg but not provided."),
        (f"--worker-pool-spec=machine-type=n1,accelerator-count=2,{IMAGE}", "Key [accelerator-type] required"),
        (
            f"--worker-pool-spec=machine-type=n1,accelerator-type=K80,{IMAGE}",
            "Found invalid value of [accelerator-type]",
        ),
        (
            f"--worker-pool-spec=machine-type=n1,replica-count=two,{IMAGE}",
            "argument --worker-pool-spec: invalid ArgDict value: 'machine-type=n1,replica-count=two,",
        ),
        (f"--worker-pool-spec=machine-type=n1,{IMAGE},python-module=m", "Key [python-module] is not allowed together"),
        ("--worker-pool-spec=machine-type=n1,executor-image-uri=e", "Key [python-module] is required."),
        (f"--worker-pool-spec=machine-type=n1,{IMAGE},script=run.sh", "Keys [script] are not allowed"),
        (f"--worker-pool-spec=machine-type=n1,{IMAGE},oops", "Bad syntax for dict arg: [oops]."),
        (f"--worker-pool-spec= --worker-pool-spec=machine-type=n1,{IMAGE}", "Empty value is not allowed for the first"),
        ("", "argument (--config --worker-pool-spec): Must be specified."),
        (f"--worker-pool-spec=machine-type=n1,disk-size=200,{IMAGE}", "valid keys are ["),
        (f"--worker-pool-spec=machine-type=n1,{IMAGE} --gpus=2", "unrecognized arguments: --gpus=2"),
        (f"--worker-pool-spec=machine-type=n1,{IMAGE} --kms-key=k", "Encryption key not fully specified."),
    ],
)
def test_refused_like_gcloud(flags: str, expected: str) -> None:
    """The texts of gcloud 528, which ``tests/test_gcloud_real.py`` compares with the binary's."""
    message = refusal(f"{BASE} {flags}")
    assert message.startswith("ERROR: (gcloud.ai.custom-jobs.create) ")
    assert expected in message


def test_missing_region_and_display_name_are_refused() -> None:
    no_region = refusal(f"gcloud ai custom-jobs create --display-name=x --worker-pool-spec=machine-type=n1,{IMAGE}")
    assert "Error parsing [region]." in no_region and "set the property `ai/region`" in no_region
    no_name = refusal(f"gcloud ai custom-jobs create --region=us-central1 --worker-pool-spec=machine-type=n1,{IMAGE}")
    assert no_name == "ERROR: (gcloud.ai.custom-jobs.create) argument --display-name: Must be specified."


def test_local_package_rules(tmp_path: Path) -> None:
    spec = "--worker-pool-spec=machine-type=n1,local-package-path=missing,executor-image-uri=e,script=s.py"
    assert "is not found." in refusal(f"{BASE} {spec}", cwd=tmp_path)
    (tmp_path / "pkg").mkdir()
    both = "--worker-pool-spec=machine-type=n1,local-package-path=pkg,executor-image-uri=e,script=s,python-module=m"
    assert "Exactly one of keys [python-module, script]" in refusal(f"{BASE} {both}", cwd=tmp_path)
    later = f"--worker-pool-spec=machine-type=n1,{IMAGE} --worker-pool-spec=machine-type=n1,local-package-path=pkg"
    assert "only allowed in the first" in refusal(f"{BASE} {later}", cwd=tmp_path)


def test_other_gcloud_commands_are_not_read() -> None:
    message = refusal("gcloud ai custom-jobs list --region=us-central1")
    assert message.startswith("ERROR: (gcloud) ") and "gcloud ai custom-jobs list" in message


def test_a_beta_command_names_its_track_in_errors() -> None:
    message = refusal("gcloud beta ai custom-jobs create --region=us-central1 --display-name=x")
    assert message.startswith("ERROR: (gcloud.beta.ai.custom-jobs.create) ")


# ------------------------------------------------------------------------ --config merging


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


CONFIG = """\
persistentResourceId: from-file
network: projects/1/global/networks/file
serviceAccount: file@p.iam.gserviceaccount.com
baseOutputDirectory:
  outputUriPrefix: gs://b/out
workerPoolSpecs:
  machineSpec:
    machineType: n1-highmem-2
  replicaCount: 2
  containerSpec:
    imageUri: gcr.io/p/from-file
    args: [--from-file]
    command: [start]
"""


def test_config_alone_with_a_single_mapping_as_one_worker_pool(tmp_path: Path) -> None:
    read = parse(f"{BASE} --config={write(tmp_path, CONFIG)}")
    spec = read.job["jobSpec"]
    assert spec["persistentResourceId"] == "from-file"
    assert spec["baseOutputDirectory"] == {"outputUriPrefix": "gs://b/out"}
    assert spec["workerPoolSpecs"] == [
        {
            "machineSpec": {"machineType": "n1-highmem-2"},
            "replicaCount": "2",
            "containerSpec": {"imageUri": "gcr.io/p/from-file", "args": ["--from-file"], "command": ["start"]},
        }
    ]


def test_flags_override_and_extend_the_config(tmp_path: Path) -> None:
    config = write(tmp_path, CONFIG)
    read = parse(
        f"{BASE} --config {config} --persistent-resource-id=demo --network=projects/1/global/networks/flag "
        f"--worker-pool-spec={K80},{IMAGE} --worker-pool-spec=machine-type=n1-standard-8,{IMAGE}"
    )
    spec = read.job["jobSpec"]
    assert [pool["machineSpec"]["machineType"] for pool in spec["workerPoolSpecs"]] == [
        "n1-standard-4",
        "n1-standard-8",
    ]
    assert spec["persistentResourceId"] == "demo"
    assert spec["network"] == "projects/1/global/networks/flag"
    assert spec["serviceAccount"] == "file@p.iam.gserviceaccount.com", "not given as a flag: the file's value stays"
    assert spec["baseOutputDirectory"] == {"outputUriPrefix": "gs://b/out"}


def test_args_and_command_flags_replace_those_of_the_config_pools(tmp_path: Path) -> None:
    (pool,) = pools(f"{BASE} --config={write(tmp_path, CONFIG)} --args=--lr=0.1 --command=python")
    assert pool["containerSpec"] == {"imageUri": "gcr.io/p/from-file", "args": ["--lr=0.1"], "command": ["python"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "workerPoolSpecs:\n  - machineSpec: {machineType: n1}\n",
            "Exactly one of fields [pythonPackageSpec, containerSpec]",
        ),
        (
            "displayName: x\njobSpec: {}\n",
            'Cannot parse YAML: [Invalid JSON payload received. Unknown name "displayName"',
        ),
        ("workerPoolSpecs: [\n", "Failed to parse YAML: while parsing a flow node"),
        ("- a\n- b\n", "expected a CustomJobSpec mapping, found list"),
    ],
)
def test_bad_config_files_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refusal(f"{BASE} --config={write(tmp_path, text)}")


def test_config_keys_with_underscores_are_read_as_gcloud_sends_them(tmp_path: Path) -> None:
    """gcloud's help calls them invalid, but gcloud 528 sends them untouched and the service reads them."""
    text = "worker_pool_specs:\n- machine_spec: {machine_type: n1-standard-4}\n  container_spec: {image_uri: i}\n"
    (pool,) = pools(f"{BASE} --config={write(tmp_path, text)}")
    assert pool == {"machineSpec": {"machineType": "n1-standard-4"}, "containerSpec": {"imageUri": "i"}}


def test_unreadable_config_is_refused(tmp_path: Path) -> None:
    assert "Unable to read file [" in refusal(f"{BASE} --config={tmp_path / 'absent.yaml'}")


# ------------------------------------------------------------------------ what gcloud prints


def test_submitted_message_and_formats() -> None:
    name = "projects/p/locations/us-central1/customJobs/42"
    message = gcloud_output.submitted_message(name, "gcloud beta")
    assert message.splitlines()[0] == f"CustomJob [{name}] is submitted successfully."
    assert f"  $ gcloud beta ai custom-jobs describe {name}" in message
    assert f"  $ gcloud beta ai custom-jobs stream-logs {name}" in message
    job = {"name": name, "state": "JOB_STATE_PENDING", "jobSpec": {"persistentResourceId": "demo"}}
    assert gcloud_output.formatted(job, None) is None
    assert gcloud_output.formatted(job, "value(name)") == name
    assert gcloud_output.formatted(job, "value(state, jobSpec.persistentResourceId)") == "JOB_STATE_PENDING\tdemo"
    assert '"name": ' in str(gcloud_output.formatted(job, "json"))
    with pytest.raises(GcloudError, match=r"Format \[table\(name\)\] is not supported"):
        gcloud_output.check_format("table(name)")


# ------------------------------------------------------------------ the documentation's rules

RESOURCE_ID = "demo"
RESOURCE = {
    "displayName": "gcloud rules",
    "resourcePools": [
        demo_pool(),
        {
            "id": "cpu-pool",
            "machineSpec": {"machineType": "n1-standard-8"},
            "replicaCount": "3",
            "diskSpec": {"bootDiskType": "pd-standard", "bootDiskSizeGb": 200},
        },
    ],
}
ON_RESOURCE = f"{BASE} --project={PROJECT} --persistent-resource-id={RESOURCE_ID}"
SINGLE_NODE = f"{ON_RESOURCE} --worker-pool-spec={K80},replica-count=1,{IMAGE}"
WITH_CONFIG = f"{ON_RESOURCE} --config={{config}}"
"""gcloud has no disk keys in ``--worker-pool-spec``: a pool with a non-default disk is matched through ``--config``."""
K80_MACHINE = "{machineType: n1-standard-4, acceleratorType: NVIDIA_TESLA_K80, acceleratorCount: 1}"
CPU_MACHINE = "{machineType: n1-standard-8}"
CPU_DISK = "{bootDiskType: pd-standard, bootDiskSizeGb: 200}"


def config_pool(machine: str, replicas: int = 1, disk: str = "") -> str:
    """One worker pool of a ``--config`` file, running the trainer image."""
    text = f"- machineSpec: {machine}\n  replicaCount: {replicas}\n  containerSpec: {{imageUri: gcr.io/p/trainer:1}}\n"
    return text + (f"  diskSpec: {disk}\n" if disk else "")


def pools_config(*pools: str) -> str:
    return "workerPoolSpecs:\n" + "".join(pools)


def holding(service: Service, replicas: int) -> None:
    """Another job runs on the K80 pool and holds ``replicas`` of its 2 replicas."""
    service.create_job(PARENT, job_body(RESOURCE_ID, replicas=replicas), "v1")


def k80(replicas: int, **keys: str) -> str:
    extra = "".join(f",{key.replace('_', '-')}={value}" for key, value in keys.items())
    return f"{ON_RESOURCE} --worker-pool-spec={K80},replica-count={replicas}{extra},{IMAGE}"


@dataclass(frozen=True)
class Rule:
    """A documented rule as a gcloud command: the verdict and the words of its message."""

    command: str
    held: int = 0
    """Replicas of the K80 pool another job already holds."""
    code: int = 0
    status: str | None = None
    words: tuple[str, ...] = ()
    config: str = ""
    """The ``--config`` file the command names as ``{config}``, if any."""

    def argv(self, folder: Path) -> list[str]:
        """The command line as the shell splits it, its ``--config`` file written into ``folder``."""
        path = folder / "job.yaml"
        if self.config:
            path.write_text(self.config)
        return shlex.split(self.command.replace("{config}", str(path)))


RULES = [
    pytest.param(Rule(SINGLE_NODE), id="single-node"),
    pytest.param(
        Rule(WITH_CONFIG, config=pools_config(config_pool(K80_MACHINE), config_pool(CPU_MACHINE, 3, CPU_DISK))),
        id="distributed",
    ),
    pytest.param(Rule(k80(1), held=1), id="replica-count-at-free"),
    pytest.param(
        Rule(k80(2), 1, 1, "FAILED_PRECONDITION", ("needs 2 replicas", "1 of its 2 are free")), id="above-free"
    ),
    pytest.param(Rule(k80(3), 0, 1, "INVALID_ARGUMENT", ("asks for 3 replicas", "at most 2")), id="above-pool-maximum"),
    pytest.param(
        Rule(
            WITH_CONFIG,
            0,
            1,
            "INVALID_ARGUMENT",
            ("disk_spec.boot_disk_type is 'pd-standard' in the job but 'pd-ssd'", '"k80-pool"'),
            pools_config(config_pool(K80_MACHINE, disk="{bootDiskType: pd-standard}")),
        ),
        id="disk-type-differs",
    ),
    pytest.param(
        Rule(
            WITH_CONFIG,
            0,
            1,
            "INVALID_ARGUMENT",
            ("Worker pool 1", "boot_disk_type is 'pd-ssd' in the job but 'pd-standard'"),
            pools_config(
                config_pool(CPU_MACHINE, disk=CPU_DISK),
                config_pool(CPU_MACHINE, disk="{bootDiskType: pd-ssd, bootDiskSizeGb: 200}"),
            ),
        ),
        id="distributed-second-pool-disk-differs",
    ),
    pytest.param(
        Rule(
            k80(1, accelerator_count="2"),
            0,
            1,
            "INVALID_ARGUMENT",
            ("machine_spec.accelerator_count is 2 in the job but 1", '"k80-pool"'),
        ),
        id="accelerator-count-differs",
    ),
    pytest.param(
        Rule(SINGLE_NODE.replace(f"={RESOURCE_ID} ", "=absent "), 0, 1, "NOT_FOUND", ('absent"',)),
        id="no-such-persistent-resource",
    ),
]


@pytest.fixture
def resource_file(tmp_path: Path) -> Path:
    """The resource of the rules as ``gcloud ai persistent-resources describe --format=json`` prints it."""
    path = tmp_path / "resource.json"
    described = {**RESOURCE, "name": f"{PARENT}/persistentResources/{RESOURCE_ID}", "state": "RUNNING"}
    path.write_text(json.dumps(described))
    return path


def check(resource: Path, command: str | list[str], *options: str) -> int:
    words = shlex.split(command) if isinstance(command, str) else command
    return cli.main(["check", "--resource", str(resource), *options, "--", *words])


@pytest.mark.parametrize("rule", RULES)
def test_check_follows_the_documented_rules(
    resource_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: Rule
) -> None:
    used = ("--used", f"k80-pool={rule.held}") if rule.held else ()
    assert check(resource_file, rule.argv(tmp_path), *used) == rule.code
    out = capsys.readouterr().out
    if rule.code == 0:
        assert out.startswith(
            f'admitted: the job fits persistent resource "{PARENT}/persistentResources/{RESOURCE_ID}"'
        )
    else:
        assert out.startswith(f"refused: {rule.status}: ")
        for word in rule.words:
            assert word in out


TRAINER = "trainer@my-project.iam.gserviceaccount.com"
"""The service account the described resource enforces (``enableCustomServiceAccount``)."""


def test_check_reads_used_replicas_from_a_described_resource(capsys: pytest.CaptureFixture[str]) -> None:
    """The describe sample holds 2 of its 4 A100 workers: 2 fit, 3 find too few free, unless ``--used`` says 0."""
    described = Path(__file__).parent.parent / "fixtures" / "gcloud" / "distributed-training-describe.yaml"
    workers = "--worker-pool-spec=machine-type=a2-highgpu-1g,accelerator-type=NVIDIA_TESLA_A100,container-image-uri=i"
    command = f"{BASE} --persistent-resource-id=distributed-training --service-account={TRAINER} {workers}"
    assert check(described, f"{command},replica-count=2", "--format", "json") == 0
    verdict = json.loads(capsys.readouterr().out)
    assert [pool["resourcePool"] for pool in verdict["placement"]] == ["a100-workers"]
    assert check(described, f"{command},replica-count=3") == 1
    out = capsys.readouterr().out
    assert "but 2 of its 4 are free; the rest are held by jobs counted in the file's usedReplicaCount (2)." in out
    assert out.rstrip().endswith("to check against idle pools: --used a100-workers=0")
    assert check(described, f"{command},replica-count=3", "--used", "a100-workers=0") == 0


def test_check_and_submit_give_the_same_message(
    resource_file: Path, served: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    command = k80(1, accelerator_count="2")
    assert check(resource_file, command) == 1
    checked = capsys.readouterr().out.splitlines()[0].removeprefix("refused: ")
    assert submit("--emulator", served.address, "--", *shlex.split(command)) == 1
    submitted = capsys.readouterr().err.splitlines()[1].removeprefix("ERROR: (gcloud.ai.custom-jobs.create) ")
    assert checked == submitted


def test_check_refuses_what_gcloud_refuses_with_exit_2(resource_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(resource_file, f"{ON_RESOURCE} --worker-pool-spec={K80},gpus=1,{IMAGE}") == 2
    err = capsys.readouterr().err
    assert "ERROR: (gcloud.ai.custom-jobs.create) argument --worker-pool-spec: valid keys are [" in err
    assert check(resource_file, ON_RESOURCE) == 2
    assert "argument (--config --worker-pool-spec): Must be specified." in capsys.readouterr().err


def test_check_with_a_config_file_and_another_region(
    resource_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "job.yaml"
    config.write_text(
        "workerPoolSpecs:\n  machineSpec: {machineType: n1-standard-8}\n  replicaCount: 3\n"
        "  diskSpec: {bootDiskType: pd-standard, bootDiskSizeGb: 200}\n  containerSpec: {imageUri: gcr.io/p/t:1}\n"
    )
    assert check(resource_file, f"{ON_RESOURCE} --config={config}") == 0
    assert 'worker pool 0 (3 replicas) -> resource pool "cpu-pool"' in capsys.readouterr().out
    elsewhere = f"{ON_RESOURCE} --config={config}".replace("--region=us-central1", "--region=europe-west4")
    assert check(resource_file, elsewhere) == 1
    assert 'refused: NOT_FOUND: The job is created in location "europe-west4"' in capsys.readouterr().out


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    """One served emulator for the module (a server takes half a second to stop); jobs run until told."""
    with ThreadedServer(new_service(job_duration=None)) as running:
        yield running


@pytest.fixture
def served(server: ThreadedServer) -> ThreadedServer:
    """The served emulator, emptied and seeded with the resource of the rules."""
    server.service.reset()
    server.service.seed_resource(PARENT, RESOURCE_ID, copy.deepcopy(RESOURCE))
    return server


def job_names(service: Service) -> list[str]:
    return [job.name for job in service.list_jobs(PARENT, None, None, None)[0]]


def submit(*words: str) -> int:
    return cli.main(["submit", *words])


@pytest.mark.parametrize("rule", RULES)
def test_submit_follows_the_documented_rules(
    served: ThreadedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: Rule
) -> None:
    if rule.held:
        holding(served.service, rule.held)
    before = job_names(served.service)
    assert submit("--emulator", served.address, "--", *rule.argv(tmp_path)) == rule.code
    out, err = capsys.readouterr()
    assert err.startswith(f"Using endpoint [{served.url}/]\n")
    after = job_names(served.service)
    if rule.code == 0:
        (name,) = set(after) - set(before)
        assert f"CustomJob [{name}] is submitted successfully." in err
        assert f"  $ gcloud ai custom-jobs describe {name}\n" in err
        assert err.rstrip().endswith(f"  $ gcloud ai custom-jobs stream-logs {name}")
        assert out == ""
    else:
        assert after == before, "a refused job is not created"
        first = err.splitlines()[1]
        assert first.startswith(f"ERROR: (gcloud.ai.custom-jobs.create) {rule.status}: ")
        for word in rule.words:
            assert word in err
        assert ("fieldViolations:" in err) == (rule.status != "NOT_FOUND"), "field violations follow the message"


def test_submit_prints_the_job_with_format_and_uses_the_tracks_api_version(
    served: ThreadedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", served.address)
    beta = SINGLE_NODE.replace("gcloud ai", "gcloud beta ai") + " --format=value(name,jobSpec.persistentResourceId)"
    assert submit("--", *shlex.split(beta)) == 0
    out, err = capsys.readouterr()
    name, resource_id = out.rstrip("\n").split("\t")
    assert resource_id == RESOURCE_ID
    assert f"  $ gcloud beta ai custom-jobs describe {name}" in err
    assert served.service.get_job(name).version == "v1beta1"
    assert submit("--", *shlex.split(f"{k80(1)} --format=json")) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["jobSpec"]["workerPoolSpecs"][0]["diskSpec"] == {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100}


@pytest.mark.parametrize(
    ("words", "code", "expected"),
    [
        (
            ["--", *shlex.split(f"{ON_RESOURCE} --worker-pool-spec=machine-type=n1-standard-4")],
            1,
            "ERROR: (gcloud.ai.custom-jobs.create) Invalid value for [--worker-pool-spec]: Exactly one of keys",
        ),
        (
            ["--", *shlex.split(f"{ON_RESOURCE} --worker-pool-spec=machine-type=n1-standard-4,gpus=1")],
            2,
            "ERROR: (gcloud.ai.custom-jobs.create) argument --worker-pool-spec: valid keys are [",
        ),
        (["--", *shlex.split(SINGLE_NODE.replace(f" --project={PROJECT}", ""))], 1, "The required property [project]"),
        (["--", *shlex.split(f"{SINGLE_NODE} --format=table(name)")], 2, "Format [table(name)] is not supported"),
    ],
    ids=["missing-image", "unknown-key", "no-project", "unprintable-format"],
)
def test_submit_refuses_what_gcloud_refuses_with_its_exit_code_and_creates_nothing(
    served: ThreadedServer, capsys: pytest.CaptureFixture[str], words: list[str], code: int, expected: str
) -> None:
    """gcloud exits 2 when its argument parser refuses the command line, 1 when a later check does."""
    assert submit("--emulator", served.address, *words) == code
    assert expected in capsys.readouterr().err
    assert job_names(served.service) == []


def test_submit_needs_an_emulator(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERTEX_AI_EMULATOR_HOST", raising=False)
    assert submit("--", *shlex.split(SINGLE_NODE)) == 2
    assert "VERTEX_AI_EMULATOR_HOST" in capsys.readouterr().err


def test_submit_to_an_emulator_that_is_not_there(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    assert submit("--emulator", address, "--", *shlex.split(SINGLE_NODE)) == 1
    assert "ERROR: (gcloud.ai.custom-jobs.create) Cannot reach the emulator at" in capsys.readouterr().err


# ---------------------------------------------------------- the real gcloud against the emulator

GCLOUD_HEADERS = {"content-type": "application/json", "accept": "application/json", "user-agent": "google-cloud-sdk"}


def test_requests_as_gclouds_apitools_client_sends_them(served: ThreadedServer) -> None:
    """gcloud's apitools client adds ``alt=json`` (and ``trace=`` with ``--trace-token``) to every call,
    sends int64 as strings and enums by name, and reads plain JSON back: replayed here without the binary
    (``tests/test_gcloud_real.py`` runs the binary itself)."""
    base = f"{served.url}/v1/{PARENT}"
    body = {
        "displayName": "train",
        "jobSpec": {
            "persistentResourceId": RESOURCE_ID,
            "workerPoolSpecs": [
                {
                    "containerSpec": {"imageUri": "gcr.io/p/trainer:1"},
                    "machineSpec": {
                        "acceleratorCount": 1,
                        "acceleratorType": "NVIDIA_TESLA_K80",
                        "machineType": "n1-standard-4",
                    },
                    "replicaCount": "1",
                }
            ],
        },
    }
    created = requests.post(f"{base}/customJobs?alt=json", json=body, headers=GCLOUD_HEADERS, timeout=10)
    assert created.status_code == 200, created.text
    name = created.json()["name"]
    assert name.startswith(f"{PARENT}/customJobs/")
    described = requests.get(f"{served.url}/v1/{name}?alt=json&trace=token:abc", headers=GCLOUD_HEADERS, timeout=10)
    assert described.json()["jobSpec"]["persistentResourceId"] == RESOURCE_ID
    listed = requests.get(f"{base}/customJobs?alt=json&pageSize=100", headers=GCLOUD_HEADERS, timeout=10)
    assert [job["name"] for job in listed.json()["customJobs"]] == [name]
    resource = requests.get(f"{base}/persistentResources/{RESOURCE_ID}?alt=json", headers=GCLOUD_HEADERS, timeout=10)
    assert resource.json()["resourcePools"][0]["usedReplicaCount"] == "1"
    cancelled = requests.post(f"{served.url}/v1/{name}:cancel?alt=json", json={}, headers=GCLOUD_HEADERS, timeout=10)
    assert (cancelled.status_code, cancelled.json()) == (200, {})
    refused = requests.post(
        f"{base}/customJobs?alt=json", json={**body, "displayName": ""}, headers=GCLOUD_HEADERS, timeout=10
    )
    assert (refused.status_code, refused.json()["error"]["status"]) == (400, "INVALID_ARGUMENT")


def test_persistent_resources_as_gclouds_apitools_client_sends_them(served: ThreadedServer) -> None:
    """``gcloud ai persistent-resources create --resource-pool-spec=...`` posts the resource with its id as a
    query parameter and gets an Operation, whose name gcloud then reads back."""
    pool = {
        "machineSpec": {"machineType": "n1-standard-4"},
        "replicaCount": "1",
        "diskSpec": {"bootDiskType": "pd-ssd"},
    }
    created = requests.post(
        f"{served.url}/v1/{PARENT}/persistentResources?alt=json&persistentResourceId=from-gcloud",
        json={"displayName": "from gcloud", "resourcePools": [pool]},
        headers=GCLOUD_HEADERS,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    operation = requests.get(f"{served.url}/v1/{created.json()['name']}?alt=json", headers=GCLOUD_HEADERS, timeout=10)
    assert operation.json()["done"] is True
    assert operation.json()["response"]["name"] == f"{PARENT}/persistentResources/from-gcloud"


def readme_command(program: str) -> list[str]:
    """The README's one-liner of ``vertex-emulator PROGRAM`` in "The gcloud path", as the shell splits it."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## The gcloud path", 1)[1]
    (block,) = [block for block in section.split("```bash\n")[1:] if block.startswith(f"vertex-emulator {program}")]
    return shlex.split(block.split("```", 1)[0].replace("\\\n", " "))[1:]


def test_the_readme_one_liners_run(server: ThreadedServer, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).parent.parent
    check_words = readme_command("check")
    assert cli.main([str(root / word) if word.startswith("fixtures/") else word for word in check_words]) == 0
    assert capsys.readouterr().out.startswith("admitted: ")
    server.service.reset()
    fixtures.load(server.service, [root / "fixtures" / "demo"], PROJECT, "us-central1")
    submit_words = [server.address if word == "127.0.0.1:8080" else word for word in readme_command("submit")]
    assert cli.main(submit_words) == 0
    assert "is submitted successfully." in capsys.readouterr().err
