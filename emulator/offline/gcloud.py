"""``gcloud ai custom-jobs create`` read as gcloud reads it: its flags in, the CustomJob it would send out.

CI scripts submit training jobs with gcloud flags; ``vertex-emulator check -- gcloud ...`` and
``vertex-emulator submit -- gcloud ...`` turn the same command line into the REST ``CustomJob``
gcloud would send, so the documented persistent-resource rules can be checked before a real
submission. The readings below are gcloud 528's, checked against the real binary
(``tests/test_gcloud_real.py`` runs it on the same command lines and compares the bodies it sends,
its messages and its exit codes); the errors use gcloud's own wording
(``ERROR: (gcloud.ai.custom-jobs.create) ...``).

Readings of gcloud's behaviour:

- ``--worker-pool-spec`` is repeatable; each occurrence is one worker pool, in order. Its value is
  a ``KEY=VALUE`` list separated by commas (``^DELIM^`` at the start picks another separator, as
  ``gcloud topic escaping`` describes). Unknown keys are refused by the flag's parser. An empty
  value is an empty worker pool (a skipped slot), except for the first one.
- ``replica-count`` defaults to 1; ``accelerator-count`` defaults to 1 when ``accelerator-type``
  is given and is refused without it; ``accelerator-type`` must be an ``NVIDIA_*`` or ``TPU_*``
  name of the API's AcceleratorType enum. There is no key for the boot disk (gcloud 528 refuses
  ``disk-type`` and ``disk-size`` as unknown keys): a job that must match a pool's non-default disk
  sets ``diskSpec`` in a ``--config`` file.
- A worker pool runs exactly one of: ``container-image-uri`` (a ``containerSpec``), or
  ``executor-image-uri`` + ``python-module`` with ``--python-package-uris`` (a
  ``pythonPackageSpec``), or, in the first pool only, ``local-package-path`` + ``executor-image-uri``
  + ``python-module``|``script``, which gcloud builds into an image and pushes. This module builds
  nothing: such a job names ``output-image-uri``, or the name gcloud would generate, as the
  ``containerSpec.imageUri`` of every non-empty pool, which is what gcloud sends.
- ``--config`` is a YAML ``CustomJobSpec``. gcloud's help calls keys with underscores invalid, but
  gcloud 528 sends them through untouched and the service reads proto field names as well as JSON
  names, so they are read here too. The command line wins over the file:
  ``--worker-pool-spec`` replaces the file's ``workerPoolSpecs`` as a whole, ``--network`` and
  ``--service-account`` replace the file's values when given, ``--enable-web-access`` and
  ``--enable-dashboard-access`` only ever turn them on, ``--persistent-resource-id`` replaces the
  file's id, ``--args`` replaces the args of every worker pool (container or Python package) and
  ``--command`` the command of every container, whether the pools came from flags or from the
  file. As in gcloud's apitools, a single mapping under ``workerPoolSpecs`` is one worker pool.
  Without ``--worker-pool-spec``, every pool of the file must hold exactly one of
  ``containerSpec`` and ``pythonPackageSpec``.
- The project is ``--project``, else ``CLOUDSDK_CORE_PROJECT``; the region ``--region``, else
  ``CLOUDSDK_AI_REGION`` (the ``ai/region`` property). ``gcloud beta|alpha`` use the v1beta1 API.
- The region must be one of gcloud 528's training regions (``TRAINING_REGIONS``).
- Global flags that only steer authentication or logging are accepted and have no effect.
- Exit codes are gcloud's: 2 for what its argument parser refuses (an unknown key or flag, a
  missing required flag, a value of the wrong type), 1 for what its checks refuse afterwards
  (``Invalid value for [...]``, a missing or unknown region, an unreadable ``--config``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from vertex_emulator import names, wire
from vertex_emulator.errors import ApiError
from vertex_emulator.offline.gcloud_checks import check_config_pools, check_worker_pools, read_config
from vertex_emulator.offline.gcloud_errors import COMMAND, USAGE_ERROR, GcloudError, invalid

TRACKS = ("alpha", "beta")
_PATH = ("ai", "custom-jobs", "create")
TRAINING_REGIONS = (
    *("africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3"),
    *("asia-south1", "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2"),
    *("europe-central2", "europe-north1", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3"),
    *("europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west12", "me-central1"),
    *("me-central2", "me-west1", "northamerica-northeast1", "northamerica-northeast2", "southamerica-east1"),
    *("southamerica-west1", "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1"),
    *("us-west2", "us-west3", "us-west4"),
)
"""The regions gcloud 528 accepts for custom jobs, in the order its error lists them."""


def _semicolon_list(value: str) -> list[str]:
    return [item for item in value.split(";") if item]


WORKER_POOL_KEYS: dict[str, Callable[[str], Any]] = {
    "replica-count": int,
    "machine-type": str,
    "accelerator-type": str,
    "accelerator-count": int,
    "container-image-uri": str,
    "executor-image-uri": str,
    "output-image-uri": str,
    "python-module": str,
    "script": str,
    "local-package-path": str,
    "requirements": _semicolon_list,
    "extra-packages": _semicolon_list,
    "extra-dirs": _semicolon_list,
}

_GLOBAL_VALUE_FLAGS = (
    "--project",
    "--format",
    "--verbosity",
    "--account",
    "--impersonate-service-account",
    "--billing-project",
    "--access-token-file",
    "--configuration",
    "--trace-token",
)
_GLOBAL_SWITCHES = ("--quiet", "-q", "--log-http", "--no-user-output-enabled", "--user-output-enabled")


@dataclass(frozen=True)
class CustomJobsCreate:
    """One ``gcloud [beta] ai custom-jobs create`` command line, read."""

    track: str
    project: str | None
    region: str
    job: dict[str, Any]
    output_format: str | None

    @property
    def version(self) -> str:
        """The API version gcloud's release track talks to."""
        return "v1beta1" if self.track else "v1"

    @property
    def prefix(self) -> str:
        """The command users type, for the hints gcloud prints."""
        return f"gcloud {self.track}" if self.track else "gcloud"

    @property
    def command(self) -> str:
        """The name gcloud's errors carry: ``gcloud.ai.custom-jobs.create``, ``gcloud.beta.ai...``."""
        return command_name(self.track)

    def parent(self, project: str) -> str:
        return names.parent(project, self.region)


