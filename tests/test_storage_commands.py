"""Cloud Storage beside ``serve`` and ``exec``, run for real: the flags, the control API's
description, persistence, and a child process uploading with the official client."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from tests.serving import ROOT, serving

STORAGE_LINE = re.compile(r"^vertex-emulator storage on (http://[\d.]+:\d+) \(set STORAGE_EMULATOR_HOST=\1\)$")


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _storage_url(process: subprocess.Popen[str]) -> str:
    """The line after the ready line names the storage emulator."""
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    match = STORAGE_LINE.match(line)
    assert match, f"no storage line after the ready line: {line!r}"
    return match.group(1)


def _client(url: str, monkeypatch: pytest.MonkeyPatch) -> gcs.Client:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
    return gcs.Client(project="my-project", credentials=AnonymousCredentials())


def test_serve_starts_storage_with_its_buckets_and_describes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving("--bucket", "staging", "--bucket", "models") as (process, url):
        storage_url = _storage_url(process)
        assert _get(f"{url}/emulator/v1/storage") == (
            200,
            {
                "url": storage_url,
                "hostEnv": "STORAGE_EMULATOR_HOST",
                "persistent": False,
                "buckets": ["models", "staging"],
            },
        )
        client = _client(storage_url, monkeypatch)
        client.bucket("staging").blob("pkg.tar.gz").upload_from_string(b"package")
        client.create_bucket("made-by-the-api")
        request = urllib.request.Request(f"{url}/emulator/v1/reset", data=b"{}", method="POST")
        request.add_header("Content-Type", "application/json")
        urllib.request.urlopen(request, timeout=10).close()
        assert sorted(b.name for b in client.list_buckets()) == ["models", "staging"]
        assert list(client.list_blobs("staging")) == []


def test_serve_storage_off_serves_none(tmp_path: Path) -> None:
    with serving("--storage", "off") as (process, url):
        status, body = _get(f"{url}/emulator/v1/storage")
        assert status == 404
        assert "--storage off" in body["error"]["message"]  # type: ignore[index]
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert "storage" not in out


def test_serve_refuses_storage_options_it_cannot_honour(capsys: pytest.CaptureFixture[str]) -> None:
    """Refused before anything listens (so in this process: nothing is left to stop)."""
    from vertex_emulator import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", "0", "--storage-port", str(port)]) == 1
    assert f"cannot listen on storage port {port}" in capsys.readouterr().err
    assert cli.main(["serve", "--port", "0", "--bucket", "Not_A_Bucket"]) == 2
    assert "Invalid bucket name: 'Not_A_Bucket'" in capsys.readouterr().err
    assert cli.main(["serve", "--port", "0", "--storage", "off", "--bucket", "staging"]) == 2
    refused = capsys.readouterr()
    assert "--bucket needs Cloud Storage" in refused.err
    assert refused.out == ""


def test_serve_fixtures_with_buckets_and_a_data_dir_keep_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "bucket.yaml").write_text("kind: storage#bucket\nname: from-fixture\n")
    data = tmp_path / "data"
    with serving("--fixtures", str(tmp_path / "fixtures"), "--data-dir", str(data)) as (process, _):
        client = _client(_storage_url(process), monkeypatch)
        client.bucket("from-fixture").blob("model/saved.pb").upload_from_string(b"weights")
    with serving("--data-dir", str(data)) as (process, url):
        client = _client(_storage_url(process), monkeypatch)
        assert client.bucket("from-fixture").blob("model/saved.pb").download_as_bytes() == b"weights"
        assert _get(f"{url}/emulator/v1/storage")[1]["persistent"] is True


CHILD = textwrap.dedent(
    """
    import os
    from google.cloud import storage

    client = storage.Client()
    client.bucket("staging").blob("from-child.txt").upload_from_string(b"uploaded by the child")
    print("CHILD", os.environ["STORAGE_EMULATOR_HOST"], [b.name for b in client.list_blobs("staging")])
    """
)


def test_exec_gives_the_command_storage_with_its_buckets(capfd: pytest.CaptureFixture[str]) -> None:
    """The child uploads with the official client, no credentials (the SDK's own staging through
    ``exec`` is the same upload: tests/test_storage_plugin.py runs it)."""
    from vertex_emulator import cli

    status = cli.main(["exec", "--bucket", "staging", "--", sys.executable, "-c", CHILD])

    out, err = capfd.readouterr()
    assert status == 0, err
    storage_url = err.split("vertex-emulator storage on ", 1)[1].split()[0]
    assert f"CHILD {storage_url} ['from-child.txt']" in out
    host, port = storage_url.removeprefix("http://").split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=1):
        pass


def test_exec_storage_off_gives_the_command_none(capfd: pytest.CaptureFixture[str]) -> None:
    from vertex_emulator import cli

    probe = "import os; print('HOST', os.environ.get('STORAGE_EMULATOR_HOST'))"
    assert cli.main(["exec", "--storage", "off", "--", sys.executable, "-c", probe]) == 0
    assert "HOST None" in capfd.readouterr().out


def test_serve_binds_storage_before_its_ready_line_and_imports_the_package_after() -> None:
    """The ready line costs no storage import; a client that connects at once is queued, not refused."""
    script = textwrap.dedent(
        """
        import os, signal, socket, sys
        from vertex_emulator import cli, wire

        class AtReady:
            def __init__(self, out):
                self.out, self.lines = out, 0
            def write(self, text):
                self.out.write(text)
                if "listening on" in text and not self.lines:
                    self.lines += 1
                    self.out.write(f"\\nIMPORTED {'gcp_storage_emulator' in sys.modules}\\n")
                    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5):
                        self.out.write("CONNECTED\\n")
                    os.kill(os.getpid(), signal.SIGTERM)
            def flush(self):
                self.out.flush()

        wire.warm = lambda: None
        sys.stdout = AtReady(sys.stdout)
        sys.exit(cli.main(["serve", "--port", "0", "--storage-port", sys.argv[1]]))
        """
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    done = subprocess.run([sys.executable, "-c", script, port], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "IMPORTED False\nCONNECTED\n" in done.stdout
    assert f"vertex-emulator storage on http://127.0.0.1:{port}" in done.stdout
