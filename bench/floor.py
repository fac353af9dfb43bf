"""The floor: a Flask app that does nothing but return the emulator's own bodies, canned.

Measured through the same routing (``client.inprocess.intercept`` in-process, the same threaded server over HTTP),
it costs what the SDK, the framework and the transport cost with no emulator behind them, so the
emulator's overhead is its time divided by this one's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response

from bench import workload
from vertex_emulator.http.app import make_app

JOBS = "/v1/projects/<project>/locations/<location>/customJobs"


@dataclass(frozen=True)
class Canned:
    """What the emulator answers to a create and a get of the same job, byte for byte."""

    create: bytes
    get: bytes

    def to_json(self) -> str:
        return json.dumps({"create": self.create.decode(), "get": self.get.decode()})

    @classmethod
    def from_json(cls, text: str) -> Canned:
        data = json.loads(text)
        return cls(create=data["create"].encode(), get=data["get"].encode())


def canned(body: dict[str, Any]) -> Canned:
    client = make_app(workload.service()).test_client()
    created = client.post(f"/v1/{workload.PARENT}/customJobs", data=json.dumps(body), content_type="application/json")
    if created.status_code != 200:
        raise RuntimeError(f"the emulator refused the benchmark job: {created.get_data(as_text=True)}")
    read = client.get(f"/v1/{created.get_json()['name']}")
    return Canned(create=created.get_data(), get=read.get_data())


def app(bodies: Canned) -> Flask:
    floor = Flask("bench_floor")

    def create(project: str, location: str) -> Response:
        return Response(bodies.create, mimetype="application/json")

    def get(project: str, location: str, job: str) -> Response:
        return Response(bodies.get, mimetype="application/json")

    floor.add_url_rule(JOBS, "create", create, methods=["POST"])
    floor.add_url_rule(f"{JOBS}/<job>", "get", get, methods=["GET"])
    return floor
