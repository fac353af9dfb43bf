"""``vertex-emulator submit -- gcloud ai custom-jobs create ...``: a gcloud command line, run on an emulator.

A CI script can swap ``gcloud`` for ``vertex-emulator submit --`` in a dry run: the command line is
read as gcloud reads it (:mod:`vertex_emulator.offline.gcloud`), the job is created on a running emulator through
the official GAPIC ``JobServiceClient`` (REST, plain HTTP, anonymous credentials), and the output
is gcloud's: ``Using endpoint [...]`` and the submitted message with its ``describe`` and
``stream-logs`` hints on stderr, the job on stdout only when ``--format`` asks for it, and
``ERROR: (gcloud.ai.custom-jobs.create) STATUS: message`` when the service refuses the job.

Exit codes: 0 created; 1 the emulator refused the job or could not be reached; for a command line
gcloud itself would refuse, gcloud's own (2 from its argument parser, 1 from its checks after it);
2 no emulator named.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from vertex_emulator.address import EMULATOR_HOST_ENV, emulator_url
from vertex_emulator.offline import gcloud, gcloud_output
from vertex_emulator.offline.gcloud import CustomJobsCreate, GcloudError

REFUSED = 2
FAILED = 1


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "submit",
        help="create a custom job on a running emulator from a gcloud command line",
        description=(
            "Create a custom job on a running emulator from a `gcloud ai custom-jobs create` command line, "
            "printing what gcloud prints. Example: vertex-emulator submit -- gcloud ai custom-jobs create "
            "--region=us-central1 --display-name=train --persistent-resource-id=demo "
            "--worker-pool-spec=machine-type=n1-standard-4,replica-count=1,container-image-uri=IMAGE. "
            "Exit 0 created, 1 refused by the emulator (or unreachable); a command gcloud would refuse exits as "
            "gcloud does (2 refused by its argument parser, 1 by its checks)."
        ),
    )
    parser.add_argument(
        "--emulator",
        metavar="HOST:PORT",
        help=f"the emulator to submit to (default: ${EMULATOR_HOST_ENV})",
    )
    parser.add_argument(
        "gcloud",
        nargs=argparse.REMAINDER,
        metavar="-- gcloud ai custom-jobs create ...",
        help="the gcloud command line, as a CI script runs it",
    )
    parser.set_defaults(run=run)


def gcloud_argv(words: Sequence[str]) -> list[str]:
    """The gcloud command line after ``--``, which argparse may or may not have kept."""
    return list(words[1:] if words[:1] == ["--"] else words)


def create(command: CustomJobsCreate, url: str, project: str) -> dict[str, Any]:
    """Create the job with the GAPIC client of the command's API version; the created job as REST JSON."""
    from google.auth.credentials import AnonymousCredentials
    from google.protobuf import json_format

    types = importlib.import_module(f"google.cloud.aiplatform_{command.version}")
    client = types.JobServiceClient(
        transport="rest", client_options={"api_endpoint": url}, credentials=AnonymousCredentials()
    )
    created = client.create_custom_job(
        parent=command.parent(project), custom_job=types.CustomJob.from_json(json.dumps(command.job))
    )
    return dict(json_format.MessageToDict(type(created).pb(created)))


def _refusal(error: Any) -> tuple[str, str, list[Mapping[str, Any]]]:
    """Status name, message and details of a ``GoogleAPICallError``, from the ``google.rpc.Status`` body."""
    try:
        status = error.response.json()["error"]
        return str(status["status"]), str(status["message"]), list(status.get("details", []))
    except (AttributeError, KeyError, TypeError, ValueError):
        code = error.grpc_status_code.name if error.grpc_status_code is not None else str(error.code)
        return code, str(error.message), []


def run(args: argparse.Namespace) -> int:
    try:
        command = gcloud.parse(gcloud_argv(args.gcloud))
        if command.output_format is not None:
            gcloud_output.check_format(command.output_format)
        if command.project is None:
            raise GcloudError(gcloud_output.PROJECT_UNSET, command.command)
    except GcloudError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    try:
        url = emulator_url(args.emulator)
    except ValueError:
        print(
            "vertex-emulator submit: no emulator named: pass --emulator HOST:PORT (vertex-emulator submit "
            f"--emulator 127.0.0.1:8080 -- gcloud ...) or set {EMULATOR_HOST_ENV}=HOST:PORT",
            file=sys.stderr,
        )
        return REFUSED
    print(f"Using endpoint [{url}/]", file=sys.stderr)
    from google.api_core.exceptions import GoogleAPICallError
    from requests.exceptions import ConnectionError as Unreachable

    try:
        job = create(command, url, command.project)
    except GoogleAPICallError as error:
        print(gcloud_output.api_error(*_refusal(error), command=command.command), file=sys.stderr)
        return FAILED
    except Unreachable as error:
        print(GcloudError(f"Cannot reach the emulator at {url}: {error}", command.command), file=sys.stderr)
        return FAILED
    print(gcloud_output.submitted_message(job["name"], command.prefix), file=sys.stderr)
    output = gcloud_output.formatted(job, command.output_format)
    if output is not None:
        print(output)
    return 0
