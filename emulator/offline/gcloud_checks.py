"""The checks ``gcloud ai custom-jobs create`` makes after parsing its flags, in its words.

``vertex_emulator.offline.gcloud`` reads the command line; this module holds what gcloud 528
refuses once the flags are read (the ``--worker-pool-spec`` keys that go together or not, a local
package, the ``--config`` file), so that each refusal text sits next to the rule it states.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from vertex_emulator import wire
from vertex_emulator.errors import ApiError
from vertex_emulator.offline.gcloud_errors import GcloudError, invalid

_REGISTRIES = ("gcr.io", "eu.gcr.io", "asia.gcr.io", "us.gcr.io")
_LOCAL_PACKAGE_ONLY = frozenset({"script", "requirements", "extra-packages", "extra-dirs"})
_SOFTWARE = frozenset({"executor-image-uri", "container-image-uri", "python-module"} | _LOCAL_PACKAGE_ONLY)


def read_config(path: str, version: str = "v1") -> dict[str, Any]:
    """A ``--config`` file as the canonical ``CustomJobSpec`` it holds (``-`` reads stdin, as gcloud does)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GcloudError(f"Unable to read file [{path}]: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise GcloudError(f"Failed to parse YAML: {_yaml_problem(error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GcloudError(f"Cannot parse YAML: [expected a CustomJobSpec mapping, found {type(data).__name__}]")
    pools = data.get("workerPoolSpecs")
    if isinstance(pools, dict):
        data = {**data, "workerPoolSpecs": [pools]}
    try:
        return wire.parse(version, "CustomJobSpec", data)
    except ApiError as error:
        raise GcloudError(f"Cannot parse YAML: [{error.message}]") from None


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's message as gcloud's YAML library (ruamel) prints it: the caret line names its line."""
    text = str(error)
    mark = getattr(error, "problem_mark", None)
    return f"{text} (line: {mark.line + 1})" if mark is not None and text.endswith("^") else text


def _accelerator_names(version: str) -> list[str]:
    """The accelerator names gcloud offers: the API enum's NVIDIA_* and TPU_* values."""
    enum = wire.message_class(version, "MachineSpec").DESCRIPTOR.fields_by_name["accelerator_type"].enum_type
    return sorted(value.name for value in enum.values if value.name.startswith(("NVIDIA", "TPU")))


def check_worker_pools(pools: Sequence[dict[str, Any]], version: str, cwd: Path) -> None:
    if not pools[0]:
        raise invalid("--worker-pool-spec", "Empty value is not allowed for the first `--worker-pool-spec` flag.")
    for spec in pools:
        if not spec:
            continue
        if "machine-type" not in spec:
            raise invalid("--worker-pool-spec", "Key [machine-type] required in dict arg but not provided.")
        if "accelerator-count" in spec and "accelerator-type" not in spec:
            raise invalid("--worker-pool-spec", "Key [accelerator-type] required as [accelerator-count] is specified.")
        accelerator = spec.get("accelerator-type")
        names = _accelerator_names(version) if accelerator else []
        if accelerator and accelerator not in names:
            raise invalid(
                "--worker-pool-spec",
                f"Found invalid value of [accelerator-type]: {accelerator}. Available values are [{', '.join(names)}].",
            )
    local = "local-package-path" in pools[0]
    if local:
        _check_local_package(pools[0], cwd)
    else:
        _check_software(pools[0])
    for spec in pools[1:]:
        if not spec:
            continue
        if local:
            _refuse_keys(
                _SOFTWARE & spec.keys(),
                "A local package has been specified in the first `--worker-pool-spec` flag and to be used for all "
                "workers, do not specify these keys elsewhere.",
            )
        elif "local-package-path" in spec:
            raise invalid(
                "--worker-pool-spec",
                "Key [local-package-path] is only allowed in the first `--worker-pool-spec` flag.",
            )
        else:
            _check_software(spec)


def _check_software(spec: Mapping[str, Any]) -> None:
    executor = "executor-image-uri" in spec
    container = "container-image-uri" in spec
    module = "python-module" in spec
    if executor == container:
        raise invalid(
            "--worker-pool-spec", "Exactly one of keys [executor-image-uri, container-image-uri] is required."
        )
    if container and module:
        raise invalid(
            "--worker-pool-spec", "Key [python-module] is not allowed together with key [container-image-uri]."
        )
    if executor and not module:
        raise invalid("--worker-pool-spec", "Key [python-module] is required.")
    _refuse_keys(
        _LOCAL_PACKAGE_ONLY & spec.keys(),
        "Only allow to specify together with `local-package-path` in the first `--worker-pool-spec` flag.",
    )


def _refuse_keys(keys: Collection[str], reason: str) -> None:
    if keys:
        raise invalid("--worker-pool-spec", f"Keys [{', '.join(sorted(keys))}] are not allowed: {reason}")


def _check_local_package(spec: Mapping[str, Any], cwd: Path) -> None:
    folder = (cwd / Path(spec["local-package-path"]).expanduser()).resolve()
    if not folder.is_dir():
        raise invalid("--worker-pool-spec", f"Directory '{folder}' is not found.")
    if "executor-image-uri" not in spec:
        raise invalid(
            "--worker-pool-spec", "Key [executor-image-uri] is required when `local-package-path` is specified."
        )
    if ("python-module" in spec) == ("script" in spec):
        raise invalid(
            "--worker-pool-spec",
            "Exactly one of keys [python-module, script] is required when `local-package-path` is specified.",
        )
    output = spec.get("output-image-uri")
    host = str(output).split("/")[0]
    if output is not None and host not in _REGISTRIES and not host.endswith("-docker.pkg.dev"):
        raise invalid(
            "--worker-pool-spec", "The value of `output-image-uri` has to be a valid gcr.io or Artifact Registry image"
        )


def check_config_pools(config: Mapping[str, Any]) -> None:
    for pool in config.get("workerPoolSpecs", []):
        package = pool.get("pythonPackageSpec") or {}
        uses_package = bool(package.get("executorImageUri") or package.get("pythonModule"))
        uses_container = bool((pool.get("containerSpec") or {}).get("imageUri"))
        if uses_package == uses_container:
            raise invalid(
                "--config",
                "Exactly one of fields [pythonPackageSpec, containerSpec] is required for a [workerPoolSpecs] "
                "in the YAML config file.",
            )
