"""A redriven API escalation is the recorded request with its recorded requester (never a stored HTTP
event's claims), authorised again against the contact as it is now, and the ledger names the operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from escalation.contract import REDRIVE_EVENT_KEY
from tests.unit.builders import AGENT_ID, CONTACT_ID, OTHER_AGENT_ID, api_event, contact, transferred
from tests.unit.harness import ANY_WITH_LEVEL_AND_COUNT_ONE, AwsWorld, ConnectStub

Invoke = Callable[[Any], Any]


def fail_with_access_denied(invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld) -> dict[str, Any]:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "AccessDeniedException", 403)
    assert (
        invoke(api_event(body={"contactId": CONTACT_ID, "reason": "CUSTOMER_REQUEST", "note": "n"}))[
            "statusCode"
        ]
        == 502
    )
    (record,) = aws.dead_letters()
    return record


def test_a_dead_letter_record_of_the_api_keeps_the_validated_request_and_its_requester(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    record = fail_with_access_denied(invoke, connect_stub, aws)
    assert record["request"] == {
        "escalationId": record["escalationId"],
        "contactId": CONTACT_ID,
        "reason": "CUSTOMER_REQUEST",
        "target": None,
        "note": "n",
        "fingerprint": None,
        "requester": {"username": "alice", "groups": ["agents"], "connectUserId": AGENT_ID},
    }


def test_a_redrive_replays_the_recorded_request_as_its_requester_and_the_ledger_names_the_operator(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    record = fail_with_access_denied(invoke, connect_stub, aws)
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(), queue_id="queue-tier2", attributes=ANY_WITH_LEVEL_AND_COUNT_ONE)

    result = invoke({REDRIVE_EVENT_KEY: {"request": record["request"], "operator": "oncall"}})

    assert result["status"] == "TRANSFERRED", result
    assert result["escalationId"] == record["escalationId"]
    (entry,) = aws.ledger()
    assert (entry.requester, entry.redriven_by, entry.status.value) == ("alice", "oncall", "TRANSFERRED")
    assert entry.to_dict()["redrivenBy"] == "oncall"


def test_a_redrive_authorises_the_recorded_requester_against_the_contact_as_it_is_now(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    record = fail_with_access_denied(invoke, connect_stub, aws)
    # Meanwhile the contact went to another agent: alice may no longer escalate it; nothing moves.
    connect_stub.describe(contact(agent_id=OTHER_AGENT_ID))

    result = invoke({REDRIVE_EVENT_KEY: {"request": record["request"], "operator": "oncall"}})

    assert result == {"status": "REFUSED", "escalationId": record["escalationId"], "error": "FORBIDDEN"}


def test_a_malformed_redrive_is_dead_lettered_as_an_invalid_event(invoke: Invoke, aws: AwsWorld) -> None:
    result = invoke({REDRIVE_EVENT_KEY: {"request": {"contactId": CONTACT_ID}, "operator": "oncall"}})

    assert result["status"] == "REFUSED"
    (record,) = aws.dead_letters()
    assert record["errorCode"] == "INVALID_EVENT"
