"""The escalation ledger on the local stack: counting real transfers only, the read routes over HTTP, and
the escalation events on the local bus."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from escalation.contract import ESCALATION_EVENT_SOURCE
from local.connect_emulator import AccessRule, ContactRef, FaultPlan
from local.stack import INSTANCE_ID, LocalStack
from tests.integration.conftest import MAX_ATTEMPTS
from tests.integration.support import (
    ALICE,
    BOB,
    SUPERVISOR,
    events_client,
    post,
    put_breaches,
    transfers_of,
    wait_idle,
)


def get(stack: LocalStack, token: str, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{stack.api.url}{path}", headers={"Authorization": f"Bearer {token}"}, method="GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def contact_attributes(stack: LocalStack, contact_id: str) -> dict[str, str]:
    attributes: dict[str, str] = stack.connect.get_contact(ContactRef(INSTANCE_ID, contact_id))["attributes"]
    return attributes


def test_a_throttled_click_then_a_breach_is_level_one_and_count_one(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    stack.connect.set_faults(FaultPlan("TransferContact", script=["throttle"] * MAX_ATTEMPTS))
    assert post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}).status == 429

    put_breaches(events_client(), [contact])
    wait_idle(stack)

    [moved] = transfers_of(stack, contact)
    assert moved["queue_id"] == "queue-tier2"  # rung 1, not the supervisors' rung 2
    attributes = contact_attributes(stack, moved["new_contact_id"])
    assert (attributes["escalationLevel"], attributes["escalationTransferCount"]) == ("1", "1")
    assert "escalationLevel" not in contact_attributes(stack, contact)
    assert [(e.trigger.value, e.status.value) for e in stack.ledger(contact)] == [
        ("API", "FAILED"),
        ("EVENT", "TRANSFERRED"),
    ]


def test_eleven_denied_clicks_do_not_block_the_first_real_transfer(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    body = {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}
    stack.connect.deny(AccessRule("TransferContact"))
    try:
        for click in range(11):
            assert post(stack, ALICE, body, idempotency_key=f"click-{click}").status == 502
    finally:
        stack.connect.allow(AccessRule("TransferContact"))

    answer = post(stack, ALICE, body, idempotency_key="after-the-iam-fix")

    assert answer.status == 200, answer
    assert (answer.body["status"], answer.body["level"]) == ("TRANSFERRED", 1)
    assert len(transfers_of(stack, contact)) == 1


def test_two_rungs_are_read_back_over_http_and_published_on_the_bus(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")
    first = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY", "note": "twice already"})
    assert first.status == 200, first
    put_breaches(events_client(), [first.body["newContactId"]])
    wait_idle(stack)
    [_, second] = stack.ledger(contact)
    assert second.status.value == "TRANSFERRED"

    status, chain = get(stack, SUPERVISOR, f"/contacts/{second.new_contact_id}/escalations")

    assert status == 200, chain
    assert chain["chainId"] == contact
    assert [(e["level"], e["trigger"], e["target"]["id"]) for e in chain["escalations"]] == [
        (1, "API", "queue-tier2"),
        (2, "EVENT", "queue-supervisors"),
    ]
    assert get(stack, ALICE, f"/escalations/{first.body['escalationId']}")[1]["note"] == "twice already"
    assert get(stack, BOB, f"/escalations/{first.body['escalationId']}")[0] == 403
    assert get(stack, SUPERVISOR, "/escalations/unknown")[0] == 404

    published = [e for e in stack.escalation_events() if e["detail"]["chainId"] == contact]
    assert [(e["source"], e["detail-type"], e["detail"]["level"]) for e in published] == [
        (ESCALATION_EVENT_SOURCE, "Escalation Transferred", 1),
        (ESCALATION_EVENT_SOURCE, "Escalation Transferred", 2),
    ]
    assert all("note" not in e["detail"] for e in published)
