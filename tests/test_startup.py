"""Start-up stays fast: ``serve`` reaches its ready line, and answers its first create, without the SDK
and without what only some options need.

Importing ``google.cloud.aiplatform_v1`` costs seconds (its package imports every service client;
README, "Performance"); the emulator needs only the official messages, which it builds from their
descriptors, cached per installed version (``vertex_emulator.descriptors``), in the background once
the server listens (``wire.warm``), or on first use.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from vertex_emulator import cli, descriptors, wire
from vertex_emulator.versions import VERSIONS

SDK = "google.cloud.aiplatform_v1"
NOT_ON_THE_WAY_TO_THE_READY_LINE = {
    "google.protobuf": "the official messages' runtime, which the warm-up loads once the ready line is out",
    "gcp_storage_emulator": "Cloud Storage's server, imported once the ready line is out (its port is bound before)",
    "vertex_emulator.fixtures": "needed with --fixtures only",
    "yaml": "needed with --fixtures only",
    "vertex_emulator.store": "needed with --data-dir only",
    "sqlite3": "needed with --data-dir only",
    "vertex_emulator.runner.execution": "needed with --execution local only",
    "subprocess": "needed with --execution local only",
    "vertex_emulator.runner.logs": "needed by the first entries:list call only",
    "vertex_emulator.snapshot": "needed by --import, --export-on-exit and the calls on the whole state only",
    "vertex_emulator.domain.filters": "needed by the first list call with a filter only",
}
"""What a default ``serve --port 0`` must not have imported when it prints its ready line, and why."""

MOST_DATACLASSES_AT_THE_READY_LINE = 16
"""How many of ``vertex_emulator``'s classes are dataclasses by ``serve``'s ready line (records, the API error,
settings): the decorator generates and compiles each one's methods as the class is made, about a
millisecond each here. A value type made once per process (a route, the options) is a named tuple."""

SERVE_UNTIL_READY = """
import dataclasses, gc, inspect, json, os, signal, sys
from vertex_emulator import cli, wire

at_ready = {}

class StopWhenReady:
    def __init__(self, out):
        self.out = out
    def write(self, text):
        if "listening on" in text and not at_ready:
            service_class = sys.modules["vertex_emulator.service"].Service
            at_ready.update(
                modules=list(sys.modules),
                dataclasses=sorted({
                    f"{item.__module__}.{item.__qualname__}"
                    for module in list(sys.modules.values())
                    if getattr(module, "__name__", "").startswith("vertex_emulator")
                    for item in vars(module).values()
                    if inspect.isclass(item) and dataclasses.is_dataclass(item)
                    and "__dataclass_fields__" in vars(item) and item.__module__.startswith("vertex_emulator")
                }),
                frozen=gc.get_freeze_count(),
                service_class_frozen=not any(item is service_class for item in gc.get_objects()),
            )
            os.kill(os.getpid(), signal.SIGTERM)
        return self.out.write(text)
    def flush(self):
        self.out.flush()

