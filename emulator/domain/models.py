"""Models of the Model Registry, as a training pipeline uploads them (``model.proto``).

A model is one record with its versions ("1", "2", ...). ``GET models/ID`` shows the version the
alias ``default`` points at, ``GET models/ID@VERSION`` a version by id or by alias, and listing
shows each model once, by its default version, as ``ListModels`` does. The first version always
takes ``default``; a later one takes it when its upload asks for it (the SDK's
``is_default_version`` puts ``default`` in ``versionAliases``), and an alias a new version takes
leaves the version that had it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vertex_emulator.clock import rfc3339
from vertex_emulator.domain.validation import check_labels
from vertex_emulator.errors import bad_field, not_found

DEFAULT_ALIAS = "default"
_MODEL_ID = re.compile(r"^[a-z_]([a-z0-9_-]{0,62})$")
_ALIAS = re.compile(r"^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$")

OUTPUT_ONLY = (
    "name",
    "versionId",
    "versionCreateTime",
    "versionUpdateTime",
    "createTime",
    "updateTime",
    "trainingPipeline",
    "etag",
    "modelSourceInfo",
)


def check_upload(model: dict[str, Any], where: str) -> dict[str, Any]:
    """A pipeline's ``modelToUpload``: it needs a display name and a serving container image."""
    spec = {key: value for key, value in model.items() if key not in OUTPUT_ONLY}
    if not spec.get("displayName"):
        raise bad_field(f"{where}.display_name", f"{where}.display_name is required.")
    if not (spec.get("containerSpec") or {}).get("imageUri"):
        raise bad_field(
            f"{where}.container_spec.image_uri",
            f"{where}.container_spec.image_uri is required: a custom-trained model is served by its container.",
        )
    check_labels(spec)
    for alias in spec.get("versionAliases", []):
        if not _ALIAS.match(alias):
            raise bad_field(
                f"{where}.version_aliases",
                f'Version alias "{alias}" is invalid: it must match [a-z][a-zA-Z0-9-]{{0,126}}[a-z0-9].',
            )
    return spec


def check_model_id(model_id: str, where: str) -> None:
    if not _MODEL_ID.match(model_id):
        raise bad_field(
            where,
            f'{where} "{model_id}" is invalid: at most 63 characters of [a-z0-9_-], '
            "not starting with a digit or a dash.",
        )


def split_version(name: str) -> tuple[str, str | None]:
    """``models/ID@VERSION`` -> (``models/ID``, ``VERSION``); the version is an id or an alias."""
    model, _, version = name.partition("@")
    return model, version or None


@dataclass(slots=True)
class Model:
    """One model and its versions; each version is ``{versionId, spec, createTime, updateTime, trainingPipeline}``."""

    name: str
    version: str
    seq: int
    create_time: float
    update_time: float
    versions: list[dict[str, Any]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    """Alias -> version id; ``default`` always names one version."""

    @property
    def display_name(self) -> str:
        return str(self.find_version(None)["spec"].get("displayName", ""))

    @property
    def labels(self) -> dict[str, str]:
        return self.find_version(None)["spec"].get("labels", {})

    def add_version(self, spec: dict[str, Any], pipeline: str, at: float) -> str:
        """Record a new version uploaded by ``pipeline``; returns its id."""
        version_id = str(len(self.versions) + 1)
        aliases = [alias for alias in spec.get("versionAliases", []) if alias]
        if not self.versions and DEFAULT_ALIAS not in aliases:
            aliases.insert(0, DEFAULT_ALIAS)
        kept = {key: value for key, value in spec.items() if key != "versionAliases"}
        self.versions.append(
            {"versionId": version_id, "spec": kept, "createTime": at, "updateTime": at, "trainingPipeline": pipeline}
        )
        for alias in aliases:
            self.aliases[alias] = version_id
        self.update_time = at
        return version_id

    def find_version(self, version: str | None) -> dict[str, Any]:
        """A version by id or alias (None: the default one); NOT_FOUND names the versioned model."""
        wanted = self.aliases.get(version or DEFAULT_ALIAS, version)
        for entry in self.versions:
            if entry["versionId"] == wanted:
                return entry
        raise not_found("Model", f"{self.name}@{version}")

    def render(self, version: str | None = None) -> dict[str, Any]:
        entry = self.find_version(version)
        aliases = sorted(alias for alias, target in self.aliases.items() if target == entry["versionId"])
        body: dict[str, Any] = {
            "name": self.name,
            "versionId": entry["versionId"],
            **entry["spec"],
            "trainingPipeline": entry["trainingPipeline"],
            "modelSourceInfo": {"sourceType": "CUSTOM"},
            "createTime": rfc3339(self.create_time),
            "updateTime": rfc3339(self.update_time),
            "versionCreateTime": rfc3339(entry["createTime"]),
            "versionUpdateTime": rfc3339(entry["updateTime"]),
        }
        if aliases:
            body["versionAliases"] = aliases
        return body

    def render_versions(self) -> list[dict[str, Any]]:
        return [self.render(entry["versionId"]) for entry in self.versions]


def artifact_uri(spec: dict[str, Any], base_output_directory: str | None) -> dict[str, Any]:
    """The model to upload with ``artifactUri`` defaulting to the job's ``AIP_MODEL_DIR``, ``<base>/model/``."""
    if spec.get("artifactUri") or not base_output_directory:
        return spec
    return {**spec, "artifactUri": base_output_directory.rstrip("/") + "/model/"}
