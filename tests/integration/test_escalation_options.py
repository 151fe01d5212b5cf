"""`GET /escalation-options` through the whole local stack: the gateway's required query parameter, the
handler's names from the Connect emulator (DescribeQueue, DescribeUser under the deployed IAM policy),
and POST held to the bundled reasons catalogue."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from escalation.contract import ESCALATION_OPTIONS_PATH
from escalation.triggers.api_options_models import EscalationOptionsOut
from local.connect_emulator import AgentStatusChange
from local.stack import INSTANCE_ID, LocalStack
from tests.integration.support import ALICE, SUPERVISOR, post, transfers_of


def get_options(stack: LocalStack, token: str, query: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{stack.api.url}{ESCALATION_OPTIONS_PATH}{query}", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_alice_sees_her_tasks_reasons_with_named_destinations_then_the_new_level(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    stack.connect.set_agent_status(AgentStatusChange(INSTANCE_ID, "agent-account-manager", "Available"))
    try:
        status, body = get_options(stack, ALICE, f"?contactId={contact}")
    finally:
        stack.connect.set_agent_status(AgentStatusChange(INSTANCE_ID, "agent-account-manager", "Offline"))
    assert status == 200, body
    EscalationOptionsOut.model_validate(body)
    assert (body["channel"], body["queue"], body["level"], body["canEscalate"]) == (
        "TASK",
        {"id": "queue-tier1", "name": "Tier 1"},
        0,
        True,
    )
    by_code = {reason["code"]: reason for reason in body["reasons"]}
    assert by_code["CUSTOMER_UNHAPPY"]["label"] == "Customer is unhappy"
    assert by_code["CUSTOMER_UNHAPPY"]["destination"] == {
        "type": "QUEUE",
        "id": "queue-tier2",
        "name": "Tier 2",
    }
    # The account manager is available now: a VIP goes to her, named by DescribeUser.
    assert by_code["VIP_CUSTOMER"]["destination"] == {
        "type": "AGENT",
        "id": "agent-account-manager",
        "name": "Ana Silva",
    }
    assert {"type": "QUEUE", "id": "queue-supervisors", "name": "Supervisors"} in body["targets"]

    assert post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}).status == 200
    status, after = get_options(stack, SUPERVISOR, f"?contactId={contact}")
    # The old contact has ended with the transfer; its chain is at level 1.
    assert (status, after["level"], after["blockedBy"]["error"]) == (200, 1, "CONTACT_ENDED")


def test_without_the_contact_id_the_gateway_answers_400(stack: LocalStack) -> None:
    status, body = get_options(stack, ALICE, "")
    assert (status, body["error"]) == (400, "INVALID_PARAMETERS")


def test_post_refuses_a_reason_outside_the_bundled_catalogue(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    answer = post(stack, ALICE, {"contactId": contact, "reason": "NOT_A_CATALOGUE_REASON"})
    assert (answer.status, answer.error) == (422, "UNKNOWN_REASON")
    assert transfers_of(stack, contact) == []
