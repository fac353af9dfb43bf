"""Safe defaults: loopback unless told, a control API that can be closed or locked, a body limit."""

from __future__ import annotations

import argparse
import io
import json
import signal
import socket
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from tests.conftest import PARENT, job_body, new_service
from vertex_emulator.commands import serve
from vertex_emulator.http.app import make_app
from vertex_emulator.http.options import HttpOptions
from vertex_emulator.http.request import MAX_BODY_BYTES
from vertex_emulator.server import ThreadedServer


def _client(**options: Any) -> Any:
    return make_app(new_service(), HttpOptions(**options)).test_client()


def test_control_off_hides_the_control_api_but_health_and_the_real_api() -> None:
    client = _client(control=False)
    assert client.get("/emulator/v1/health").json == {"status": "ok"}
    for method, path in [
        ("POST", "/emulator/v1/reset"),
        ("POST", "/emulator/v1/clock:advance"),
        ("GET", "/emulator/v1/openapi.json"),
        ("POST", "/emulator/v1/faults"),
    ]:
        answer = client.open(path, method=method, json={"seconds": 5})
        assert answer.status_code == 404, path
        assert answer.json["error"]["status"] == "NOT_FOUND"
        assert "--control off" in answer.json["error"]["message"]
    assert client.get("/emulator/v1/no-such-thing").json["error"]["status"] == "NOT_FOUND"
    assert client.post(f"/v1/{PARENT}/customJobs", json=job_body(None)).status_code == 200


def test_a_control_token_is_required_on_the_control_api_only() -> None:
    client = _client(control_token="s3cret")
    assert client.get("/emulator/v1/health").status_code == 200
    assert client.get(f"/v1/{PARENT}/customJobs").status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Emulator-Token": "s3cre"}, {"Authorization": "s3cret"}):
        answer = client.post("/emulator/v1/clock:advance", json={"seconds": 1}, headers=headers)
        assert answer.status_code == 403, headers
        assert answer.json["error"]["status"] == "PERMISSION_DENIED"
    for headers in ({"Authorization": "Bearer s3cret"}, {"X-Emulator-Token": "s3cret"}):
        assert client.post("/emulator/v1/clock:advance", json={"seconds": 1}, headers=headers).status_code == 200


def _run_serve(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``serve`` in this process with a server that binds nothing and stops at once, to read its warnings."""
    bound: list[str] = []

    class NoSocket:
        def __init__(self, service: Any, host: str, port: int, app: Any) -> None:
            bound.append(host)
            self.url = f"http://{host}:{port}"

        def start(self) -> None:
            signal.raise_signal(signal.SIGTERM)

        def stop(self) -> None:
            pass

    monkeypatch.setattr(serve, "ThreadedServer", NoSocket)
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", *argv])
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        code = serve.run(args)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert bound == [args.host]
    return code, capsys.readouterr().err


def test_loopback_is_the_default_and_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run_serve(monkeypatch, capsys)
    assert (code, err) == (0, "")


def test_another_host_warns_and_an_open_control_api_warns_again(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run_serve(monkeypatch, capsys, "--host", "0.0.0.0")
    assert code == 0
    assert "warning: serving on 0.0.0.0, reachable beyond this machine" in err
    assert "--control off or --control-token" in err
    code, err = _run_serve(monkeypatch, capsys, "--host", "0.0.0.0", "--control-token", "t")
    assert "reachable beyond this machine" in err
    assert "--control-token" not in err


def test_a_bad_policy_file_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("bindings: nope")
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    assert serve.run(parser.parse_args(["serve", "--iam-policy", str(policy)])) == 2
    assert "bad IAM policy" in capsys.readouterr().err


def test_a_body_over_the_limit_is_413_from_the_test_client() -> None:
    client = _client()
    answer = client.post(f"/v1/{PARENT}/customJobs", data=b"{" + b" " * MAX_BODY_BYTES + b"}")
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == 413
    assert str(MAX_BODY_BYTES) in answer.json["error"]["message"]


def test_a_chunked_body_over_the_limit_is_413_not_cut_short() -> None:
    with ThreadedServer(new_service()) as server, socket.create_connection((server.host, server.port), 30) as sock:
        head = f"POST /v1/{PARENT}/customJobs HTTP/1.1\r\nHost: {server.address}\r\nTransfer-Encoding: chunked\r\n\r\n"
        sock.sendall(head.encode())
        chunk = b" " * 65536
        for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")
        received = b""
        while not received.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            received += data
    assert received.split()[1] == b"413"


def test_a_body_shorter_than_its_content_length_is_400_not_a_half_parsed_job() -> None:
    """The body is read straight from ``wsgi.input`` up to its Content-Length: a client that sends
    less is told so (werkzeug's ClientDisconnected), not answered about the JSON it cut."""
    app = make_app(new_service())
    whole = json.dumps(job_body(None)).encode()
    environ = EnvironBuilder(path=f"/v1/{PARENT}/customJobs", method="POST", data=whole).get_environ()
    environ["wsgi.input"] = io.BytesIO(whole[: len(whole) // 2])
    answer = Response.from_app(app, environ)
    assert answer.status_code == 400
    assert answer.json["error"]["status"] == "INVALID_ARGUMENT"
    assert "Invalid JSON" not in answer.json["error"]["message"]
    assert app.extensions["vertex_emulator"].list_jobs(PARENT, None, None, None)[0] == []


@pytest.mark.parametrize(("method", "path"), [("POST", f"/v1/{PARENT}/customJobs"), ("GET", "/emulator/v1/health")])
def test_a_huge_content_length_is_refused_before_the_body_is_read(method: str, path: str) -> None:
    """A raw socket announces 10 GB, sends a few bytes, and gets its 413 without sending the rest."""
    with ThreadedServer(new_service()) as server, socket.create_connection((server.host, server.port), 10) as sock:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {server.address}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 * 1024**3}\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"displayName": "')
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["error"]["code"] == 413
