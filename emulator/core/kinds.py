"""The kinds of record the service keeps, and how a new capability adds one.

A kind is a collection name (``trainingPipelines``), its record class, and optionally what the
service calls for it::

    kinds.register(kinds.Kind(
        collection="trainingPipelines",
        record=TrainingPipeline,              # a dataclass with name, seq, version, next_at, ...
        states=PIPELINE_STATES,               # checked on import; () for none
        step=pipeline_step,                   # step(service, record, at) when record.next_at is due
        job_changed=pipeline_job_changed,     # job_changed(service, owner, job, at) for its jobs
    ))

Registering makes the records of the kind: found by name (``service.records``), listed in
creation order, exported, imported and kept in ``--data-dir`` (``snapshot`` reads the dataclass's
fields, so the record class is its own schema), and their names parse in ``vertex_emulator.names``.
A timed record sets ``record.next_at`` and calls ``service.schedule(record.name, due)``; when the
instant is due, the service clears ``next_at`` and calls ``step``. A kind that owns backing jobs
(``service.create_job(..., owner=record.name)``) gets ``job_changed`` after each state change of
one of them, inside the same call and lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from vertex_emulator import names
from vertex_emulator.domain import jobs, resources
from vertex_emulator.domain.jobs import CustomJob
from vertex_emulator.domain.operations import Operation
from vertex_emulator.domain.resources import PersistentResource

Step = Callable[[Any, Any, float], None]
"""``step(service, record, at)``: the transition of a record whose ``next_at`` is due."""
JobChanged = Callable[[Any, Any, CustomJob, float], None]
"""``job_changed(service, owner_record, job, at)``: a job the record owns changed state."""


class Kind(NamedTuple):
    """A named tuple (immutable, and made without a dataclass's generated methods on ``serve``'s way
    to its first answer)."""

    collection: str
    record: type
    states: tuple[str, ...] = ()
    step: Step | None = None
    job_changed: JobChanged | None = None


KINDS: dict[str, Kind] = {}
"""Every registered kind by collection name, in registration order (the snapshot's order)."""
_BY_TYPE: dict[type, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add (or replace) a kind; its collection's names parse from now on."""
    if kind.collection != names.OPERATIONS:
        names.register_collection(kind.collection)
    KINDS[kind.collection] = kind
    _BY_TYPE[kind.record] = kind
    return kind


def of(record: Any) -> Kind:
    """The kind of a record."""
    return _BY_TYPE[type(record)]


def collection_of(record: Any) -> str:
    return of(record).collection


register(
    Kind(
        "persistentResources",
        PersistentResource,
        resources.STATES,
        step=lambda service, record, at: service.resource_step(record, at),
    )
)
register(Kind("customJobs", CustomJob, jobs.STATES, step=lambda service, record, at: service.job_step(record, at)))
register(Kind(names.OPERATIONS, Operation))