wire.warm = lambda: None
sys.stdout = StopWhenReady(sys.stdout)
sys.argv = ["vertex-emulator", "serve", "--port", "0"]
try:
    cli.program()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "at_ready": at_ready, "at_exit": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def served_until_ready() -> dict[str, Any]:
    """``vertex-emulator serve --port 0`` run for real in a fresh interpreter (``cli.program``, as the
    console script runs it) with the warm-up switched off, stopped by SIGTERM as soon as it prints
    its ready line: the modules and the collector's state then, and the modules at its exit."""
    done = subprocess.run(
        [sys.executable, "-c", SERVE_UNTIL_READY], capture_output=True, text=True, check=True, timeout=60
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return result


def test_serve_imports_no_sdk_on_its_way_to_serving(served_until_ready: dict[str, Any]) -> None:
    """Nothing ``serve`` did, up to its exit (Cloud Storage started, no warm-up), imported the SDK."""
    assert SDK not in served_until_ready["at_exit"], "serve imported the official SDK on start-up; import it lazily"


def test_serve_prints_its_ready_line_before_importing_what_it_does_not_serve_with(
    served_until_ready: dict[str, Any],
) -> None:
    """The way to the ready line carries only what serves the API (README, "Performance"): none of
    these modules, nor any of their submodules, is imported by then."""
    loaded = served_until_ready["at_ready"]["modules"]
    found = {
        name: why
        for name, why in NOT_ON_THE_WAY_TO_THE_READY_LINE.items()
        if any(module == name or module.startswith(f"{name}.") for module in loaded)
    }
    assert not found, f"imported before the ready line, import them where they are needed: {found}"


def test_serve_makes_few_dataclasses_on_its_way_to_the_ready_line(served_until_ready: dict[str, Any]) -> None:
    made = served_until_ready["at_ready"]["dataclasses"]
    assert len(made) <= MOST_DATACLASSES_AT_THE_READY_LINE, f"a value type made once can be a named tuple: {made}"


def test_warming_loads_every_message_the_wire_parses() -> None:
    wire.warm()
    for version in VERSIONS:
        for message in wire.REQUEST_FIELD:
            assert wire.message_class(version, message).DESCRIPTOR.name == message


SERVE_AND_CREATE = """
import http.client, os, re, signal, sys, threading
from vertex_emulator import cli

JOB = {job}
answered = []

def create(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/v1/projects/p/locations/us-central1/customJobs", JOB,
                       {{"Content-Type": "application/json"}})
    answered.append(connection.getresponse().status)
    os.kill(os.getpid(), signal.SIGTERM)

class CreateWhenReady:
    def __init__(self, out):
        self.out = out
    def write(self, text):
        found = re.search(r"listening on http://127.0.0.1:(\\d+)", text)
        if found:
            threading.Thread(target=create, args=(int(found.group(1)),)).start()
        return self.out.write(text)
    def flush(self):
        self.out.flush()

sys.stdout = CreateWhenReady(sys.stdout)
code = cli.main(["serve", "--port", "0"])
print(code, answered, sorted(m for m in sys.modules if m.startswith("google.cloud.aiplatform")))
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A descriptor cache of its own, written from the official types this test process has."""
    monkeypatch.setenv(descriptors.CACHE_ENV, str(tmp_path))
    for version in VERSIONS:
        assert descriptors.write_cache(version) is not None
    return tmp_path


def test_serve_answers_its_first_create_without_importing_the_package(cache: Path) -> None:
    """``serve`` run for real, warm-up on, a create sent as soon as it listens: answered 200, and no
    module of ``google.cloud.aiplatform*`` (no service client, no proto-plus type) was imported."""
    job = {"displayName": "first", "jobSpec": {"workerPoolSpecs": [{"machineSpec": {"machineType": "n1-standard-4"},
           "replicaCount": "1", "containerSpec": {"imageUri": "i"}}]}}  # fmt: skip
    script = SERVE_AND_CREATE.format(job=repr(json.dumps(job)))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120, env=dict(os.environ)
    )
    assert done.stdout.splitlines()[-1] == "0 [200] []", done.stdout + done.stderr


def test_cached_descriptors_are_the_official_ones(cache: Path) -> None:
    for version in VERSIONS:
        path = descriptors.cache_file(version)
        assert path is not None and path.parent == cache
        pool = descriptors.read_pool(path)
        for message in wire.REQUEST_FIELD:
            official = descriptors.official_types(version)
            mine, theirs = descriptor_pb2.FileDescriptorProto(), descriptor_pb2.FileDescriptorProto()
            pool.FindMessageTypeByName(f"google.cloud.aiplatform.{version}.{message}").file.CopyToProto(mine)
            getattr(official, message).pb().DESCRIPTOR.file.CopyToProto(theirs)
            assert mine == theirs


def test_a_damaged_cache_is_replaced(cache: Path) -> None:
    path = descriptors.cache_file("v1")
    assert path is not None
    path.write_bytes(b"not a cache")
    descriptors.cached_pool.cache_clear()
    assert descriptors.read_pool(path) is None
    assert descriptors.write_cache("v1") == path


def test_the_program_freezes_what_its_imports_made(served_until_ready: dict[str, Any]) -> None:
    """In a process of its own, ``serve``'s start-up objects (its modules' classes among them) are
    out of the cyclic collector's sight by the ready line (``cli._start_up_heap``)."""
    at_ready = served_until_ready["at_ready"]
    assert at_ready["service_class_frozen"]
    assert at_ready["frozen"] > 20_000


def test_main_leaves_a_callers_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Called in another program's process (tests call ``cli.main``), nothing is frozen or paused,
    also when reading the command line stops with an exit."""
    enabled: list[bool] = []
    build = cli.build_parser

    def spying(only: str | None = None) -> argparse.ArgumentParser:
        enabled.append(gc.isenabled())
        return build(only)

    monkeypatch.setattr(cli, "build_parser", spying)
    frozen = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    assert enabled == [True]
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
