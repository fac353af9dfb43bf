"""``vertex-emulator check``: the offline preflight for CI, with the emulator's rule and messages.

Exit status: 0 the job would be admitted, 1 it would not, 2 the input cannot be read.

Where the job comes from is pluggable: a job source is a function of the parsed arguments that
returns the canonical CustomJob dict (raising :class:`vertex_emulator.offline.specs.SpecError` on bad input).
``run`` calls ``args.job_source``; ``add_parser`` sets it to :func:`job_from_file`, and the words
after ``--`` choose :func:`job_from_gcloud` when they are a ``gcloud ai custom-jobs create``
command line (``vertex-emulator check --resource R -- gcloud ai custom-jobs create ...``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from vertex_emulator.offline import gcloud, preflight, specs, tuning_preflight

JobSource = Callable[[argparse.Namespace], dict[str, Any]]
ADMITTED, REFUSED, UNREADABLE = 0, 1, 2


def _used(text: str) -> tuple[str, int]:
    pool, sep, count = text.partition("=")
    if not sep or not pool or not count.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not POOL_ID=N (N replicas already in use on pool POOL_ID)")
    return pool, int(count)


def job_from_file(args: argparse.Namespace) -> dict[str, Any]:
    """The job of ``JOB_FILE``: a REST CustomJob body, a ``gcloud ... --config`` spec, a TrainingPipeline
    (checked as its backing job), or a HyperparameterTuningJob (checked with its trials,
    :mod:`vertex_emulator.offline.tuning_preflight`)."""
    if not args.job:
        raise specs.SpecError("give JOB_FILE, the custom job to check")
    data = specs.read_document(args.job)
    if isinstance(data, dict) and tuning_preflight.is_tuning_job(data):
        args.checker = tuning_preflight.check
        return tuning_preflight.tuning_job(data, args.job)
    return specs.job_or_pipeline(args.job)


def job_from_gcloud(args: argparse.Namespace) -> dict[str, Any]:
    """The job a ``gcloud ai custom-jobs create`` command line would create (:mod:`vertex_emulator.offline.gcloud`).

    A command gcloud itself refuses is unreadable input, reported in gcloud's words. The command's
    region is kept in ``args.location``: a persistent resource of another location is not found.
    """
    try:
        command = gcloud.parse(args.gcloud)
    except gcloud.GcloudError as error:
        raise specs.SpecError(str(error)) from None
    args.location = command.region
    return command.job


class _JobWords(argparse.Action):
    """The positional words: one JOB_FILE, or a gcloud command line after ``--``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, *_: Any) -> None:
        words = list(values or [])
        if words[:1] == ["gcloud"]:
            namespace.gcloud, namespace.job_source = words, job_from_gcloud
        elif len(words) > 1:
            parser.error(f"give one JOB_FILE, or a gcloud command line after --, not {' '.join(words)!r}")
        else:
            namespace.job = words[0] if words else None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "check",
        help="check offline whether a custom job would be admitted on a persistent resource",
        description=(
            "Check a CustomJob (REST body, or the gcloud ai custom-jobs create --config YAML), or a "
            "TrainingPipeline of the custom task (REST body, or the SDK's TrainingPipeline.to_dict), against a "
            "persistent resource as 'gcloud ai persistent-resources describe --format=json|yaml' prints it, "
            "with the emulator's admission rule; or, after --, a gcloud ai custom-jobs create command line; "
            "or a HyperparameterTuningJob body, its trial spec with parallelTrialCount trials at once. "
            "Exit 0 admitted, 1 refused, 2 unreadable input or a command gcloud would refuse."
        ),
    )
    parser.add_argument(
        "job",
        nargs="*",
        action=_JobWords,
        metavar="JOB_FILE | -- gcloud ai custom-jobs create ...",
        help="the custom job, JSON or YAML; or, after --, the gcloud command line that would create it",
    )
    parser.add_argument("--resource", required=True, metavar="RESOURCE_FILE", help="the persistent resource")
    parser.add_argument(
        "--used",
        type=_used,
        action="append",
        default=[],
        metavar="POOL_ID=N",
        help="replicas of a pool already held by other jobs (default: the file's usedReplicaCount)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output for people or machines")
    parser.set_defaults(run=run, job_source=job_from_file, checker=preflight.check, gcloud=None, location=None)
    return parser


def _trial(placed: dict[str, Any]) -> str:
    return f"trial {placed['trial']}: " if "trial" in placed else ""


def _text(verdict: preflight.Verdict) -> str:
    if verdict.error is None:
        lines = [f'admitted: the job fits persistent resource "{verdict.resource}"']
        lines += [
            f"  {_trial(p)}worker pool {p['workerPool']} ({p['replicas']} replicas) -> resource pool "
            f'"{p["resourcePool"]}"'
            for p in verdict.placement
        ]
        if verdict.waiting:
            lines.append(f"  {verdict.waiting} parallel trial(s) would wait (REQUESTED) for free replicas")
        return "\n".join(lines)
    lines = [f"refused: {verdict.error.code.name}: {verdict.error.message}"]
    lines += [
        f"  {v.field}: {v.description}" for v in verdict.error.violations if v.description != verdict.error.message
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        job = args.job_source(args)
        resource = specs.persistent_resource(args.resource)
        verdict = args.checker(job, resource, dict(args.used), location=args.location)
    except specs.SpecError as error:
        print(f"vertex-emulator check: {error}", file=sys.stderr)
        return UNREADABLE
    print(json.dumps(verdict.to_json(), indent=2) if args.format == "json" else _text(verdict))
    return ADMITTED if verdict.admitted else REFUSED
