"""Errors of the emulated service, raised by the domain and rendered once by the HTTP layer.

A condition is named once, by its canonical ``google.rpc.Code``; the HTTP status and the gRPC
number both follow from it, as they do on Google's front ends (FAILED_PRECONDITION is HTTP 400,
not 412). Nothing here imports Flask, so the domain and the client's offline check can raise and
inspect the same exceptions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Code(enum.Enum):
    """Canonical codes of ``google/rpc/code.proto``: (gRPC number, HTTP status)."""

    CANCELLED = (1, 499)
    UNKNOWN = (2, 500)
    INVALID_ARGUMENT = (3, 400)
    DEADLINE_EXCEEDED = (4, 504)
    NOT_FOUND = (5, 404)
    ALREADY_EXISTS = (6, 409)
    PERMISSION_DENIED = (7, 403)
    RESOURCE_EXHAUSTED = (8, 429)
    FAILED_PRECONDITION = (9, 400)
    ABORTED = (10, 409)
    OUT_OF_RANGE = (11, 400)
    UNIMPLEMENTED = (12, 501)
    INTERNAL = (13, 500)
    UNAVAILABLE = (14, 503)
    DATA_LOSS = (15, 500)
    UNAUTHENTICATED = (16, 401)

    @property
    def grpc(self) -> int:
        return self.value[0]

    @property
    def http(self) -> int:
        return self.value[1]


class FieldViolation(NamedTuple):
    """One entry of a ``google.rpc.BadRequest`` detail; ``field`` is a snake_case path. A named tuple:
    immutable, without a dataclass's generated methods to compile as ``serve`` starts."""

    field: str
    description: str


@dataclass
class ApiError(Exception):
    """A request the service refuses; carries everything the ``google.rpc.Status`` needs."""

    code: Code
    message: str
    violations: list[FieldViolation] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    http_status: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    @property
    def status(self) -> int:
        return self.http_status or self.code.http

    def to_status(self, *, http: bool) -> dict[str, Any]:
        """The ``google.rpc.Status``: HTTP status in ``code`` on the wire, gRPC number inside objects."""
        details = list(self.details)
        if self.violations:
            details.insert(
                0,
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": v.field, "description": v.description} for v in self.violations],
                },
            )
        body: dict[str, Any] = {
            "code": self.status if http else self.code.grpc,
            "message": self.message,
        }
        if http:
            body["status"] = self.code.name
        if details:
            body["details"] = details
        return body


def invalid_argument(message: str, *violations: FieldViolation) -> ApiError:
    return ApiError(Code.INVALID_ARGUMENT, message, list(violations))


def bad_field(path: str, message: str) -> ApiError:
    """INVALID_ARGUMENT blamed on one field: the message and the BadRequest detail agree."""
    return ApiError(Code.INVALID_ARGUMENT, message, [FieldViolation(path, message)])


def failed_precondition(message: str, *violations: FieldViolation) -> ApiError:
    return ApiError(Code.FAILED_PRECONDITION, message, list(violations))


def not_found(kind: str, name: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, f'{kind} "{name}" does not exist.')


def already_exists(kind: str, name: str) -> ApiError:
    return ApiError(Code.ALREADY_EXISTS, f'{kind} "{name}" already exists.')
