"""``vertex-emulator serve`` as SPEC fixes it: ready line, health, free port, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.serving import READY, ROOT, serve_to_the_end, served
from vertex_emulator.commands.serve import StopSignals


def _get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, json.loads(answer.read())


def test_ready_line_then_health_then_demo_resource() -> None:
    with served("--fixtures", "fixtures/demo") as url:
        assert url.startswith("http://127.0.0.1:")
        assert _get(f"{url}/emulator/v1/health") == (200, {"status": "ok"})
        status, resource = _get(f"{url}/v1/projects/my-project/locations/us-central1/persistentResources/demo-resource")
        assert status == 200
        assert resource["state"] == "RUNNING"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signal(signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "vertex_emulator", "serve", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert READY.match(process.stdout.readline().strip())
    process.send_signal(signum)
    assert process.wait(timeout=10) == 0


def test_console_script_is_the_same_program() -> None:
    script = ROOT / ".venv" / "bin" / "vertex-emulator"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "vertex_emulator"]
    answer = subprocess.run([*command, "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert answer.returncode == 0
    assert "--fixtures" in answer.stdout


def test_bad_fixture_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "resourcePools": [{"machineSpec": {}}]}))
    answer = serve_to_the_end("--port", "0", "--fixtures", str(bad))
    assert answer.returncode == 2
    assert "bad.json" in answer.stderr
    assert "machine_type" in answer.stderr


def test_a_stop_signal_is_kept_until_serve_waits_for_it() -> None:
    """A SIGTERM that lands before ``serve`` waits (even while it is still starting) ends the wait
    at once; the handlers take no lock, so no moment of the wait can deadlock on one."""
    previous = {signum: signal.getsignal(signum) for signum in StopSignals.SIGNALS}
    try:
        stop = StopSignals()
        os.kill(os.getpid(), signal.SIGTERM)
        stop.wait()
        assert signal.set_wakeup_fd(-1) == -1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
