"""Routing through the whole stack, with the rules from the bundled file and from SSM alike.

The bundled rules: VIP_CUSTOMER at level 1 -> agent-account-manager (offline in the seed; fallback
queue-tier2); level 1 -> queue-tier2 (explicit queues tier2/supervisors and any agent allowed);
level 2 -> queue-supervisors; higher -> queue-supervisors.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from local.connect_emulator import AgentStatusChange, ContactRef
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import (
    ALICE,
    BUNDLED_RULES,
    SUPERVISOR,
    event_escalation_id,
    post,
    put_breaches,
    suite_stack_options,
    transfers_of,
    wait_idle,
)


@pytest.fixture(scope="module", params=["file", "ssm"])
def stack_options(request: pytest.FixtureRequest) -> StackOptions:
    return suite_stack_options(
        rules_in_ssm=request.param == "ssm",
        extra_env={"CONNECT_MAX_ATTEMPTS": "2", "ROUTING_RULES_CACHE_SECONDS": "0"},
    )


def test_the_rules_come_from_ssm_exactly_when_the_options_say_so(
    stack: LocalStack, stack_options: StackOptions
) -> None:
    assert os.environ["ROUTING_RULES"].startswith("ssm:") == stack_options.rules_in_ssm


def task(stack: LocalStack, channel: str = "TASK", agent: str = "agent-alice") -> str:
    return stack.add_contact(channel, queue_id="queue-tier1", agent_id=agent)


def attributes(stack: LocalStack, contact_id: str) -> dict[str, str]:
    return dict(stack.connect.get_contact(ContactRef(INSTANCE_ID, contact_id))["attributes"])


def test_the_ladder_level_1_tier2_then_level_2_supervisors_with_attributes(stack: LocalStack) -> None:
    contact = task(stack)

    first = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})

    assert first.status == 200
    assert (first.body["level"], first.body["target"]) == (1, {"type": "QUEUE", "id": "queue-tier2"})
    [moved] = transfers_of(stack, contact)
    assert (moved["queue_id"], moved["flow_id"]) == ("queue-tier2", "flow-transfer-to-queue")
    level_1 = attributes(stack, first.body["newContactId"])
    assert level_1["escalationLevel"] == "1"
    assert level_1["escalationReason"] == "CUSTOMER_UNHAPPY"
    assert level_1["escalationTrigger"] == "API"
    assert level_1["escalationTransferCount"] == "1"
    assert (
        stack.connect.get_contact(ContactRef(INSTANCE_ID, first.body["newContactId"]))["queue_id"]
        == "queue-tier2"
    )

    second = post(
        stack,
        SUPERVISOR,
        {"contactId": first.body["newContactId"], "reason": "CUSTOMER_REQUEST", "note": "wrote twice"},
    )

    assert second.status == 200
    assert (second.body["level"], second.body["target"]["id"]) == (2, "queue-supervisors")
    level_2 = attributes(stack, second.body["newContactId"])
    assert level_2["escalationLevel"] == "2"
    assert level_2["escalationReason"] == "CUSTOMER_REQUEST"
    assert level_2["escalationNote"] == "wrote twice"
    assert level_2["escalationTransferCount"] == "2"

    third = post(stack, SUPERVISOR, {"contactId": second.body["newContactId"], "reason": "CUSTOMER_UNHAPPY"})
    assert (third.status, third.body["level"], third.body["target"]["id"]) == (200, 3, "queue-supervisors")


def test_a_breach_event_climbs_the_ladder_too(stack: LocalStack, events: Any) -> None:
    contact = stack.add_contact("EMAIL", queue_id="queue-tier1")
    put_breaches(events, [contact])
    wait_idle(stack)
    [first] = transfers_of(stack, contact)
    assert first["queue_id"] == "queue-tier2"
    assert attributes(stack, first["new_contact_id"])["escalationTrigger"] == "EVENT"

    put_breaches(events, [first["new_contact_id"]])
    wait_idle(stack)

    [second] = transfers_of(stack, first["new_contact_id"])
    assert second["queue_id"] == "queue-supervisors"
    assert second["client_token"] == event_escalation_id(first["new_contact_id"])
    assert attributes(stack, second["new_contact_id"])["escalationLevel"] == "2"


def test_an_available_agent_chosen_explicitly_gets_the_contact(stack: LocalStack) -> None:
    contact = task(stack)

    answer = post(
        stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_REQUEST", "target": {"userId": "agent-bob"}}
    )

    assert answer.status == 200
    assert answer.body["target"] == {"type": "AGENT", "id": "agent-bob"}
    assert answer.body["fellBackToQueue"] is False
    [moved] = transfers_of(stack, contact)
    assert (moved["user_id"], moved["queue_id"], moved["flow_id"]) == (
        "agent-bob",
        None,
        "flow-transfer-to-agent",
    )


def test_vip_goes_to_the_account_manager_when_available(stack: LocalStack) -> None:
    contact = task(stack)
    stack.connect.set_agent_status(AgentStatusChange(INSTANCE_ID, "agent-account-manager", "Available"))
    try:
        answer = post(stack, ALICE, {"contactId": contact, "reason": "VIP_CUSTOMER"})
    finally:
        stack.connect.set_agent_status(AgentStatusChange(INSTANCE_ID, "agent-account-manager", "Offline"))

    assert answer.status == 200
    assert answer.body["target"] == {"type": "AGENT", "id": "agent-account-manager"}
    [transfer] = transfers_of(stack, contact)
    assert transfer["user_id"] == "agent-account-manager"


def test_vip_falls_back_to_the_queue_when_the_account_manager_is_offline(stack: LocalStack) -> None:
    contact = task(stack)

    answer = post(stack, ALICE, {"contactId": contact, "reason": "VIP_CUSTOMER"})

    assert answer.status == 200
    assert answer.body["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert answer.body["fellBackToQueue"] is True
    [moved] = transfers_of(stack, contact)
    assert (moved["queue_id"], moved["user_id"]) == ("queue-tier2", None)


def test_vip_breach_event_falls_back_too(stack: LocalStack, events: Any) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1")
    put_breaches(events, [contact], reason="VIP_CUSTOMER")
    wait_idle(stack)
    [moved] = transfers_of(stack, contact)
    assert moved["queue_id"] == "queue-tier2"


def test_an_explicit_agent_who_is_offline_falls_back_to_the_rule_queue(stack: LocalStack) -> None:
    contact = task(stack)
    answer = post(
        stack,
        ALICE,
        {"contactId": contact, "reason": "CUSTOMER_REQUEST", "target": {"userId": "agent-account-manager"}},
    )
    assert answer.status == 200
    assert (answer.body["target"]["id"], answer.body["fellBackToQueue"]) == ("queue-tier2", True)
    [transfer] = transfers_of(stack, contact)
    assert transfer["queue_id"] == "queue-tier2"


def test_an_allowed_explicit_queue_is_used(stack: LocalStack) -> None:
    contact = task(stack)
    answer = post(
        stack,
        ALICE,
        {"contactId": contact, "reason": "BILLING_DISPUTE", "target": {"queueId": "queue-supervisors"}},
    )
    assert answer.status == 200
    assert answer.body["target"] == {"type": "QUEUE", "id": "queue-supervisors"}
    [transfer] = transfers_of(stack, contact)
    assert transfer["queue_id"] == "queue-supervisors"


@pytest.mark.parametrize(
    "target",
    [{"queueId": "queue-tier1"}, {"queueId": "queue-nowhere"}],
    ids=["queue-not-listed", "unknown-queue"],
)
def test_an_explicit_target_the_rules_do_not_allow_is_refused_with_422(
    stack: LocalStack, target: dict[str, str]
) -> None:
    contact = task(stack)

    answer = post(stack, ALICE, {"contactId": contact, "reason": "BILLING_DISPUTE", "target": target})

    assert (answer.status, answer.error) == (422, "TARGET_NOT_ALLOWED")
    assert answer.body["message"]
    assert transfers_of(stack, contact) == []
    assert stack.dlq_records() == []  # the desktop was told; nothing to redrive


def test_explicit_targets_are_not_allowed_at_level_2(stack: LocalStack) -> None:
    contact = task(stack)
    first = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})
    assert first.status == 200

    answer = post(
        stack,
        SUPERVISOR,
        {
            "contactId": first.body["newContactId"],
            "reason": "CUSTOMER_REQUEST",
            "target": {"queueId": "queue-tier2"},
        },
    )

    assert (answer.status, answer.error) == (422, "TARGET_NOT_ALLOWED")
    assert transfers_of(stack, first.body["newContactId"]) == []


@pytest.mark.parametrize("stack_options", ["ssm"], indirect=True)
def test_rules_changed_in_ssm_apply_without_a_deploy(stack: LocalStack) -> None:
    parameter = stack.aws.routing_rules_parameter
    assert parameter is not None
    ssm = stack.aws.ssm()
    changed = json.loads(BUNDLED_RULES.read_text())
    changed["rules"].insert(
        0,
        {
            "name": "everything-to-supervisors",
            "target": {"queue": {"id": "queue-supervisors", "flowId": "flow-transfer-to-queue"}},
        },
    )
    ssm.put_parameter(Name=parameter, Value=json.dumps(changed), Type="String", Overwrite=True)
    try:
        contact = task(stack)
        answer = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})
    finally:
        ssm.put_parameter(Name=parameter, Value=BUNDLED_RULES.read_text(), Type="String", Overwrite=True)

    assert answer.status == 200
    assert answer.body["target"]["id"] == "queue-supervisors"
    [transfer] = transfers_of(stack, contact)
    assert transfer["queue_id"] == "queue-supervisors"
