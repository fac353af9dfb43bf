"""Seeding an emulator from files in the real API's JSON/YAML shape.

A fixture file holds persistent resources and custom jobs as the REST API and
``gcloud ai ... describe --format=json|yaml`` print them: one object, a list, or a list response
(``{"persistentResources": [...], "customJobs": [...]}``). Output-only fields are ignored.
Everything is checked before anything is loaded, so a bad file leaves no half-seeded state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from emulator import wire
from emulator.errors import ApiError
from emulator.service import Service

SUFFIXES = (".json", ".yaml", ".yml")


class FixtureError(Exception):
    """A fixture that cannot be loaded: names the file, the object and the reason."""


@dataclass(frozen=True)
class Document:
    path: Path
    index: int
    kind: str
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path} (object {self.index})"


def read_documents(path: Path) -> Iterator[Document]:
    """Every resource and job of one file, in order."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else list(yaml.safe_load_all(text))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise FixtureError(f"{path}: cannot be read: {error}") from None
    if path.suffix != ".json" and len(data) == 1:
        data = data[0]
    for index, item in enumerate(_objects(data)):
        if not isinstance(item, dict):
            raise FixtureError(f"{path} (object {index}): expected an object, found {type(item).__name__}")
        if "resourcePools" in item or "resource_pools" in item:
            yield Document(path, index, "PersistentResource", item)
        elif "jobSpec" in item or "job_spec" in item:
            yield Document(path, index, "CustomJob", item)
        else:
            raise FixtureError(
                f"{path} (object {index}): neither a PersistentResource (resourcePools) nor a CustomJob (jobSpec)"
            )


def _objects(data: Any) -> Iterable[Any]:
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("persistentResources" in data or "customJobs" in data):
        return [*data.get("persistentResources", []), *data.get("customJobs", [])]
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
    """(parent, id) of a fixture object's name, a full name or a bare id."""
    parts = name.split("/")
    if len(parts) == 6 and parts[0] == "projects" and parts[2] == "locations" and parts[4] == collection:
        return "/".join(parts[:4]), parts[5]
    if len(parts) == 1:
        return f"projects/{project}/locations/{location}", name
    raise FixtureError(f"name {name!r} is neither an id nor projects/P/locations/L/{collection}/ID")


def load(service: Service, paths: Iterable[str | Path], project: str, location: str) -> int:
    """Seed ``service`` from fixture files; all or nothing. Returns the number of objects loaded."""
    documents = [doc for path in files_of(paths) for doc in read_documents(path)]
    staged = Service(settings=service.settings)
    for doc in documents:
        _apply(staged, doc, project, location)
    for doc in documents:
        _apply(service, doc, project, location)
    return len(documents)


def _apply(service: Service, doc: Document, project: str, location: str) -> None:
    try:
        body = wire.parse("v1", doc.kind, doc.body)
        if doc.kind == "PersistentResource":
            parent, resource_id = split_name(body.pop("name", ""), "persistentResources", project, location)
            service.seed_resource(parent, resource_id, body)
        else:
            parent, _ = split_name(body.pop("name", ""), "customJobs", project, location)
            service.create_job(parent, body, "v1")
    except ApiError as error:
        fields = ", ".join(v.field for v in error.violations)
        where = f" (field {fields})" if fields else ""
        raise FixtureError(f"{doc.where}{where}: {error.message}") from None
