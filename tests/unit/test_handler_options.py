"""`GET /escalation-options` through the real handler: the answer the desktop is built against, the
shipped reasons catalogue, POST's authorisation, and names Connect cannot give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from escalation.contract import ESCALATION_OPTIONS_PATH
from escalation.triggers.api_options_models import EscalationOptionsOut
from tests.unit.builders import (
    CONTACT_ID,
    INSTANCE_ID,
    OTHER_AGENT_CLAIMS,
    SUPERVISOR_CLAIMS,
    api_event,
    api_get_event,
    contact,
    user_data,
)
from tests.unit.harness import AwsWorld, ConnectStub, api_body

Invoke = Callable[[Any], Any]
_DEFAULT: Any = object()


def options_event(contact_id: str | None = CONTACT_ID, claims: Any = _DEFAULT) -> dict[str, Any]:
    event = api_get_event(ESCALATION_OPTIONS_PATH, {}, **({} if claims is _DEFAULT else {"claims": claims}))
    event["pathParameters"] = None
    query = {"contactId": contact_id} if contact_id is not None else None
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    return event


def names(stub: ConnectStub, queues: dict[str, str], users: dict[str, str]) -> None:
    for queue_id, name in queues.items():
        stub.stubber.add_response(
            "describe_queue", {"Queue": {"Name": name}}, {"InstanceId": INSTANCE_ID, "QueueId": queue_id}
        )
    for user_id, name in users.items():
        stub.stubber.add_response(
            "describe_user",
            {"User": {"Username": user_id, "IdentityInfo": {"FirstName": name}}},
            {"InstanceId": INSTANCE_ID, "UserId": user_id},
        )


def test_the_agent_gets_the_contacts_options_from_the_shipped_rules(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    names(connect_stub, {"queue-tier1": "Tier 1", "queue-tier2": "Tier 2"}, {})
    connect_stub.user_data(user_data("agent-account-manager", status="Offline"), "agent-account-manager")
    names(connect_stub, {"queue-supervisors": "Supervisors"}, {})

    response = invoke(options_event())

    assert response["statusCode"] == 200, response
    body = api_body(response)
    EscalationOptionsOut.model_validate(body)
    assert body["contactId"] == CONTACT_ID
    assert body["channel"] == "TASK"
    assert body["queue"] == {"id": "queue-tier1", "name": "Tier 1"}
    assert (body["level"], body["canEscalate"], body["blockedBy"]) == (0, True, None)
    # The shipped catalogue, in its order, with where each reason goes now: the account manager is
    # offline, so a VIP goes to the rule's fallback queue.
    assert [(r["code"], r["label"], r["destination"]) for r in body["reasons"]] == [
        ("CUSTOMER_UNHAPPY", "Customer is unhappy", {"type": "QUEUE", "id": "queue-tier2", "name": "Tier 2"}),
        (
            "CUSTOMER_REQUEST",
            "Customer asked for a manager",
            {"type": "QUEUE", "id": "queue-tier2", "name": "Tier 2"},
        ),
        ("VIP_CUSTOMER", "VIP customer", {"type": "QUEUE", "id": "queue-tier2", "name": "Tier 2"}),
        ("BILLING_DISPUTE", "Billing dispute", {"type": "QUEUE", "id": "queue-tier2", "name": "Tier 2"}),
    ]
    assert body["targets"] == [
        {"type": "QUEUE", "id": "queue-tier2", "name": "Tier 2"},
        {"type": "QUEUE", "id": "queue-supervisors", "name": "Supervisors"},
    ]
    # A read: nothing moved, nothing recorded, dead-lettered or alerted.
    assert aws.ledger() == []
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_a_colleague_gets_the_same_403_as_for_an_unknown_contact(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    connect_stub.describe(contact())
    theirs = invoke(options_event(claims=OTHER_AGENT_CLAIMS))
    connect_stub.error("describe_contact", "ResourceNotFoundException", 404)
    unknown = invoke(options_event("no-such-contact", claims=OTHER_AGENT_CLAIMS))
    assert theirs["statusCode"] == unknown["statusCode"] == 403
    assert api_body(theirs) == api_body(unknown)
    assert api_body(theirs)["error"] == "FORBIDDEN"


def test_a_supervisor_learns_that_a_contact_does_not_exist(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.error("describe_contact", "ResourceNotFoundException", 404)
    response = invoke(options_event("no-such-contact", claims=SUPERVISOR_CLAIMS))
    assert (response["statusCode"], api_body(response)["error"]) == (404, "CONTACT_NOT_FOUND")


def test_a_waiting_call_is_moved_up_in_its_queue(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.describe(contact(channel="VOICE"))
    # The shipped rules move a waiting call up where it waits: only its own queue is named.
    names(connect_stub, {"queue-tier1": "Tier 1"}, {})
    options = api_body(invoke(options_event()))
    assert options["canEscalate"] is True
    assert {reason["destination"]["type"] for reason in options["reasons"]} == {"IN_QUEUE"}


def test_an_answered_call_is_blocked_with_posts_code(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.describe(contact(channel="VOICE", connected=True))
    names(connect_stub, {"queue-tier1": "Tier 1"}, {})
    options = api_body(invoke(options_event()))
    connect_stub.describe(contact(channel="VOICE", connected=True))
    refused = api_body(invoke(api_event({"contactId": CONTACT_ID, "reason": "CUSTOMER_UNHAPPY"})))
    assert refused["error"] == "CONTACT_NOT_QUEUED"
    assert options["canEscalate"] is False
    assert options["blockedBy"] == {"error": refused["error"], "message": refused["message"]}


def test_names_connect_cannot_give_are_null(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.describe(contact())
    connect_stub.error("describe_queue", "AccessDeniedException", 403)  # the contact's queue
    connect_stub.error("describe_queue", "ResourceNotFoundException", 404)  # queue-tier2
    connect_stub.user_data(user_data("agent-account-manager", status="Offline"), "agent-account-manager")
    connect_stub.error("describe_queue", "ThrottlingException", 429)  # queue-supervisors
    response = invoke(options_event())
    assert response["statusCode"] == 200, response
    body = api_body(response)
    assert body["queue"] == {"id": "queue-tier1", "name": None}
    assert {target["name"] for target in body["targets"]} == {None}


def test_a_missing_or_oversized_contact_id_is_400_invalid_parameters(invoke: Invoke, aws: AwsWorld) -> None:
    for event in (options_event(None), options_event(""), options_event("c" * 257)):
        response = invoke(event)
        assert (response["statusCode"], api_body(response)["error"]) == (400, "INVALID_PARAMETERS"), event
    assert aws.dead_letters() == []


def test_no_caller_identity_is_401(invoke: Invoke) -> None:
    response = invoke(options_event(claims={"token_use": "access"}))
    assert (response["statusCode"], api_body(response)["error"]) == (401, "UNAUTHENTICATED")


def test_post_refuses_a_reason_outside_the_shipped_catalogue_with_422(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    response = invoke(api_event({"contactId": CONTACT_ID, "reason": "NOT_IN_THE_CATALOGUE"}))
    assert (response["statusCode"], api_body(response)["error"]) == (422, "UNKNOWN_REASON")
    assert aws.ledger() == []
    assert aws.dead_letters() == []
    assert aws.alerts() == []
