"""The first five minutes of a new user: what each first mistake prints, and what the README promises."""

from __future__ import annotations

import logging
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import new_service
from vertex_emulator import cli
from vertex_emulator.commands.serve import DELAYS
from vertex_emulator.server import HTTP2_PREFACE, ThreadedServer
from vertex_emulator.settings import Settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


# ------------------------------------------------------------------------------------- ports


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_a_port_out_of_range_is_one_line_and_exit_2(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--port", port]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"vertex-emulator serve: --port {port} is not a port: give 0-65535 (0 picks a free one)\n"


def test_a_port_in_use_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"vertex-emulator: cannot listen on 127.0.0.1:{port}: port {port} is in use by another program"
    )
    assert "--port 0 picks a free one" in err and f"make run PORT={port + 1}" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


# ------------------------------------------------------------------- the wrong protocol spoken


@pytest.fixture
def served() -> Iterator[ThreadedServer]:
    with ThreadedServer(new_service()) as server:
        yield server


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "vertex_emulator.server"]


def test_a_tls_client_is_told_to_use_http(served: ThreadedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="vertex_emulator.server")
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection((served.host, served.port), timeout=10) as raw,
        pytest.raises((ssl.SSLError, ConnectionError)),
    ):
        context.wrap_socket(raw, server_hostname="localhost")
    (line,) = warnings_of(caplog)
    assert line.startswith("vertex-emulator: a client at 127.0.0.1:") and "spoke TLS (https)" in line
    assert 'api_transport="rest"' in line and "http://" in line and "vertex-emulator exec" in line
    assert requests.get(f"{served.url}/emulator/v1/health", timeout=10).json() == {"status": "ok"}


def test_an_http2_client_is_told_to_use_rest(served: ThreadedServer, caplog: pytest.LogCaptureFixture) -> None:
    """gRPC without TLS opens with the HTTP/2 preface; the connection is closed, nothing else is answered."""
    caplog.set_level(logging.WARNING, logger="vertex_emulator.server")
    with socket.create_connection((served.host, served.port), timeout=10) as raw:
        raw.sendall(HTTP2_PREFACE)
        assert raw.recv(1024) == b""
    (line,) = warnings_of(caplog)
    assert "spoke HTTP/2 (gRPC, the official SDK's default transport)" in line
    assert 'api_transport="rest"' in line and "vertex-emulator exec" in line
    assert requests.get(f"{served.url}/emulator/v1/health", timeout=10).status_code == 200
    assert warnings_of(caplog) == [line], "a plain HTTP/1.1 client is not warned about"


# ------------------------------------------------------------------------- submit and --help


def test_submit_without_an_emulator_names_the_flag_and_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VERTEX_AI_EMULATOR_HOST", raising=False)
    command = "gcloud ai custom-jobs create --project=p --region=us-central1 --display-name=x"
    words = [*command.split(), "--worker-pool-spec=machine-type=n1-standard-4,container-image-uri=i"]
    assert cli.main(["submit", "--", *words]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vertex-emulator submit: no emulator named: pass --emulator HOST:PORT")
    assert "VERTEX_AI_EMULATOR_HOST=HOST:PORT" in err and "host=" not in err


def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_help_states_each_delays_default(capsys: pytest.CaptureFixture[str]) -> None:
    """``serve`` has delays for watching, ``exec`` none: each help says its own."""
    watching, testing = help_of("serve", capsys), help_of("exec", capsys)
    for flag, meaning in DELAYS:
        value = getattr(Settings.interactive(), flag.replace("-", "_"))
        assert f"--{flag} SECONDS {' '.join(meaning.split())} (default {value:g} s)" in watching
        assert f"--{flag} SECONDS {' '.join(meaning.split())} (default 0 s)" in testing


# ---------------------------------------------------------------------------- the README


def test_the_readme_states_the_delays_beside_the_30_second_example_with_the_flags() -> None:
    section = README.split("## 30 seconds with the official SDK", 1)[1].split("\n## ", 1)[0]
    delays = Settings.interactive()
    for words in (f"queued {delays.job_queued_delay:g} s", f"pending {delays.job_pending_delay:g} s"):
        assert words in section
    assert f"running {delays.job_duration:g} s" in section and f"provisions in {delays.provision_delay:g} s" in section
    assert "--job-queued-delay 0 --job-pending-delay 0 --job-duration 0" in section and "serve --help" in section


def test_two_commands_says_make_test_installs_chromium_with_apt() -> None:
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    assert "`make test` also installs Debian's `chromium` and `chromium-driver` with `apt-get`" in section


def test_troubleshooting_has_each_symptom_its_cause_and_fix() -> None:
    section = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")][1:]
    assert len(rows) >= 10
    assert all(len([cell for cell in row.strip("|").split(" | ") if cell.strip()]) == 3 for row in rows)
    for symptom in (
        "Ssl handshake failed",
        "Misformatted domain name",
        "is in use by another program",
        "is not a port",
    ):
        assert symptom in section


# -------------------------------------------------------------------- check and the fixtures


def resource_for(job: Path) -> Path:
    """The resource fixture a job fixture is written for (by the first word of its name)."""
    kind = job.suffix.lstrip(".")
    return {
        "demo": ROOT / "fixtures" / "demo" / "demo-resource.json",
        "autoscaled": ROOT / "fixtures" / "resources" / kind / f"autoscaled.{kind}",
        "distributed": ROOT / "fixtures" / "resources" / kind / f"distributed-training.{kind}",
    }[job.name.split("-", 1)[0]]


JOBS = sorted((ROOT / "fixtures" / "jobs").glob("*/*.*"))
WHAT = {"accelerator": "accelerator_type", "disk": "disk_spec", "machine": "machine_type", "replicas": "replica"}


@pytest.mark.parametrize("job", JOBS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_check_agrees_with_the_readmes_table_of_fixtures(job: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``*-fits.*`` are admitted, ``*-mismatch-<what>.*`` refused with INVALID_ARGUMENT naming <what>."""
    code = cli.main(["check", str(job), "--resource", str(resource_for(job))])
    out = capsys.readouterr().out
    if "-fits." in job.name:
        assert code == 0, out
        assert re.findall(r"\(1 replicas?\)", out) in ([], ["(1 replica)"]), "one replica is singular"
    else:
        assert code == 1
        assert out.startswith("refused: INVALID_ARGUMENT: ")
        assert WHAT[job.stem.split("-mismatch-")[1]] in out