def command_name(track: str) -> str:
    return f"gcloud.{track}.ai.custom-jobs.create" if track else COMMAND


def split_list(value: str) -> list[str]:
    """gcloud's list syntax: comma-separated, or ``^DELIM^`` first to pick another separator."""
    delimiter = ","
    if value.startswith("^") and value.find("^", 1) > 1:
        end = value.find("^", 1)
        delimiter, value = value[1:end], value[end + 1 :]
    return value.split(delimiter) if value else []


def _worker_pool_flag(value: str) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for item in split_list(value):
        key, equals, raw = item.partition("=")
        if not equals:
            raise argparse.ArgumentTypeError(
                f"Bad syntax for dict arg: [{item}]. Please see `gcloud topic flags-file` or `gcloud topic "
                "escaping` for information on providing list or dictionary flag values with special characters."
            )
        if key not in WORKER_POOL_KEYS:
            raise argparse.ArgumentTypeError(f"valid keys are [{', '.join(sorted(WORKER_POOL_KEYS))}]; received: {key}")
        try:
            spec[key] = WORKER_POOL_KEYS[key](raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid ArgDict value: {value!r}") from None
    return spec


def _dict_flag(value: str) -> dict[str, str]:
    return dict(item.partition("=")[::2] for item in split_list(value))


class _Update(argparse.Action):
    """gcloud's ``UpdateAction``: a repeated list or dict flag adds up instead of replacing."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, *_: Any) -> None:
        current = getattr(namespace, self.dest)
        if current is None:
            setattr(namespace, self.dest, values)
        elif isinstance(current, dict):
            setattr(namespace, self.dest, {**current, **values})
        else:
            setattr(namespace, self.dest, [*current, *values])


class _Parser(argparse.ArgumentParser):
    """argparse with gcloud's spelling of a refused command line, raised rather than exiting."""

    def error(self, message: str) -> NoReturn:
        raise GcloudError(message, exit_code=USAGE_ERROR)


def _parser() -> _Parser:
    parser = _Parser(prog="gcloud ai custom-jobs create", add_help=False, allow_abbrev=False)
    parser.add_argument("--region")
    parser.add_argument("--display-name")
    parser.add_argument("--worker-pool-spec", action="append", type=_worker_pool_flag)
    parser.add_argument("--config")
    parser.add_argument("--labels", type=_dict_flag, action=_Update)
    parser.add_argument("--args", type=split_list, action=_Update)
    parser.add_argument("--command", type=split_list, action=_Update)
    parser.add_argument("--python-package-uris", type=split_list)
    parser.add_argument("--service-account")
    parser.add_argument("--network")
    parser.add_argument("--enable-web-access", action="store_true")
    parser.add_argument("--enable-dashboard-access", action="store_true")
    parser.add_argument("--persistent-resource-id")
    for flag in ("--kms-key", "--kms-keyring", "--kms-location", "--kms-project"):
        parser.add_argument(flag)
    for flag in _GLOBAL_VALUE_FLAGS:
        parser.add_argument(flag)
    for flag in _GLOBAL_SWITCHES:
        parser.add_argument(flag, action="store_true")
    return parser


def _command_path(argv: Sequence[str]) -> tuple[str, list[str]]:
    """The release track and the flags of ``gcloud [TRACK] ai custom-jobs create FLAGS``.

    Global flags may come before the command group, as gcloud allows; the words of the command
    path are picked out around them.
    """
    tokens = list(argv[1:] if argv[:1] == ["gcloud"] else argv)
    words: list[str] = []
    flags: list[str] = []
    index = 0
    while index < len(tokens) and len(words) < len(_PATH) + (1 if words[:1] and words[0] in TRACKS else 0):
        token = tokens[index]
        if not token.startswith("-"):
            words.append(token)
        else:
            flags.append(token)
            if token in _GLOBAL_VALUE_FLAGS and index + 1 < len(tokens):
                index += 1
                flags.append(tokens[index])
        index += 1
    track = words[0] if words[:1] and words[0] in TRACKS else ""
    if tuple(words[1:] if track else words) != _PATH:
        shown = " ".join(["gcloud", *words])
        raise GcloudError(
            f'vertex-emulator reads only "gcloud [alpha|beta] ai custom-jobs create ...", not "{shown}".',
            command="gcloud",
        )
    return track, flags + tokens[index:]


def parse(argv: Sequence[str], environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> CustomJobsCreate:
    """Read a ``gcloud ai custom-jobs create`` command line; raise :class:`GcloudError` as gcloud would."""
    env = os.environ if environ is None else environ
    track, flags = _command_path(argv)
    try:
        return _build(track, _parser().parse_args(flags), env, cwd or Path.cwd())
    except GcloudError as error:
        raise GcloudError(error.message, command_name(track), error.exit_code) from None


def _build(track: str, opts: argparse.Namespace, env: Mapping[str, str], cwd: Path) -> CustomJobsCreate:
    if not opts.display_name:
        raise GcloudError("argument --display-name: Must be specified.", exit_code=USAGE_ERROR)
    if opts.config is None and not opts.worker_pool_spec:
        raise GcloudError("argument (--config --worker-pool-spec): Must be specified.", exit_code=USAGE_ERROR)
    project = opts.project or env.get("CLOUDSDK_CORE_PROJECT") or None
    region = opts.region or env.get("CLOUDSDK_AI_REGION")
    if not region:
        raise GcloudError(
            "Error parsing [region].\nThe [region] resource is not properly specified.\n"
            "Failed to find attribute [region]. The attribute can be set in the following ways: \n"
            "- provide the argument `--region` on the command line\n- set the property `ai/region`\n"
            "- choose one from the prompted list of available regions"
        )
    if region not in TRAINING_REGIONS:
        raise invalid("region", f"Available values are [{', '.join(TRAINING_REGIONS)}], but found [{region}].")
    version = "v1beta1" if track else "v1"
    config = read_config(opts.config, version) if opts.config is not None else {}
    pools = opts.worker_pool_spec or []
    if pools:
        check_worker_pools(pools, version, cwd)
    else:
        check_config_pools(config)
    job_spec = _job_spec(opts, config, _pools_from_flags(pools, opts, project))
    job: dict[str, Any] = {"displayName": opts.display_name, "jobSpec": job_spec}
    if opts.labels:
        job["labels"] = opts.labels
    kms_key = _kms_key(opts, project)
    if kms_key:
        job["encryptionSpec"] = {"kmsKeyName": kms_key}
    try:
        canonical = wire.parse(version, "CustomJob", job)
    except ApiError as error:
        raise GcloudError(error.message) from None
    return CustomJobsCreate(track, project, region, canonical, opts.format)


def _built_image(spec: Mapping[str, Any], display_name: str, project: str | None) -> str:
    """The image gcloud would build from a local package and push: ``output-image-uri`` or its generated name."""
    if spec.get("output-image-uri"):
        return str(spec["output-image-uri"])
    name = re.sub(r"[^a-z0-9._-]+", "-", display_name.lower()).strip("-._") or "custom-job"
    tag = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d_%H%M%S")
    return f"gcr.io/{project}/{name}:{tag}" if project else f"{name}:{tag}"


def _pools_from_flags(pools: Sequence[dict[str, Any]], opts: argparse.Namespace, project: str | None) -> list[Any]:
    image = _built_image(pools[0], opts.display_name, project) if pools and "local-package-path" in pools[0] else None
    return [_worker_pool(spec, opts.python_package_uris, image) if spec else {} for spec in pools]


def _worker_pool(spec: Mapping[str, Any], package_uris: list[str] | None, image: str | None) -> dict[str, Any]:
    machine: dict[str, Any] = {"machineType": spec["machine-type"]}
    if spec.get("accelerator-type"):
        machine["acceleratorType"] = spec["accelerator-type"]
        machine["acceleratorCount"] = spec.get("accelerator-count", 1)
    pool: dict[str, Any] = {"machineSpec": machine, "replicaCount": str(spec.get("replica-count", 1))}
    image = image or spec.get("container-image-uri")
    if image:
        pool["containerSpec"] = {"imageUri": image}
    elif package_uris or spec.get("executor-image-uri") or spec.get("python-module"):
        package = {
            "executorImageUri": spec.get("executor-image-uri"),
            "packageUris": list(package_uris or []),
            "pythonModule": spec.get("python-module"),
        }
        pool["pythonPackageSpec"] = {key: value for key, value in package.items() if value}
    return pool


def _job_spec(opts: argparse.Namespace, config: Mapping[str, Any], flag_pools: list[Any]) -> dict[str, Any]:
    spec = dict(config)
    if opts.network is not None:
        spec["network"] = opts.network
    if opts.service_account is not None:
        spec["serviceAccount"] = opts.service_account
    if opts.enable_web_access:
        spec["enableWebAccess"] = True
    if opts.enable_dashboard_access:
        spec["enableDashboardAccess"] = True
    if flag_pools:
        spec["workerPoolSpecs"] = flag_pools
    for pool in spec.get("workerPoolSpecs", []):
        for task in ("containerSpec", "pythonPackageSpec"):
            if opts.args and task in pool:
                pool[task]["args"] = list(opts.args)
        if opts.command and "containerSpec" in pool:
            pool["containerSpec"]["command"] = list(opts.command)
    if opts.persistent_resource_id:
        spec["persistentResourceId"] = opts.persistent_resource_id
    return spec


def _kms_key(opts: argparse.Namespace, project: str | None) -> str | None:
    """``--kms-key`` as a full name, or its parts as gcloud's KMS resource flags give them."""
    parts = (opts.kms_keyring, opts.kms_location, opts.kms_project)
    if opts.kms_key is None and not any(parts):
        return None
    if opts.kms_key and opts.kms_key.startswith("projects/"):
        return str(opts.kms_key)
    key_project = opts.kms_project or project
    if not (opts.kms_key and opts.kms_keyring and opts.kms_location and key_project):
        raise invalid("--kms-key", "Encryption key not fully specified.")
    return f"projects/{key_project}/locations/{opts.kms_location}/keyRings/{opts.kms_keyring}/cryptoKeys/{opts.kms_key}"
