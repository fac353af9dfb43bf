"""The offline preflight of a hyperparameter tuning job: its checks, and its trials on the resource.

A tuning job is refused offline exactly when the emulator refuses its create: a study spec it
cannot run, or a trial spec that can never fit the persistent resource (the error a CustomJob with
that spec gets). Trials that do not fit the replicas free now are not a refusal: on the emulator
they wait, REQUESTED, for room. So the verdict places ``parallelTrialCount`` trials one after the
other, each on the replicas the previous ones left, and says how many would wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vertex_emulator import wire
from vertex_emulator.domain import admission, tuning
from vertex_emulator.domain.validation import copy_json
from vertex_emulator.errors import ApiError
from vertex_emulator.offline import preflight, specs

KEYS = ("studySpec", "study_spec", "trialJobSpec", "trial_job_spec")


def is_tuning_job(data: Mapping[str, Any]) -> bool:
    """A HyperparameterTuningJob body, rather than a CustomJob or a gcloud job spec."""
    return any(key in data for key in KEYS)


def tuning_job(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The canonical HyperparameterTuningJob of a REST body (camelCase or snake_case keys)."""
    try:
        return wire.parse("v1", "HyperparameterTuningJob", data)
    except ApiError as error:
        raise specs.SpecError(f"{where}: {error.message}") from None


def check(
    job: Mapping[str, Any],
    resource: Mapping[str, Any],
    used: Mapping[str, int] | None = None,
    *,
    location: str | None = None,
) -> preflight.Verdict:
    """The verdict for a canonical tuning job: refused as the emulator's create would, else admitted
    with the placement of each trial that fits at once (``trial`` says which) and the rest waiting."""
    try:
        spec = tuning.normalize(copy_json(dict(job)))
    except ApiError as error:
        return preflight.Verdict(str(resource.get("name") or ""), error=error)
    trial_job = {"displayName": spec["displayName"], "jobSpec": spec["trialJobSpec"]}
    in_use = {**_described_use(resource), **(used or {})}
    placed: list[dict[str, Any]] = []
    parallel = int(spec["parallelTrialCount"])
    name = str(resource.get("name") or "")
    for number in range(1, parallel + 1):
        verdict = preflight.check(trial_job, resource, in_use, location=location)
        name = verdict.resource
        if isinstance(verdict.error, admission.NoFreeReplicas):
            break
        if verdict.error is not None:
            return preflight.Verdict(name, error=tuning.as_trial_spec(verdict.error))
        for pool in verdict.placement:
            placed.append({"trial": number, **pool})
            in_use[pool["resourcePool"]] = in_use.get(pool["resourcePool"], 0) + pool["replicas"]
    running = len({pool["trial"] for pool in placed})
    return preflight.Verdict(name, tuple(placed), waiting=parallel - running)


def _described_use(resource: Mapping[str, Any]) -> dict[str, int]:
    return {
        str(pool["id"]): int(pool.get("usedReplicaCount") or 0)
        for pool in resource.get("resourcePools", [])
        if pool.get("id")
    }
