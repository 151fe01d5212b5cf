"""The ledger through the real handler: the read routes and their authorisation, and the events published."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from escalation.contract import CONTACT_ESCALATIONS_PATH, ESCALATION_EVENT_SOURCE, ESCALATION_PATH
from tests.unit.builders import (
    AGENT_ID,
    CONTACT_ID,
    OTHER_AGENT_CLAIMS,
    SUPERVISOR_CLAIMS,
    api_event,
    api_get_event,
    contact,
    sla_event,
    transferred,
)
from tests.unit.harness import LEDGER_TABLE, AwsWorld, ConnectStub, api_body, expected_escalation_id

Invoke = Callable[[Any], Any]
REASON = "CUSTOMER_REQUEST"
ESCALATION_ID = expected_escalation_id(CONTACT_ID, REASON)
NEW_CONTACT = "contact-2"


def escalate_once(invoke: Invoke, stub: ConnectStub, note: str | None = "call back after 5") -> None:
    stub.describe(contact())
    stub.transfer(transferred(NEW_CONTACT), queue_id="queue-tier2", client_token=ESCALATION_ID)
    body = {"contactId": CONTACT_ID, "reason": REASON, **({"note": note} if note else {})}
    assert invoke(api_event(body))["statusCode"] == 200


def get_escalation(invoke: Invoke, escalation: str, claims: Any = None) -> dict[str, Any]:
    kwargs = {} if claims is None else {"claims": claims}
    response: dict[str, Any] = invoke(api_get_event(ESCALATION_PATH, {"escalationId": escalation}, **kwargs))
    return response


def get_chain(invoke: Invoke, contact_id: str, claims: Any = None) -> dict[str, Any]:
    kwargs = {} if claims is None else {"claims": claims}
    response: dict[str, Any] = invoke(
        api_get_event(CONTACT_ESCALATIONS_PATH, {"contactId": contact_id}, **kwargs)
    )
    return response


# --- GET /escalations/{escalationId} ----------------------------------------------------------------


def test_the_requester_reads_the_escalation_with_its_note(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    escalate_once(invoke, connect_stub)

    response = get_escalation(invoke, ESCALATION_ID)

    assert response["statusCode"] == 200, response
    body = api_body(response)
    assert (body["escalationId"], body["chainId"], body["status"], body["level"]) == (
        ESCALATION_ID,
        CONTACT_ID,
        "TRANSFERRED",
        1,
    )
    assert (body["requester"], body["trigger"], body["note"]) == ("alice", "API", "call back after 5")
    assert body["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert (body["contactId"], body["newContactId"]) == (CONTACT_ID, NEW_CONTACT)
    assert [attempt["outcome"] for attempt in body["attempts"]] == ["TRANSFERRED"]
    assert aws.dead_letters() == []


def test_an_unknown_escalation_is_404_to_a_supervisor(invoke: Invoke, aws: AwsWorld) -> None:
    response = get_escalation(invoke, "no-such-escalation", SUPERVISOR_CLAIMS)
    assert response["statusCode"] == 404
    assert api_body(response)["error"] == "ESCALATION_NOT_FOUND"


def test_an_agent_gets_the_same_bytes_for_an_unknown_escalation_as_for_a_forbidden_one(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    escalate_once(invoke, connect_stub)  # alice's: it exists, and bob may not read it

    forbidden = get_escalation(invoke, ESCALATION_ID, OTHER_AGENT_CLAIMS)
    unknown = get_escalation(invoke, "no-such-escalation", OTHER_AGENT_CLAIMS)
    too_long = get_escalation(invoke, "x" * 129, OTHER_AGENT_CLAIMS)

    assert forbidden["statusCode"] == 403
    assert api_body(forbidden)["error"] == "FORBIDDEN"
    for other in (unknown, too_long):
        assert (other["statusCode"], other["body"]) == (forbidden["statusCode"], forbidden["body"])
        assert other["multiValueHeaders"] == forbidden["multiValueHeaders"]


@pytest.mark.parametrize("escalation", ["x" * 129, "x" * 5000])
def test_an_id_longer_than_any_escalation_id_is_404_to_a_supervisor_without_a_lookup(
    invoke: Invoke, aws: AwsWorld, escalation: str
) -> None:
    aws.dynamodb.delete_table(TableName=LEDGER_TABLE)  # a lookup would answer 503
    response = get_escalation(invoke, escalation, SUPERVISOR_CLAIMS)
    assert response["statusCode"] == 404
    assert api_body(response)["error"] == "ESCALATION_NOT_FOUND"


def test_another_agent_may_not_read_it_but_a_supervisor_may(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    escalate_once(invoke, connect_stub)

    forbidden = get_escalation(invoke, ESCALATION_ID, OTHER_AGENT_CLAIMS)
    allowed = get_escalation(invoke, ESCALATION_ID, SUPERVISOR_CLAIMS)

    assert forbidden["statusCode"] == 403
    assert api_body(forbidden)["error"] == "FORBIDDEN"
    assert allowed["statusCode"] == 200
    # A refused read is answered, not recorded: no dead letter, no alert.
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_an_agent_may_not_read_an_escalation_an_event_asked_for(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(NEW_CONTACT), queue_id="queue-tier2")
    result = invoke(sla_event())
    assert get_escalation(invoke, result["escalationId"])["statusCode"] == 403
    assert get_escalation(invoke, result["escalationId"], SUPERVISOR_CLAIMS)["statusCode"] == 200


def test_a_read_without_a_caller_is_401(invoke: Invoke, aws: AwsWorld) -> None:
    response = invoke(api_get_event(ESCALATION_PATH, {"escalationId": ESCALATION_ID}, claims=None))
    assert response["statusCode"] == 401


# --- GET /contacts/{contactId}/escalations ----------------------------------------------------------


def test_the_chain_is_read_through_any_of_its_contacts_oldest_first(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "ThrottlingException", 429)
    assert invoke(api_event({"contactId": CONTACT_ID, "reason": "BILLING_DISPUTE"}))["statusCode"] == 429
    escalate_once(invoke, connect_stub)
    # The contact the transfer created names the chain's first contact; its agent reads the chain.
    connect_stub.describe(
        contact(NEW_CONTACT, initial_contact_id=CONTACT_ID, agent_id=AGENT_ID), contact_id=NEW_CONTACT
    )

    response = get_chain(invoke, NEW_CONTACT)

    assert response["statusCode"] == 200, response
    body = api_body(response)
    assert body["chainId"] == CONTACT_ID
    assert [(e["reason"], e["status"]) for e in body["escalations"]] == [
        ("BILLING_DISPUTE", "FAILED"),
        (REASON, "TRANSFERRED"),
    ]
    assert body["escalations"][0]["attempts"][0]["errorCode"] == "ThrottlingException"


@pytest.mark.parametrize(
    ("claims", "status"),
    [(OTHER_AGENT_CLAIMS, 403), (SUPERVISOR_CLAIMS, 200)],
    ids=["other-agent", "supervisor"],
)
def test_only_the_contacts_agent_or_a_supervisor_reads_the_chain(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, claims: dict[str, Any], status: int
) -> None:
    connect_stub.describe(contact())
    response = get_chain(invoke, CONTACT_ID, claims)
    assert response["statusCode"] == status
    if status == 200:
        assert api_body(response) == {"chainId": CONTACT_ID, "escalations": []}


def test_the_chain_of_an_unknown_contact_is_404_to_a_supervisor(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.error("describe_contact", "ResourceNotFoundException", 404)
    response = get_chain(invoke, "no-such-contact", SUPERVISOR_CLAIMS)
    assert response["statusCode"] == 404
    assert api_body(response)["error"] == "CONTACT_NOT_FOUND"
    assert aws.dead_letters() == []


def test_an_agent_gets_the_same_bytes_for_an_unknown_contact_as_for_a_forbidden_one(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())  # alice's contact: bob may not read its chain
    forbidden = get_chain(invoke, CONTACT_ID, OTHER_AGENT_CLAIMS)
    connect_stub.error("describe_contact", "ResourceNotFoundException", 404)
    unknown = get_chain(invoke, "no-such-contact", OTHER_AGENT_CLAIMS)
    too_long = get_chain(invoke, "x" * 257, OTHER_AGENT_CLAIMS)

    assert forbidden["statusCode"] == 403
    assert api_body(forbidden)["error"] == "FORBIDDEN"
    for other in (unknown, too_long):
        assert (other["statusCode"], other["body"]) == (forbidden["statusCode"], forbidden["body"])
        assert other["multiValueHeaders"] == forbidden["multiValueHeaders"]


def test_the_agent_of_an_ended_contact_no_longer_reads_its_chain(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    escalate_once(invoke, connect_stub)
    # Transferred away: the old contact has ended, though Connect still names alice as its agent.
    connect_stub.describe(contact(ended=True))
    response = get_chain(invoke, CONTACT_ID)
    assert response["statusCode"] == 403
    assert api_body(response)["error"] == "FORBIDDEN"
    # A supervisor still reads it through the old contact.
    connect_stub.describe(contact(ended=True))
    assert get_chain(invoke, CONTACT_ID, SUPERVISOR_CLAIMS)["statusCode"] == 200


def test_a_throttled_describe_is_429_with_retry_after(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.error("describe_contact", "ThrottlingException", 429)
    response = get_chain(invoke, CONTACT_ID)
    assert response["statusCode"] == 429
    assert response["multiValueHeaders"]["Retry-After"] == ["2"]


# --- escalation events on the bus -------------------------------------------------------------------


def test_a_transfer_puts_one_transferred_event_on_the_configured_bus_without_the_note(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    escalate_once(invoke, connect_stub, note="private words")

    [event] = aws.escalation_events()

    assert (event["source"], event["detail-type"]) == (ESCALATION_EVENT_SOURCE, "Escalation Transferred")
    assert event["detail"]["escalationId"] == ESCALATION_ID
    assert event["detail"]["status"] == "TRANSFERRED"
    assert "note" not in event["detail"]
    assert "private words" not in str(event)


def test_a_dead_lettered_breach_puts_a_failed_event(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "AccessDeniedException", 403)
    invoke(sla_event())
    assert [e["detail-type"] for e in aws.escalation_events()] == ["Escalation Failed"]
    assert aws.escalation_events()[0]["detail"]["attempts"][0]["errorCode"] == "AccessDeniedException"


def test_a_breach_for_an_ended_contact_puts_a_skipped_event(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact(ended=True))
    assert invoke(sla_event())["status"] == "SKIPPED"
    assert [e["detail-type"] for e in aws.escalation_events()] == ["Escalation Skipped"]


def test_a_bus_that_refuses_the_event_fails_nothing(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.events.delete_event_bus(Name="escalation-bus")
    capsys.readouterr()
    escalate_once(invoke, connect_stub)  # 200, and a single transfer (the stub allows no second one)
    assert '"EscalationEventPublishFailed"' in capsys.readouterr().out
