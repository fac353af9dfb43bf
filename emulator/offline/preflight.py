"""The offline preflight: would this job be admitted on this persistent resource?

It runs the emulator's own rule (:func:`vertex_emulator.domain.admission.admit`) on the job and on the
resource as ``gcloud ai persistent-resources describe`` prints it, after the same normalisation
the emulator applies at create, so the verdict and its message are the emulator's, word for word.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vertex_emulator.domain import admission, jobs, pipelines, resources
from vertex_emulator.errors import ApiError, Code
from vertex_emulator.offline.specs import SpecError

OTHER_JOBS = "other jobs"
"""Who holds the replicas already in use, in messages: the file says how many, not by whom."""


@dataclass(frozen=True)
class Verdict:
    """Admitted with a placement, or refused with the error the emulator would answer.

    ``waiting`` is set for a tuning job only: how many of its parallel trials would wait for room.
    """

    resource: str
    placement: tuple[dict[str, Any], ...] = ()
    error: ApiError | None = None
    waiting: int | None = None

    @property
    def admitted(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"admitted": self.admitted, "resource": self.resource}
        if self.error is None:
            body["placement"] = list(self.placement)
            if self.waiting is not None:
                body["waitingTrials"] = self.waiting
        else:
            body["error"] = self.error.to_status(http=True)
        return body


def _resource_view(resource: Mapping[str, Any], fallback_id: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The resource as admission reads it, and the replicas its pools report in use.

    A described resource carries ``state`` (RUNNING when absent: a file written by hand describes
    a resource meant to be running) and ``usedReplicaCount``, which normalisation would drop.
    """
    name = str(resource.get("name") or "")
    resource_id = name.rsplit("/", 1)[-1] or fallback_id
    in_use = {
        str(pool["id"]): int(pool.get("usedReplicaCount") or 0)
        for pool in resource.get("resourcePools", [])
        if pool.get("id")
    }
    try:
        spec = resources.normalize(copy.deepcopy(dict(resource)), resource_id)
    except ApiError as error:
        raise SpecError(f"the persistent resource is not valid: {error.message}") from None
    full_name = name if "/" in name else f"projects/-/locations/-/persistentResources/{resource_id}"
    return {**spec, "name": full_name, "state": resource.get("state") or resources.RUNNING}, in_use


def _elsewhere(resource_name: str, location: str | None) -> ApiError | None:
    """A job finds only persistent resources of its own location (a described name says where it is)."""
    parts = resource_name.split("/")
    theirs = parts[3] if len(parts) == 6 else "-"
    if location is None or theirs in ("-", location):
        return None
    return ApiError(
        Code.NOT_FOUND,
        f'The job is created in location "{location}", but persistent resource "{resource_name}" is in '
        f'"{theirs}": a job runs only on a persistent resource of its own project and location.',
    )


def check(
    job: Mapping[str, Any],
    resource: Mapping[str, Any],
    used: Mapping[str, int] | None = None,
    *,
    location: str | None = None,
) -> Verdict:
    """The verdict for canonical ``job`` and ``resource`` dicts; ``used`` overrides replicas in use.

    ``location`` is where the job is created, when known (a gcloud command's ``--region``).

    Raises :class:`SpecError` when the resource itself is unusable (or ``used`` names a pool it
    lacks); everything wrong with the job is a refused verdict, as the API would answer it. A
    TrainingPipeline is checked as the backing job it would run, after the pipeline's own rules.
    """
    if pipelines.is_training_pipeline(job):
        try:
            job = pipelines.normalize(copy.deepcopy(dict(job)), "v1").job
        except ApiError as error:
            return Verdict(_resource_view(resource, "persistent-resource")[0]["name"], error=error)
    wanted = str(job.get("jobSpec", {}).get("persistentResourceId") or "")
    view, in_use = _resource_view(resource, wanted or "persistent-resource")
    pool_ids = {pool["id"] for pool in view["resourcePools"]}
    unknown = set(used or {}) - pool_ids
    if unknown:
        raise SpecError(f"--used names {', '.join(sorted(unknown))}, not a pool of {view['name']}")
    held = {pool: {OTHER_JOBS: count} for pool, count in {**in_use, **(used or {})}.items() if count}
    described = view["name"].rsplit("/", 1)[-1]
    elsewhere = _elsewhere(view["name"], location)
    if elsewhere is not None:
        return Verdict(view["name"], error=elsewhere)
    if wanted and wanted != described:
        error = ApiError(
            Code.NOT_FOUND,
            f'The job runs on persistent resource "{wanted}", but the resource checked against is "{described}".',
        )
        return Verdict(view["name"], error=error)
    try:
        spec = jobs.normalize(copy.deepcopy(dict(job)))
        placement = admission.admit(spec, view, held)
    except ApiError as error:
        return Verdict(view["name"], error=error)
    pools = spec["jobSpec"]["workerPoolSpecs"]
    placed = tuple(
        {"workerPool": index, "resourcePool": pool_id, "replicas": int(pools[index]["replicaCount"])}
        for index, pool_id in enumerate(placement.pools)
        if pool_id is not None
    )
    return Verdict(view["name"], placed)
