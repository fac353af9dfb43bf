"""The threaded server: connections kept open between calls, bodies that end where they say, a stalled
call beside other clients, and a stop that leaves no connection waiting and no thread behind."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PARENT, demo_pool, job_body, new_service
from vertex_emulator.http import faults
from vertex_emulator.http.app import make_app
from vertex_emulator.server import ThreadedServer

HEALTH = "/emulator/v1/health"
JOBS = f"/v1/{PARENT}/customJobs"


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    service = new_service(job_duration=None)
    service.seed_resource(PARENT, "demo", {"resourcePools": [demo_pool(replicaCount="50")]})
    with ThreadedServer(service) as running:
        yield running


def connect(server: ThreadedServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(server.host, server.port, timeout=30)


def call(connection: http.client.HTTPConnection, method: str, path: str, **options: Any) -> http.client.HTTPResponse:
    connection.request(method, path, **options)
    answer = connection.getresponse()
    answer.read()
    return answer


def raw_exchange(server: ThreadedServer, data: bytes) -> bytes:
    """Send ``data`` as it is and read until the server closes the connection."""
    with socket.create_connection((server.host, server.port), 30) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_calls_on_one_connection_stay_on_it(server: ThreadedServer) -> None:
    connection = connect(server)
    created = json.loads(call_body(connection, "POST", JOBS, json.dumps(job_body())))
    opened = connection.sock
    for path in (HEALTH, f"/v1/{created['name']}", HEALTH):
        answer = call(connection, "GET", path)
        assert answer.status == 200
        assert answer.getheader("Connection") is None
    assert connection.sock is opened, "the connection was never closed and opened again"
    connection.close()


def call_body(connection: http.client.HTTPConnection, method: str, path: str, body: str) -> bytes:
    connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    assert answer.status == 200
    return answer.read()


def test_a_body_left_unread_is_skipped_never_read_as_the_next_request(server: ThreadedServer) -> None:
    """A 404 never reads its body; this one looks like a request, and is followed by a real one."""
    smuggled = b"GET /emulator/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    data = (
        b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(smuggled), smuggled)
        + b"GET /emulator/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    received = raw_exchange(server, data)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", received) == [b"404", b"200"]


def test_a_large_body_left_unread_is_answered_then_its_connection_closed(server: ThreadedServer) -> None:
    connection = connect(server)
    answer = call(connection, "POST", "/nowhere", body=b" " * (1024 * 1024))
    assert answer.status == 404
    assert answer.getheader("Connection") == "close"
    assert connection.sock is None
    assert call(connection, "GET", HEALTH).status == 200, "the client opens a new connection"
    connection.close()


def test_a_chunked_body_is_read_whole_then_its_connection_closed(server: ThreadedServer) -> None:
    text = json.dumps(job_body()).encode()
    connection = connect(server)
    parts = iter([text[:10], text[10:]])
    answer = call(
        connection, "POST", JOBS, body=parts, encode_chunked=True, headers={"Content-Type": "application/json"}
    )
    assert answer.status == 200
    assert answer.getheader("Connection") == "close"
    connection.close()


def test_an_http_1_0_client_is_answered_and_disconnected(server: ThreadedServer) -> None:
    received = raw_exchange(server, b"GET /emulator/v1/health HTTP/1.0\r\n\r\n")
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {"status": "ok"}


class Stall:
    """Stalls that wait to be released instead of sleeping, and say when one has begun."""

    def __init__(self) -> None:
        self.begun = threading.Event()
        self.released = threading.Event()

    def __call__(self, seconds: float) -> None:
        self.begun.set()
        self.released.wait(30)


@pytest.fixture
def stalled() -> Iterator[tuple[ThreadedServer, Stall]]:
    service = new_service()
    app = make_app(service)
    stall = Stall()
    app.extensions["vertex_emulator_faults"].sleep = stall
    server = ThreadedServer(service, app=app).start()
    try:
        yield server, stall
    finally:
        stall.released.set()
        server.stop()


def in_background(server: ThreadedServer) -> tuple[threading.Thread, list[http.client.HTTPResponse]]:
    """A stalled call of its own connection, in a thread; its answer lands in the list."""
    answers: list[http.client.HTTPResponse] = []

    def stalled_call() -> None:
        connection = connect(server)
        answers.append(call(connection, "GET", JOBS, headers={faults.HEADER: "stall=30s"}))
        connection.close()

    thread = threading.Thread(target=stalled_call)
    thread.start()
    return thread, answers


def test_a_stalled_call_holds_up_no_other_client(stalled: tuple[ThreadedServer, Stall]) -> None:
    server, stall = stalled
    thread, answers = in_background(server)
    assert stall.begun.wait(30)
    connection = connect(server)
    assert call(connection, "GET", HEALTH).status == 200
    connection.close()
    assert not answers, "answered while the stalled call still waits"
    stall.released.set()
    thread.join()
    assert answers[0].status == 200


def test_a_stop_closes_the_waiting_connections_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    with ThreadedServer(new_service()) as server:
        connections = [connect(server) for _ in range(3)]
        for connection in connections:
            assert call(connection, "GET", HEALTH).status == 200
    assert set(threading.enumerate()) <= before
    for connection in connections:
        with pytest.raises((http.client.HTTPException, OSError)):
            call(connection, "GET", HEALTH)
        connection.close()


def test_a_call_answered_during_the_stop_ends_its_connection(stalled: tuple[ThreadedServer, Stall]) -> None:
    server, stall = stalled
    thread, answers = in_background(server)
    assert stall.begun.wait(30)
    server.stop()
    stall.released.set()
    thread.join()
    assert answers[0].status == 200
    assert answers[0].getheader("Connection") == "close"
