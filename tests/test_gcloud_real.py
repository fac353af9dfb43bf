"""The real gcloud binary against a served emulator, and the emulator's gcloud reader held to it.

Each test runs the installed ``gcloud`` (528 on the project's machines) in a throwaway
``CLOUDSDK_CONFIG`` set up with the README's recipe (``api_endpoint_overrides/aiplatform``,
``auth/disable_credentials``), with usage reporting, survey prompts, update checks and the GCE
metadata probe off, so nothing leaves the machine. gcloud takes a second or two to start, so the
calls of one step run concurrently and the tests share one served emulator on a manual clock.
Where the reader (:mod:`vertex_emulator.offline.gcloud`, behind ``check`` and ``submit``) and the
binary could disagree, the tests run both on the same command line and compare what gcloud sent,
printed and exited with.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import yaml

from tests.conftest import LOCATION, PARENT, PROJECT, new_service
from vertex_emulator import cli, fixtures, wire
from vertex_emulator.http.app import make_app
from vertex_emulator.offline import gcloud, gcloud_output
from vertex_emulator.server import ThreadedServer
from vertex_emulator.service import Service

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

GCLOUD = shutil.which("gcloud")
pytestmark = pytest.mark.skipif(
    GCLOUD is None, reason="no gcloud binary on PATH (the Debian package google-cloud-cli provides it)"
)

ROOT = Path(__file__).parent.parent
REGION = f"--region={LOCATION}"
DEMO = f"{PARENT}/persistentResources/demo-resource"
K80 = "machine-type=n1-standard-4,accelerator-type=NVIDIA_TESLA_K80"
IMAGE = "container-image-uri=gcr.io/p/trainer:1"
QUIET = {
    "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
    "CLOUDSDK_SURVEY_DISABLE_PROMPTS": "true",
    "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
    "CLOUDSDK_CORE_DISABLE_PROMPTS": "true",
    "CLOUDSDK_CORE_CHECK_GCE_METADATA": "false",
    "CLOUDSDK_CORE_PROJECT": PROJECT,
}
"""gcloud's properties as environment variables: no network besides the emulator, no prompt, the project."""
CALL_TIMEOUT = 120.0


@dataclass(frozen=True)
class Run:
    """One gcloud call: its exit status and what it printed, ``Using endpoint [...]`` left out."""

    code: int
    out: str
    err: str

    @property
    def message(self) -> str:
        """stderr without the endpoint line and without the usage text gcloud adds to a parser error."""
        lines = [line for line in self.err.splitlines() if not line.startswith("Using endpoint [")]
        text = "\n".join(lines)
        return text.split("\nUsage: ", 1)[0].rstrip()


@dataclass
class Recorder:
    """The WSGI app, recording the JSON body of every POST gcloud sends (by path)."""

    app: WSGIApplication
    bodies: dict[str, list[Any]] = field(default_factory=dict)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length)
            self.bodies.setdefault(environ["PATH_INFO"], []).append(json.loads(raw or b"{}"))
            environ["wsgi.input"] = _Replay(raw)
        return self.app(environ, start_response)


