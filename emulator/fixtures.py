"""Seeding an emulator from files in the real API's JSON/YAML shape.

A fixture file holds persistent resources and custom jobs as the REST API and
``gcloud ai ... describe --format=json|yaml`` print them: one object, a list, a list response
(``{"persistentResources": [...], "customJobs": [...]}``) or several YAML documents. Output-only
fields are ignored, so the description of a real resource loads as that resource. Resources load
before jobs, whatever the order of the files, since a job names its resource.

Cloud Storage buckets load from the same files, in the shapes the storage JSON API and
``gcloud storage buckets describe --format=json|yaml`` print: an object with
``"kind": "storage#bucket"`` or a ``storage_url`` of ``gs://NAME/``, or a bucket list response
(``{"kind": "storage#buckets", "items": [...]}``). Only the name is used: the bucket is created,
empty, in the storage emulator beside the emulator (``vertex_emulator.storage``).

Loading is all or nothing: every object is applied to a copy of the service's state first, and the
copy replaces the state only when all of them loaded. A bad file stops with the file, the object,
the field and the reason.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vertex_emulator import names, wire
from vertex_emulator.clock import rfc3339
from vertex_emulator.domain import jobs, resources
from vertex_emulator.errors import ApiError
from vertex_emulator.service import Service
from vertex_emulator.storage import Storage, StorageError, check_bucket_name

SUFFIXES = (".json", ".yaml", ".yml")
KINDS = ("Bucket", "PersistentResource", "CustomJob")
_OUTPUT_ONLY = {"PersistentResource": resources.OUTPUT_ONLY, "CustomJob": jobs.OUTPUT_ONLY}


class FixtureError(Exception):
    """A fixture that cannot be loaded: names the file, the object, the field and the reason."""


@dataclass(frozen=True)
class Document:
    path: Path
    index: int
    kind: str
    body: dict[str, Any]

    @property
    def where(self) -> str:
        name = self.body.get("name")
        return f"{self.path} (object {self.index}{f', {name}' if name else ''})"


def read_documents(path: Path) -> Iterator[Document]:
    """Every resource and job of one file, in order."""
    import yaml  # only for fixtures: ``serve`` starts without it (README, "Performance")

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else _plain(list(yaml.safe_load_all(text)))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise FixtureError(f"{path}: cannot be read: {error}") from None
    if path.suffix != ".json" and len(data) == 1:
        data = data[0]
    for index, item in enumerate(_objects(data)):
        if not isinstance(item, dict):
            raise FixtureError(f"{path} (object {index}): expected an object, found {type(item).__name__}")
        if item.get("kind") == "storage#bucket" or str(item.get("storage_url", "")).startswith("gs://"):
            yield Document(path, index, "Bucket", item)
        elif "resourcePools" in item or "resource_pools" in item:
            yield Document(path, index, "PersistentResource", item)
        elif "jobSpec" in item or "job_spec" in item:
            yield Document(path, index, "CustomJob", item)
        else:
            raise FixtureError(
                f"{path} (object {index}): neither a PersistentResource (resourcePools), a CustomJob (jobSpec) "
                'nor a Cloud Storage bucket ("kind": "storage#bucket")'
            )


def _plain(data: Any) -> Any:
    """YAML as JSON would carry it: an unquoted timestamp is the RFC 3339 string it was written as."""
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(item) for item in data]
    if isinstance(data, datetime.datetime):
        moment = data if data.tzinfo else data.replace(tzinfo=datetime.UTC)
        return rfc3339(moment.timestamp())
    if isinstance(data, datetime.date):
        return data.isoformat()
    return data


def _objects(data: Any) -> Iterable[Any]:
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("persistentResources" in data or "customJobs" in data):
        return [*data.get("persistentResources", []), *data.get("customJobs", [])]
    if isinstance(data, dict) and data.get("kind") == "storage#buckets":
        return list(data.get("items", []))
    return [data]


def files_of(paths: Iterable[str | Path]) -> list[Path]:
    """The fixture files named, folders expanded to their JSON/YAML files in sorted order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise FixtureError(f"{path}: no such file or folder")
    return found


def split_name(name: str, collection: str, project: str, location: str) -> tuple[str, str]:
    """(parent, id) of a fixture object's name, a full name or a bare id (a job's id is not kept)."""
    split = names.split_child(name, collection)
    if split is not None:
        return split
    if "/" not in name:
        return names.parent(project, location), name
    raise FixtureError(f"name {name!r} is neither an id nor projects/P/locations/L/{collection}/ID")


def load(
    service: Service, paths: Iterable[str | Path], project: str, location: str, storage: Storage | None = None
) -> int:
    """Seed ``service`` (and ``storage``, with the buckets the files list) from fixture files; all or
    nothing. Returns the number of objects loaded."""
    documents = [doc for path in files_of(paths) for doc in read_documents(path)]
    if not documents:
        return 0
    documents.sort(key=lambda doc: KINDS.index(doc.kind))
    buckets = [_bucket_name(doc, storage) for doc in documents if doc.kind == "Bucket"]
    staged = Service(settings=service.settings)
    staged.import_state(service.export_state())
    for doc in documents:
        if doc.kind != "Bucket":
            _apply(staged, doc, project, location)
    service.import_state(staged.export_state())
    for name in buckets:
        assert storage is not None
        storage.create_bucket(name)
    return len(documents)


def _bucket_name(doc: Document, storage: Storage | None) -> str:
    """The name of a bucket document, checked before anything is loaded."""
    name = str(doc.body.get("name") or str(doc.body.get("storage_url", "")).removeprefix("gs://").rstrip("/"))
    if storage is None:
        raise FixtureError(f"{doc.where}: a Cloud Storage bucket, but Cloud Storage is off (--storage off)")
    try:
        check_bucket_name(name)
    except StorageError as error:
        raise FixtureError(f"{doc.where}: field name: {error}") from None
    return name


def _apply(service: Service, doc: Document, project: str, location: str) -> None:
    try:
        given = {key: value for key, value in doc.body.items() if key not in _OUTPUT_ONLY[doc.kind]}
        body = wire.parse("v1", doc.kind, given)
        collection = "persistentResources" if doc.kind == "PersistentResource" else "customJobs"
        parent, object_id = split_name(str(doc.body.get("name", "")), collection, project, location)
        if doc.kind == "PersistentResource":
            service.seed_resource(parent, object_id, body)
        else:
            service.create_job(parent, body, "v1")
    except FixtureError as error:
        raise FixtureError(f"{doc.where}: {error}") from None
    except ApiError as error:
        fields = ", ".join(v.field for v in error.violations)
        where = f": field {fields}" if fields else ""
        raise FixtureError(f"{doc.where}{where}: {error.code.name}: {error.message}") from None
