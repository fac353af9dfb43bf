"""IAM checks of the real API's routes: the caller's principal against the route's permission.

The principal comes from the bearer token (or the ``access_token`` query parameter, which
Google's front ends accept too), through the policy's token table; no token is ``anonymous``. A
denial is always 403: a 401 would make google-auth try to refresh anonymous credentials and crash
instead of reporting the denial.
"""

from __future__ import annotations

from flask import request

from vertex_emulator import iam
from vertex_emulator.http.options import HttpOptions, options
from vertex_emulator.http.request import bearer_token, resource_path
from vertex_emulator.http.routes import Route, Surface


def principal() -> str:
    policy = options().policy
    token = bearer_token() or request.args.get("access_token")
    return policy.principal(token) if policy else iam.ANONYMOUS


def checked_resource() -> str:
    """Where the permission is checked: the named object, or for a collection (create, list) its parent."""
    path = resource_path()
    segments = path.split("/")
    return "/".join(segments[:-1]) if len(segments) % 2 else path


def authorize(route: Route, settings: HttpOptions) -> None:
    policy = settings.policy
    if policy is None or route.surface is not Surface.API or route.permission is None:
        return
    policy.check(principal(), route.permission, checked_resource())


def authorize_act_as(account: str | None) -> None:
    """A job that runs as a service account needs its caller to hold ``actAs`` on that account."""
    if not account:
        return
    policy = options().policy
    if policy is not None:
        policy.check(principal(), iam.ACT_AS, iam.service_account(account))