class _Replay:
    """A request body already read, read again by the app."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        chunk, self._raw = (self._raw, b"") if size < 0 else (self._raw[:size], self._raw[size:])
        return chunk


@dataclass
class Gcloud:
    """gcloud in its own configuration directory, pointed at one emulator."""

    config: Path

    def environ(self) -> dict[str, str]:
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDSDK_")}
        return {**inherited, **QUIET, "CLOUDSDK_CONFIG": str(self.config)}

    def run(self, *commands: Sequence[str]) -> list[Run]:
        """Run the commands at once (each gcloud start costs a second or two); their results in order."""
        started = [
            subprocess.Popen(
                [str(GCLOUD), *command],
                env=self.environ(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        try:
            printed = [process.communicate(timeout=CALL_TIMEOUT) for process in started]
            return [Run(process.returncode, *texts) for process, texts in zip(started, printed, strict=True)]
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()


@dataclass
class Emulator:
    service: Service
    server: ThreadedServer
    recorder: Recorder
    gcloud: Gcloud

    def get(self, name: str) -> Any:
        return requests.get(f"{self.server.url}/v1/{name}", timeout=10).json()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The demo fixture served on a manual clock (provisioning takes 60 s of it, deleting 30 s; jobs run until told)."""
    service = new_service(job_duration=None, provision_delay=60, delete_delay=30)
    fixtures.load(service, [ROOT / "fixtures" / "demo"], PROJECT, LOCATION)
    recorder = Recorder(make_app(service))
    with ThreadedServer(service, app=recorder) as server:
        tool = Gcloud(tmp_path_factory.mktemp("gcloud-config"))
        for setting in (["api_endpoint_overrides/aiplatform", f"{server.url}/"], ["auth/disable_credentials", "true"]):
            (done,) = tool.run(["config", "set", *setting])
            assert done.code == 0, done.err
        yield Emulator(service, server, recorder, tool)


def operation_id(text: str) -> str:
    found = re.search(r"/operations/(\d+)\]", text)
    assert found, text
    return found.group(1)


def test_persistent_resources_create_describe_list_delete(emulator: Emulator) -> None:
    name = f"{PARENT}/persistentResources/gcloud-pr"
    create = ["ai", "persistent-resources", "create", REGION, "--display-name=from gcloud"]
    created, duplicate, described = emulator.gcloud.run(
        [
            *create,
            "--persistent-resource-id=gcloud-pr",
            "--resource-pool-spec=replica-count=2,machine-type=n1-highmem-2,accelerator-type=NVIDIA_TESLA_T4,"
            "accelerator-count=1",
            "--resource-pool-spec=min-replica-count=1,max-replica-count=3,machine-type=n1-standard-4",
        ],
        [
            *create,
            "--persistent-resource-id=demo-resource",
            "--resource-pool-spec=replica-count=1,machine-type=n1-standard-4",
        ],
        ["ai", "persistent-resources", "describe", "demo-resource", REGION, "--format=json"],
    )
    assert created.code == 0, created.err
    operation = operation_id(created.message)
    assert created.message == (
        f"Operation to create PersistentResource [{name}/operations/{operation}] is submitted successfully.\n\n"
        "You may view the status of your PersistentResource create operation with the command\n\n"
        f"  $ gcloud ai operations describe {PARENT}/operations/{operation}"
    )
    assert (duplicate.code, duplicate.out) == (1, "")
    assert duplicate.message == (
        "ERROR: (gcloud.ai.persistent-resources.create) ALREADY_EXISTS: There is an existing PersistentResource "
        'with the same ID "demo-resource" created or being created. Please use a different ID.'
    ), "the real service's text"
    assert json.loads(described.out) == emulator.get(DEMO), "gcloud reads back every field the emulator answers"

    early_delete, listed = emulator.gcloud.run(
        ["ai", "persistent-resources", "delete", "gcloud-pr", REGION],
        ["ai", "persistent-resources", "list", REGION, "--format=value(name,state)"],
    )
    assert early_delete.code == 1
    assert early_delete.message == (
        f'ERROR: (gcloud.ai.persistent-resources.delete) FAILED_PRECONDITION: PersistentResource "{name}" is being '
        "created thus can not be deleted now. Please try again later after it's active."
    ), "the real service's text"
    assert listed.out.splitlines() == [f"{name}\tPROVISIONING", f"{DEMO}\tRUNNING"], "newest first"

    emulator.service.advance(60)
    running, deleted = emulator.gcloud.run(
        ["ai", "persistent-resources", "describe", "gcloud-pr", REGION, "--format=json"],
        ["ai", "persistent-resources", "delete", name],
    )
    shown = json.loads(running.out)
    assert shown["state"] in ("RUNNING", "STOPPING"), "described before or after the delete began"
    pools = {pool["id"]: pool for pool in shown["resourcePools"]}
    t4 = pools["n1-highmem-2-nvidia-tesla-t4-1"]
    assert t4["machineSpec"] == {
        "machineType": "n1-highmem-2",
        "acceleratorType": "NVIDIA_TESLA_T4",
        "acceleratorCount": 1,
    }
    assert (t4["replicaCount"], t4["diskSpec"]) == ("2", {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100})
    cpu = pools["n1-standard-4"]
    assert (cpu["replicaCount"], cpu["autoscalingSpec"]) == ("1", {"minReplicaCount": "1", "maxReplicaCount": "3"})
    assert deleted.code == 0, deleted.err
    assert deleted.message == (
        f"Request to delete the PersistentResource [{name}] has been sent.\n\n"
        "You may view the status of your persistent resource with the command\n\n"
        f"  $ gcloud ai persistent-resources describe {name}"
    )
    assert emulator.get(name)["state"] == "STOPPING"
    emulator.service.advance(30)
    assert emulator.get(name)["error"]["status"] == "NOT_FOUND"


