"""Permission checks as IAM makes them: principals bound to roles, roles holding permissions.

Pure Python: the HTTP layer finds the principal (from the bearer token) and the permission (from
the route table) and asks :meth:`Policy.check`, which raises the real service's 403. Roles are the
predefined ones below, with the permissions they hold on the surface this emulator serves
(``vertex-api.md`` §8), or custom roles a policy file lists. A binding may be limited to a
resource and what lies under it (``projects/p`` covers every resource of that project), as a
project-level grant covers its resources in IAM.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from vertex_emulator.errors import ApiError, Code

ANONYMOUS = "anonymous"
ALL_USERS = "allUsers"
ALL_AUTHENTICATED_USERS = "allAuthenticatedUsers"

OPERATIONS_LIST = "aiplatform.operations.list"
OPERATIONS_CANCEL = "aiplatform.operations.cancel"
OPERATIONS_DELETE = "aiplatform.operations.delete"
ACT_AS = "iam.serviceAccounts.actAs"

_READ = frozenset(
    {
        "aiplatform.persistentResources.get",
        "aiplatform.persistentResources.list",
        "aiplatform.customJobs.get",
        "aiplatform.customJobs.list",
        "aiplatform.trainingPipelines.get",
        "aiplatform.trainingPipelines.list",
        "aiplatform.models.get",
        "aiplatform.models.list",
        "aiplatform.hyperparameterTuningJobs.get",
        "aiplatform.hyperparameterTuningJobs.list",
        OPERATIONS_LIST,
    }
)

PREDEFINED_ROLES: dict[str, frozenset[str]] = {
    "roles/aiplatform.admin": frozenset({"aiplatform.*"}),
    "roles/aiplatform.user": _READ
    | {
        "aiplatform.customJobs.create",
        "aiplatform.customJobs.cancel",
        "aiplatform.customJobs.delete",
        "aiplatform.trainingPipelines.create",
        "aiplatform.trainingPipelines.cancel",
        "aiplatform.trainingPipelines.delete",
        "aiplatform.hyperparameterTuningJobs.create",
        "aiplatform.hyperparameterTuningJobs.cancel",
        "aiplatform.hyperparameterTuningJobs.delete",
    },
    "roles/aiplatform.viewer": _READ,
    "roles/iam.serviceAccountUser": frozenset({ACT_AS, "iam.serviceAccounts.get", "iam.serviceAccounts.list"}),
    "roles/owner": frozenset({"*"}),
    "roles/editor": frozenset({"aiplatform.*", ACT_AS}),
    "roles/viewer": _READ,
}
"""What each predefined role allows here; ``roles/aiplatform.admin`` is ``aiplatform.*`` as documented."""


class PolicyError(ValueError):
    """A policy file that cannot be used; the message says where."""


class Binding(NamedTuple):
    """One role granted to members, on a resource and what lies under it (a named tuple: no
    dataclass methods to generate on ``serve``'s way to its first answer)."""

    role: str
    members: frozenset[str]
    resource: str = ""
    """Empty: everywhere; else the resource name this binding covers, and everything under it."""

    def covers(self, resource: str) -> bool:
        return not self.resource or resource == self.resource or resource.startswith(self.resource + "/")

    def includes(self, principal: str) -> bool:
        if principal in self.members or ALL_USERS in self.members:
            return True
        return principal != ANONYMOUS and ALL_AUTHENTICATED_USERS in self.members


@dataclass
class Policy:
    """Who may do what: bearer tokens to principals, principals to roles, roles to permissions."""

    bindings: list[Binding] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    roles: dict[str, frozenset[str]] = field(default_factory=dict)

    def principal(self, token: str | None) -> str:
        """The principal a token stands for; an unlisted token is taken as the principal itself."""
        if not token:
            return ANONYMOUS
        return self.tokens.get(token, token)

    def permissions(self, role: str) -> frozenset[str]:
        return self.roles.get(role) or PREDEFINED_ROLES.get(role, frozenset())

    def allows(self, principal: str, permission: str, resource: str) -> bool:
        return any(
            binding.includes(principal)
            and binding.covers(resource)
            and any(fnmatch.fnmatchcase(permission, held) for held in self.permissions(binding.role))
            for binding in self.bindings
        )

    def check(self, principal: str, permission: str, resource: str) -> None:
        """Raise the real service's PERMISSION_DENIED unless ``principal`` holds ``permission``."""
        if not self.allows(principal, permission, resource):
            raise denied(permission, resource)

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read a YAML or JSON policy file (JSON is YAML, so one parser reads both)."""
        import yaml

        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise PolicyError(f"{path}: {error.strerror}") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise PolicyError(f"{path}: not YAML or JSON: {error}") from None
        try:
            return cls.from_dict(data)
        except PolicyError as error:
            raise PolicyError(f"{path}: {error}") from None

    @classmethod
    def from_dict(cls, data: Any) -> Policy:
        if not isinstance(data, Mapping):
            raise PolicyError("a policy is a mapping with bindings, and optionally tokens and roles")
        unknown = set(data) - {"bindings", "tokens", "roles"}
        if unknown:
            raise PolicyError(f"unknown keys {sorted(unknown)}; expected bindings, tokens, roles")
        roles = {name: _custom_role(name, spec) for name, spec in _mapping(data, "roles").items()}
        tokens = _mapping(data, "tokens")
        for token, principal in tokens.items():
            if not isinstance(principal, str) or not principal:
                raise PolicyError(f"tokens.{token} must name a principal such as user:alice@example.com")
        bindings = data.get("bindings") or []
        if not isinstance(bindings, list):
            raise PolicyError("bindings must be a list")
        policy = cls(tokens={str(k): v for k, v in tokens.items()}, roles=roles)
        policy.bindings = [policy._binding(index, item) for index, item in enumerate(bindings)]
        return policy

    def _binding(self, index: int, item: Any) -> Binding:
        where = f"bindings[{index}]"
        if not isinstance(item, Mapping) or set(item) - {"role", "members", "resource"}:
            raise PolicyError(f"{where} must be a mapping of role, members and optionally resource")
        role = item.get("role")
        if role not in self.roles and role not in PREDEFINED_ROLES:
            known = ", ".join(sorted([*PREDEFINED_ROLES, *self.roles]))
            raise PolicyError(f"{where}.role {role!r} is neither predefined nor listed under roles ({known})")
        members = item.get("members")
        if not isinstance(members, list) or not all(isinstance(m, str) and m for m in members):
            raise PolicyError(f"{where}.members must be a list of principals")
        resource = item.get("resource", "")
        if not isinstance(resource, str):
            raise PolicyError(f"{where}.resource must be a resource name such as projects/my-project")
        return Binding(str(role), frozenset(members), resource.strip("/"))


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{key} must be a mapping")
    return value


def _custom_role(name: str, spec: Any) -> frozenset[str]:
    """A custom role lists its permissions, as a list or as ``includedPermissions`` like IAM's."""
    permissions = spec.get("includedPermissions") if isinstance(spec, Mapping) else spec
    if not isinstance(permissions, list) or not all(isinstance(p, str) and p for p in permissions):
        raise PolicyError(f"roles.{name} must list permissions (a list, or includedPermissions: [...])")
    return frozenset(permissions)


def full_name(resource: str, permission: str) -> str:
    """``//SERVICE.googleapis.com/NAME``: how IAM names the resource a permission was denied on."""
    service = permission.split(".", 1)[0]
    return f"//{service}.googleapis.com/{resource}"


def service_account(email: str) -> str:
    """The resource name of a service account; its project is in the address when it is a user-made one."""
    domain = email.partition("@")[2]
    project = domain.split(".", 1)[0] if domain.endswith(".iam.gserviceaccount.com") else "-"
    return f"projects/{project}/serviceAccounts/{email}"


def denied(permission: str, resource: str) -> ApiError:
    name = full_name(resource, permission)
    return ApiError(
        Code.PERMISSION_DENIED,
        f"Permission '{permission}' denied on resource '{name}' (or it may not exist).",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "IAM_PERMISSION_DENIED",
                "domain": f"{permission.split('.', 1)[0]}.googleapis.com",
                "metadata": {"permission": permission, "resource": name},
            }
        ],
    )
