"""The local stack runs with the handler's Connect policy as the CDK stack grants it
(infra.connect_policy), enforced by the emulator: a grant missing there is an AccessDeniedException
here, handled as the error table says."""

from __future__ import annotations

from typing import Any

import pytest

from infra.connect_policy import instance_arn
from local.connect_emulator import PolicySeed
from local.connect_emulator.testing import connect_client
from local.lambda_context import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from local.stack import INSTANCE_ID, PARTITION, LocalStack, deployed_policy, policy_without_instance_grant
from tests.integration.support import ALICE, alerts_of, dlq_of, post, put_breaches, transfers_of, wait_idle

INSTANCE_ARN = instance_arn(PARTITION, DEFAULT_REGION, DEFAULT_ACCOUNT_ID, INSTANCE_ID)


def task(stack: LocalStack) -> str:
    return stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")


def without_transfer_instance_grant() -> PolicySeed:
    return policy_without_instance_grant("connect:TransferContact")


def test_the_policy_without_the_instance_grant_drops_only_that_resource() -> None:
    deployed = {a: s["Resource"] for s in deployed_policy().statements or [] for a in s["Action"]}
    broken = {
        a: s["Resource"] for s in without_transfer_instance_grant().statements or [] for a in s["Action"]
    }
    assert INSTANCE_ARN in deployed["connect:TransferContact"]
    assert broken["connect:TransferContact"] == [
        r for r in deployed["connect:TransferContact"] if r != INSTANCE_ARN
    ]
    assert {a: r for a, r in broken.items() if a != "connect:TransferContact"} == {
        a: r for a, r in deployed.items() if a != "connect:TransferContact"
    }


def test_the_stack_installed_the_deployed_policy(stack: LocalStack) -> None:
    connect = connect_client(stack.connect.endpoint_url)
    contact = task(stack)

    connect.describe_contact(InstanceId=INSTANCE_ID, ContactId=contact)  # granted
    with pytest.raises(connect.exceptions.AccessDeniedException):  # not a call the handler makes
        connect.stop_contact(InstanceId=INSTANCE_ID, ContactId=contact)
    with pytest.raises(connect.exceptions.AccessDeniedException):  # the grants name one instance
        connect.describe_contact(InstanceId="another-instance", ContactId=contact)


def test_transfer_without_the_instance_grant_is_denied_to_a_boto3_client(stack: LocalStack) -> None:
    stack.connect.set_policy(without_transfer_instance_grant())
    connect = connect_client(stack.connect.endpoint_url)
    contact = task(stack)

    with pytest.raises(connect.exceptions.AccessDeniedException) as raised:
        connect.transfer_contact(
            InstanceId=INSTANCE_ID,
            ContactId=contact,
            ContactFlowId="flow-transfer-to-queue",
            QueueId="queue-tier2",
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"on resource: {INSTANCE_ARN} " in raised.value.response["Error"]["Message"]
    assert transfers_of(stack, contact) == []


def handler_record(stack: LocalStack, contact: str) -> dict[str, Any]:
    [record] = dlq_of(stack, contact)
    assert record["kind"] == "escalation-dead-letter"
    assert (record["decision"], record["errorCode"]) == ("ALERT", "AccessDeniedException")
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["_subject"] == "Escalation ALERT: AccessDeniedException"
    return record


def test_the_handler_alerts_and_dead_letters_the_denied_transfer(stack: LocalStack) -> None:
    stack.connect.set_policy(without_transfer_instance_grant())
    contact = task(stack)

    answer = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})

    assert (answer.status, answer.error) == (502, "ACCESS_DENIED")
    assert handler_record(stack, contact)["trigger"] == "API"
    assert transfers_of(stack, contact) == []


def test_a_denied_breach_event_is_dead_lettered_with_an_alert(stack: LocalStack, events: Any) -> None:
    stack.connect.set_policy(without_transfer_instance_grant())
    contact = task(stack)

    [event_id] = put_breaches(events, [contact])
    wait_idle(stack)

    record = handler_record(stack, contact)
    assert (record["trigger"], record["originalEvent"]["id"]) == ("EVENT", event_id)
    assert transfers_of(stack, contact) == []


def test_reset_restores_the_deployed_policy(stack: LocalStack) -> None:
    stack.connect.set_policy(without_transfer_instance_grant())
    stack.reset()
    contact = task(stack)

    answer = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})

    assert answer.status == 200, answer.body
    assert len(transfers_of(stack, contact)) == 1