def custom_jobs_create(display_name: str, *flags: str) -> list[str]:
    return ["ai", "custom-jobs", "create", REGION, f"--display-name={display_name}", *flags]


def submit(words: Sequence[str], address: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """``vertex-emulator submit -- gcloud WORDS``, in process: what the reader makes of the same command line."""
    code = cli.main(["submit", "--emulator", address, "--", "gcloud", *words, f"--project={PROJECT}"])
    out, err = capsys.readouterr()
    return Run(code, out, err)


def test_custom_jobs_create_describe_list_cancel_and_the_reader_agrees(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    on_demo = "--persistent-resource-id=demo-resource"
    fits = custom_jobs_create("fits", on_demo, f"--worker-pool-spec={K80},replica-count=1,{IMAGE}", "--args=--lr,0.1")
    mismatch = custom_jobs_create("mismatch", on_demo, f"--worker-pool-spec={K80},accelerator-count=2,{IMAGE}")
    too_many = custom_jobs_create("too-many", on_demo, f"--worker-pool-spec={K80},replica-count=3,{IMAGE}")
    admitted, refused, over = emulator.gcloud.run(fits, mismatch, too_many)

    assert (admitted.code, admitted.out) == (0, ""), admitted.err
    name = re.match(r"CustomJob \[(\S+)\] is submitted successfully\.", admitted.message)
    assert name, admitted.message
    job = name.group(1)
    assert admitted.message == gcloud_output.submitted_message(job)
    (sent,) = [body for body in emulator.recorder.bodies[f"/v1/{PARENT}/customJobs"] if body["displayName"] == "fits"]
    assert gcloud.parse(["gcloud", *fits], environ={}).job == wire.parse("v1", "CustomJob", sent), (
        "the reader builds the body gcloud sends"
    )
    prefix = "ERROR: (gcloud.ai.custom-jobs.create) INVALID_ARGUMENT: Worker pool 0 (job_spec.worker_pool_specs[0]) "
    assert (refused.code, refused.out) == (1, "")
    assert refused.message.startswith(prefix + "matches no resource pool")
    assert "machine_spec.accelerator_count is 2 in the job but 1 in the closest resource pool" in refused.message
    assert "fieldViolations:" in refused.message
    assert over.code == 1
    assert over.message.startswith(prefix + 'asks for 3 replicas, but resource pool "k80-pool" has at most 2.')
    for real in (refused, over):
        replayed = submit(mismatch if real is refused else too_many, emulator.server.address, capsys)
        assert (replayed.code, replayed.message) == (real.code, real.message), "submit prints what gcloud prints"

    described, listed, cancelled = emulator.gcloud.run(
        ["ai", "custom-jobs", "describe", job],
        ["ai", "custom-jobs", "list", REGION, "--format=value(name,displayName)"],
        ["ai", "custom-jobs", "cancel", job],
    )
    changing = ("state", "updateTime", "endTime", "error")
    shown = {key: value for key, value in yaml.safe_load(described.out).items() if key not in changing}
    assert shown == {key: value for key, value in emulator.get(job).items() if key not in changing}
    assert f"{job}\tfits" in listed.out.splitlines()
    assert cancelled.code == 0, cancelled.err
    assert cancelled.message == (
        f"Request to cancel CustomJob [{job}] has been sent.\n\n"
        "You may view the status of your job with the command\n\n"
        f"  $ gcloud ai custom-jobs describe {job}"
    )

    state, again = emulator.gcloud.run(
        ["ai", "custom-jobs", "describe", job.rsplit("/", 1)[1], REGION, "--format=value(state)"],
        ["ai", "custom-jobs", "cancel", job],
    )
    assert state.out.strip() == "JOB_STATE_CANCELLED"
    assert again.code == 1
    assert again.message.startswith(f'ERROR: (gcloud.ai.custom-jobs.cancel) FAILED_PRECONDITION: CustomJob "{job}"')


ARG_DICT = re.compile(r"<googlecloudsdk\.calliope\.arg_parsers\.ArgDict object at 0x[0-9a-f]+>")
"""The repr gcloud prints for its flag type; the reader says ``ArgDict``."""


def reader(words: Sequence[str], folder: Path) -> Run:
    """The reader's verdict on ``gcloud WORDS``, as ``submit`` would print it before sending anything."""
    try:
        gcloud.parse(["gcloud", *words], environ={"CLOUDSDK_CORE_PROJECT": PROJECT}, cwd=folder)
    except gcloud.GcloudError as error:
        return Run(error.exit_code, "", str(error))
    return Run(0, "", "")


REFUSED: list[tuple[str, Callable[[Path], list[str]]]] = [
    ("disk keys", lambda _: custom_jobs_create("x", f"--worker-pool-spec={K80},disk-size=200,{IMAGE}")),
    ("not an integer", lambda _: custom_jobs_create("x", f"--worker-pool-spec={K80},replica-count=two,{IMAGE}")),
    ("no worker pool", lambda _: custom_jobs_create("x")),
    ("no display name", lambda _: ["ai", "custom-jobs", "create", REGION, f"--worker-pool-spec={K80},{IMAGE}"]),
    ("no machine type", lambda _: custom_jobs_create("x", f"--worker-pool-spec={IMAGE}")),
    ("two ways to run", lambda _: custom_jobs_create("x", f"--worker-pool-spec={K80},{IMAGE},python-module=m")),
    ("unknown region", lambda _: custom_jobs_create("x", f"--worker-pool-spec={K80},{IMAGE}", "--region=mars-1")),
    ("no region", lambda _: ["ai", "custom-jobs", "create", "--display-name=x", f"--worker-pool-spec={K80},{IMAGE}"]),
    ("bad YAML", lambda folder: custom_jobs_create("x", f"--config={folder / 'bad.yaml'}")),
]


def test_the_reader_refuses_what_gcloud_refuses_with_its_words_and_exit_code(
    emulator: Emulator, tmp_path: Path
) -> None:
    """2 when gcloud's argument parser refuses the command line, 1 when a check after it does."""
    (tmp_path / "bad.yaml").write_text("workerPoolSpecs: [\n")
    commands = [make(tmp_path) for _, make in REFUSED]
    results = emulator.gcloud.run(*commands)
    for (what, _), words, real in zip(REFUSED, commands, results, strict=True):
        assert real.code in (1, 2), f"{what}: {shlex.join(words)}: {real}"
        mine = reader(words, tmp_path)
        assert (mine.code, mine.message) == (real.code, ARG_DICT.sub("ArgDict", real.message)), what
    sent = emulator.recorder.bodies.get(f"/v1/{PARENT}/customJobs", [])
    assert all(body.get("displayName") != "x" for body in sent), "nothing refused was sent"
