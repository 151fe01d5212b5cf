"""The API trigger through the Lambda entry point: moto for SQS/SNS/DynamoDB, a Stubber for Connect."""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from escalation import composition
from escalation.domain.errors import EscalationError
from escalation.domain.model import ContactAttribute
from escalation.usecases.escalate import EscalationService
from tests.error_table import ERROR_ROWS, ERROR_TABLE, ErrorRow, row_ids
from tests.unit.builders import (
    AGENT_CLAIMS,
    AGENT_ID,
    CLIENT_ID,
    CONTACT_ID,
    INSTANCE_ARN,
    OTHER_AGENT_CLAIMS,
    SUPERVISOR_CLAIMS,
    api_event,
    contact,
    sla_event,
    transferred,
    user_data,
)
from tests.unit.harness import (
    ANY_WITH_LEVEL_AND_COUNT_ONE,
    LEDGER_TABLE,
    AwsWorld,
    ConnectStub,
    api_body,
    expected_escalation_id,
)

Invoke = Callable[[Any], Any]
REASON = "CUSTOMER_REQUEST"
ESCALATION_ID = expected_escalation_id(CONTACT_ID, REASON)


def expect_transfer_to_tier2(stub: ConnectStub, **contact_overrides: Any) -> None:
    stub.describe(contact(**contact_overrides))
    stub.transfer(
        transferred(), queue_id="queue-tier2", flow_id="flow-transfer-to-queue", client_token=ESCALATION_ID
    )


def assert_error(response: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    assert response["statusCode"] == status, response
    body = api_body(response)
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert body["message"]
    return body


# --- success and repeats --------------------------------------------------------------------------


def test_success_answers_200_with_the_result(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.transfer(
        transferred("contact-2"),
        queue_id="queue-tier2",
        flow_id="flow-transfer-to-queue",
        client_token=ESCALATION_ID,
        attributes={
            ContactAttribute.LEVEL: "1",
            ContactAttribute.REASON: REASON,
            ContactAttribute.ESCALATION_ID: ESCALATION_ID,
            ContactAttribute.TRANSFER_COUNT: "1",
            ContactAttribute.TRIGGER: "API",
            ContactAttribute.NOTE: "please call back",
        },
    )

    response = invoke(api_event({"contactId": CONTACT_ID, "reason": REASON, "note": "please call back"}))

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert api_body(response) == {
        "escalationId": ESCALATION_ID,
        "status": "TRANSFERRED",
        "contactId": CONTACT_ID,
        "newContactId": "contact-2",
        "newContactArn": transferred("contact-2")["ContactArn"],
        "target": {"type": "QUEUE", "id": "queue-tier2"},
        "level": 1,
        "fellBackToQueue": False,
    }
    assert aws.dead_letters() == []
    assert aws.alerts() == []
    (record,) = aws.idempotency_records()
    assert record["status"]["S"] == "COMPLETED"
    # The stored form, which a repeat reads back (records written before a deployment included): the
    # answer with the flow id and the Idempotency-Key fingerprint (none here) beside it.
    assert json.loads(record["data"]["S"]) == {
        **api_body(response),
        "targetFlowId": "flow-transfer-to-queue",
        "_fingerprint": None,
    }


def test_a_repeat_answers_the_same_body_without_a_second_transfer(
    invoke: Invoke, connect_stub: ConnectStub, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_transfer_to_tier2(connect_stub)  # one answer each: a second transfer would find none (500)

    first = invoke(api_event())
    first_metrics = capsys.readouterr().out
    connect_stub.assert_all_used()
    connect_stub.describe(contact(ended=True))  # the repeat checks the caller against the contact again
    again = invoke(api_event())
    again_metrics = capsys.readouterr().out

    assert again["statusCode"] == 200
    assert api_body(again) == api_body(first)
    assert '"EscalationTransferred"' in first_metrics
    assert '"EscalationTransferred"' not in again_metrics
    assert '"DecisionDuplicate"' in again_metrics


def test_a_double_click_with_another_reason_is_a_new_escalation(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    expect_transfer_to_tier2(connect_stub)
    assert invoke(api_event())["statusCode"] == 200
    connect_stub.describe(contact(attributes={ContactAttribute.LEVEL: "1"}))
    connect_stub.transfer(transferred("contact-3"), queue_id="queue-supervisors")
    second = invoke(api_event({"contactId": CONTACT_ID, "reason": "BILLING_DISPUTE"}))
    assert api_body(second)["level"] == 2


def test_the_idempotency_key_header_decides_the_escalation_id(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    key_id = expected_escalation_id(CONTACT_ID, REASON, "click-42")
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(), queue_id="queue-tier2", client_token=key_id)

    first = invoke(api_event(headers={"Idempotency-Key": "click-42"}))
    connect_stub.describe(contact(ended=True))  # the repeat checks the caller again
    # Same key, same request: a repeat (no second transfer is queued).
    again = invoke(api_event(headers={"idempotency-key": "click-42"}))

    assert api_body(first)["escalationId"] == key_id
    assert api_body(again) == api_body(first)


@pytest.mark.parametrize(
    "other",
    [
        {"contactId": CONTACT_ID, "reason": "BILLING_DISPUTE"},
        {"contactId": CONTACT_ID, "reason": REASON, "note": "a note"},
        {"contactId": CONTACT_ID, "reason": REASON, "target": {"queueId": "queue-supervisors"}},
    ],
    ids=["reason", "note", "target"],
)
def test_a_key_reused_for_another_request_is_422_and_nothing_runs(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, other: dict[str, Any]
) -> None:
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(), queue_id="queue-tier2")
    first = invoke(api_event(headers={"Idempotency-Key": "click-42"}))
    assert first["statusCode"] == 200
    connect_stub.describe(contact(ended=True))  # the caller is checked; nothing else is called

    reused = invoke(api_event(other, headers={"Idempotency-Key": "click-42"}))

    assert_error(reused, 422, "IDEMPOTENCY_KEY_REUSED")
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_an_idempotency_key_longer_than_255_is_400(invoke: Invoke, aws: AwsWorld) -> None:
    response = invoke(api_event(headers={"Idempotency-Key": "k" * 256}))
    assert_error(response, 400, "INVALID_IDEMPOTENCY_KEY")
    assert aws.dead_letters() == []


@pytest.mark.parametrize("key", ["click\n42", "click\x1b[2J", "click\x7f", "click\x85", "\x00"])
def test_an_idempotency_key_with_a_control_character_is_400(invoke: Invoke, aws: AwsWorld, key: str) -> None:
    response = invoke(api_event(headers={"Idempotency-Key": key}))
    body = assert_error(response, 400, "INVALID_IDEMPOTENCY_KEY")
    # The limit is stated in the unit it is counted in.
    assert "255 characters (Unicode code points, not bytes)" in body["message"]
    assert "control characters" in body["message"]
    assert aws.dead_letters() == []


def test_an_idempotency_key_is_counted_in_characters_not_bytes(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    key = "é" * 255  # 510 bytes in UTF-8, 255 characters: accepted
    connect_stub.describe(contact())
    connect_stub.transfer(
        transferred(), queue_id="queue-tier2", client_token=expected_escalation_id(CONTACT_ID, REASON, key)
    )
    assert invoke(api_event(headers={"Idempotency-Key": key}))["statusCode"] == 200


@pytest.mark.parametrize("reason", ["LATE\nALL CLEAR", "LATE\x1b[31m", "\x00", "LATE\x9b"])
def test_a_reason_with_a_control_character_is_400_invalid_body(
    invoke: Invoke, aws: AwsWorld, reason: str
) -> None:
    response = invoke(api_event({"contactId": CONTACT_ID, "reason": reason}))
    assert_error(response, 400, "INVALID_BODY")
    assert aws.dead_letters() == []


def test_keys_sharing_a_long_prefix_are_different_escalations(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    first_key, second_key = "k" * 254 + "1", "k" * 254 + "2"
    # The second escalation is the chain's next rung: the first one's transfer is confirmed.
    for key, queue in ((first_key, "queue-tier2"), (second_key, "queue-supervisors")):
        connect_stub.describe(contact())
        connect_stub.transfer(
            transferred(),
            queue_id=queue,
            client_token=expected_escalation_id(CONTACT_ID, REASON, key),
        )
    first = api_body(invoke(api_event(headers={"Idempotency-Key": first_key})))
    second = api_body(invoke(api_event(headers={"Idempotency-Key": second_key})))
    assert first["escalationId"] != second["escalationId"]


def test_a_supervisor_may_escalate_another_agents_contact(invoke: Invoke, connect_stub: ConnectStub) -> None:
    expect_transfer_to_tier2(connect_stub, agent_id="agent-77")
    assert invoke(api_event(claims=SUPERVISOR_CLAIMS))["statusCode"] == 200


@pytest.mark.parametrize("groups", [["agents", "supervisors"], "[agents supervisors]", "supervisors"])
def test_cognito_groups_in_every_shape_api_gateway_hands_over(
    invoke: Invoke, connect_stub: ConnectStub, groups: Any
) -> None:
    expect_transfer_to_tier2(connect_stub, agent_id="agent-77")
    claims = {**SUPERVISOR_CLAIMS, "cognito:groups": groups}
    assert invoke(api_event(claims=claims))["statusCode"] == 200


def test_an_allowed_explicit_queue(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(), queue_id="queue-supervisors", flow_id="flow-transfer-to-queue")
    body = {"contactId": CONTACT_ID, "reason": REASON, "target": {"queueId": "queue-supervisors"}}
    response = invoke(api_event(body))
    assert api_body(response)["target"] == {"type": "QUEUE", "id": "queue-supervisors"}


def test_an_explicit_queue_the_rules_do_not_allow_is_422(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    body = {"contactId": CONTACT_ID, "reason": REASON, "target": {"queueId": "queue-anything"}}
    assert_error(invoke(api_event(body)), 422, "TARGET_NOT_ALLOWED")
    assert aws.dead_letters() == []


def test_an_available_agent_gets_the_contact(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.describe(contact())
    connect_stub.user_data(user_data("agent-account-manager"), "agent-account-manager")
    connect_stub.transfer(transferred(), user_id="agent-account-manager", flow_id="flow-transfer-to-agent")
    response = invoke(api_event({"contactId": CONTACT_ID, "reason": "VIP_CUSTOMER"}))
    assert api_body(response)["target"] == {"type": "AGENT", "id": "agent-account-manager"}
    assert api_body(response)["fellBackToQueue"] is False


@pytest.mark.parametrize(
    "availability",
    [
        pytest.param(user_data("agent-account-manager", status="Offline"), id="offline"),
        pytest.param(user_data("agent-account-manager", free_task_slots=0), id="no-free-task-slot"),
        pytest.param({"UserDataList": []}, id="not-logged-in"),
    ],
)
def test_an_unavailable_agent_falls_back_to_the_queue(
    invoke: Invoke, connect_stub: ConnectStub, availability: dict[str, Any]
) -> None:
    connect_stub.describe(contact())
    connect_stub.user_data(availability, "agent-account-manager")
    connect_stub.transfer(transferred(), queue_id="queue-tier2", flow_id="flow-transfer-to-queue")
    body = api_body(invoke(api_event({"contactId": CONTACT_ID, "reason": "VIP_CUSTOMER"})))
    assert body["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert body["fellBackToQueue"] is True


# --- Connect errors on TransferContact --------------------------------------------------------------


@pytest.mark.parametrize("row", ERROR_TABLE, ids=row_ids())
def test_a_connect_failure_is_answered_recorded_and_alerted_as_the_error_table_says(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, row: ErrorRow
) -> None:
    connect_stub.fail_as(row, "the stub says no")
    event = api_event(claims=SUPERVISOR_CLAIMS)  # a supervisor is told whether the contact exists

    response = invoke(event)

    assert response["statusCode"] == row.api_status
    body = api_body(response)
    assert body["status" if row.api_status == 200 else "error"] == row.api_code
    retry_after = response["multiValueHeaders"].get("Retry-After")
    assert retry_after == ([str(row.retry_after)] if row.retry_after else None)
    alerts = aws.alerts()
    assert len(alerts) == (1 if row.alert else 0)
    if row.alert:
        (alert,) = alerts
        assert alert["alert"]["errorCode"] == row.connect_error
        assert alert["alert"]["escalationId"] == ESCALATION_ID
        assert alert["alert"]["whatToDo"]
    records = aws.dead_letters()
    assert len(records) == (1 if row.api_dead_letter else 0)
    if row.api_dead_letter:
        (record,) = records
        assert record["kind"] == "escalation-dead-letter"
        assert record["trigger"] == "API"
        assert record["decision"] == row.decision
        assert record["escalationId"] == ESCALATION_ID
        assert record["contactId"] == CONTACT_ID
        assert record["errorCode"] == row.connect_error
        assert record["operation"] == row.operation
        assert record["errorMessage"] == "the stub says no"
        assert record["attempts"] == 1
        assert record["originalEvent"]["body"] == event["body"]
        assert aws.dead_letter_attributes() == [
            {"decision": row.decision, "errorCode": str(row.connect_error)}
        ]
    if row.decision != "DUPLICATE":
        # A failure is not remembered: the same escalation can be retried (or redriven).
        assert aws.idempotency_records() == []


def test_a_failed_attempt_is_retried_by_the_next_request_with_the_same_token(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "ThrottlingException", 429)
    assert invoke(api_event())["statusCode"] == 429
    # The retry finds its first attempt in the ledger and repeats the same transfer with the same token.
    connect_stub.describe(contact())
    connect_stub.transfer(
        transferred(),
        queue_id="queue-tier2",
        client_token=ESCALATION_ID,
        attributes=ANY_WITH_LEVEL_AND_COUNT_ONE,
    )
    retried = invoke(api_event())
    assert retried["statusCode"] == 200
    assert api_body(retried)["level"] == 1


def test_throttling_on_describe_is_429(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.error("describe_contact", "ThrottlingException", 429)
    assert_error(invoke(api_event()), 429, "THROTTLED")


def test_the_idempotency_store_unavailable_is_503_and_nothing_is_transferred(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    aws.dynamodb.delete_table(TableName="escalation-idempotency")
    connect_stub.describe(contact())  # the caller is checked first; no transfer answer is queued
    response = invoke(api_event())
    assert_error(response, 503, "UPSTREAM_UNAVAILABLE")
    assert response["multiValueHeaders"]["Retry-After"] == ["5"]


# --- refusals -----------------------------------------------------------------------------------


def test_another_agent_is_refused_403_and_nothing_is_transferred(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact(agent_id="agent-1"))
    assert_error(invoke(api_event(claims=OTHER_AGENT_CLAIMS)), 403, "FORBIDDEN")
    assert aws.dead_letters() == []
    assert aws.idempotency_records() == []


def test_an_unknown_contact_is_403_for_an_agent_and_404_for_a_supervisor(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.error("describe_contact", "ResourceNotFoundException", 404)
    assert_error(invoke(api_event(claims=OTHER_AGENT_CLAIMS)), 403, "FORBIDDEN")
    connect_stub.error("describe_contact", "ResourceNotFoundException", 404)
    assert_error(invoke(api_event(claims=SUPERVISOR_CLAIMS)), 404, "CONTACT_NOT_FOUND")
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_the_agent_named_by_this_instances_agent_arn_may_escalate(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    expect_transfer_to_tier2(connect_stub)
    claims = {**AGENT_CLAIMS, "custom:connect_user_id": f"{INSTANCE_ARN}/agent/{AGENT_ID}"}
    assert invoke(api_event(claims=claims))["statusCode"] == 200


@pytest.mark.parametrize(
    "user_id_claim",
    [f"x/{AGENT_ID}", f"arn:aws:connect:us-east-1:123456789012:instance/other/agent/{AGENT_ID}"],
    ids=["path", "other-instance"],
)
def test_a_claim_ending_in_the_agents_id_is_not_the_agent(
    invoke: Invoke, connect_stub: ConnectStub, user_id_claim: str
) -> None:
    connect_stub.describe(contact())
    claims = {**AGENT_CLAIMS, "custom:connect_user_id": user_id_claim}
    assert_error(invoke(api_event(claims=claims)), 403, "FORBIDDEN")


@pytest.mark.parametrize(
    "groups",
    [
        ["[supervisors]"],
        ["supervisors "],
        ["supervisors,readonly"],
        "supervisors ",
        " supervisors",
        "agents, supervisors",
    ],
)
def test_a_group_that_only_looks_like_supervisors_is_not(
    invoke: Invoke, connect_stub: ConnectStub, groups: Any
) -> None:
    connect_stub.describe(contact(agent_id="agent-77"))
    claims = {**SUPERVISOR_CLAIMS, "cognito:groups": groups}
    assert_error(invoke(api_event(claims=claims)), 403, "FORBIDDEN")


def test_a_repeat_by_another_agent_is_still_refused(invoke: Invoke, connect_stub: ConnectStub) -> None:
    expect_transfer_to_tier2(connect_stub)
    assert invoke(api_event(claims=AGENT_CLAIMS))["statusCode"] == 200
    connect_stub.describe(contact(ended=True))
    assert_error(invoke(api_event(claims=OTHER_AGENT_CLAIMS)), 403, "FORBIDDEN")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(None, id="no-authorizer-claims"),
        pytest.param({}, id="empty-claims"),
        pytest.param({**AGENT_CLAIMS, "cognito:username": ""}, id="empty-username"),
    ],
)
def test_no_caller_identity_is_401_before_any_connect_call(invoke: Invoke, claims: Any) -> None:
    assert_error(invoke(api_event(claims=claims)), 401, "UNAUTHENTICATED")


def _without(claims: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in claims.items() if name not in names}


@pytest.mark.parametrize(
    "claims",
    [
        # Cognito's access tokens name the client in client_id, not aud.
        pytest.param(
            {**_without(AGENT_CLAIMS, "aud"), "token_use": "access", "client_id": CLIENT_ID},
            id="access-token",
        ),
        pytest.param({**AGENT_CLAIMS, "aud": "another-app-client"}, id="id-token-of-another-client"),
        pytest.param(_without(AGENT_CLAIMS, "token_use", "aud"), id="no-token-use-nor-aud"),
        pytest.param(_without(AGENT_CLAIMS, "token_use"), id="no-token-use"),
        pytest.param(_without(AGENT_CLAIMS, "aud"), id="no-aud"),
    ],
)
def test_only_an_id_token_of_a_configured_client_is_a_caller(
    invoke: Invoke, aws: AwsWorld, claims: dict[str, Any]
) -> None:
    # No Connect answer is queued: a Connect call would fail the stub.
    assert_error(invoke(api_event(claims=claims)), 401, "UNAUTHENTICATED")
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_an_id_token_of_any_configured_client_is_accepted(
    invoke: Invoke, connect_stub: ConnectStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLER_CLIENT_IDS", f"{CLIENT_ID}, mobile-app-client")
    composition.reset()  # as a new deployment would read it
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(), queue_id="queue-tier2")
    assert invoke(api_event(claims={**AGENT_CLAIMS, "aud": "mobile-app-client"}))["statusCode"] == 200


def test_an_escalation_error_without_its_own_handler_takes_the_500_path(
    invoke: Invoke, aws: AwsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    class UnforeseenEscalationError(EscalationError):
        pass

    def escalate(_self: Any, _request: Any) -> Any:
        raise UnforeseenEscalationError("a kind of failure added later")

    monkeypatch.setattr(EscalationService, "escalate", escalate)
    assert_error(invoke(api_event()), 500, "INTERNAL_ERROR")
    (record,) = aws.dead_letters()
    assert record["errorCode"] == "UnforeseenEscalationError"
    (alert,) = aws.alerts()
    assert alert["alert"]["decision"] == "ALERT"


# --- CORS -----------------------------------------------------------------------------------------

DESKTOP = "https://desktop.example.com"


@pytest.fixture
def desktop_origin(handler_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API module as deployed with DESKTOP_ORIGIN set (it builds its resolver at import)."""
    api = importlib.import_module("escalation.triggers.api")
    monkeypatch.setenv("DESKTOP_ORIGIN", DESKTOP)
    importlib.reload(api)
    yield DESKTOP
    monkeypatch.delenv("DESKTOP_ORIGIN")
    importlib.reload(api)


def test_an_answer_lets_the_desktop_read_retry_after(
    desktop_origin: str, invoke: Invoke, connect_stub: ConnectStub
) -> None:
    connect_stub.fail_as(ERROR_ROWS["THROTTLED"])
    response = invoke(api_event(headers={"Origin": desktop_origin}))
    assert response["statusCode"] == 429
    headers = response["multiValueHeaders"]
    assert headers["Access-Control-Allow-Origin"] == [desktop_origin]
    exposed = {
        name.strip().lower()
        for value in headers["Access-Control-Expose-Headers"]
        for name in value.split(",")
    }
    assert "retry-after" in exposed
    assert headers["Retry-After"] == ["2"]


def test_a_preflight_allows_the_idempotency_key_header(desktop_origin: str, invoke: Invoke) -> None:
    preflight = api_event(
        headers={
            "Origin": desktop_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        }
    )
    preflight["httpMethod"] = preflight["requestContext"]["httpMethod"] = "OPTIONS"
    response = invoke(preflight)
    assert response["statusCode"] == 204
    headers = response["multiValueHeaders"]
    allowed = {
        name.strip().lower() for value in headers["Access-Control-Allow-Headers"] for name in value.split(",")
    }
    assert "idempotency-key" in allowed
    assert headers["Access-Control-Allow-Origin"] == [desktop_origin]


@pytest.mark.parametrize(
    ("contact_overrides", "earlier_rungs", "error", "alert"),
    [
        # The shipped rules move voice and chat up in their queue at levels 1 and 2; level 3's rule
        # names a queue, which TransferContact cannot reach for them.
        ({"channel": "VOICE"}, 2, "CHANNEL_NOT_SUPPORTED", False),
        ({"channel": "CHAT"}, 2, "CHANNEL_NOT_SUPPORTED", False),
        # An answered call no longer waits: it cannot be moved up.
        ({"channel": "VOICE", "connected": True}, 0, "CONTACT_NOT_QUEUED", False),
        ({"ended": True}, 0, "CONTACT_ENDED", False),
    ],
)
def test_a_contact_that_cannot_be_escalated_now_is_409(
    invoke: Invoke,
    connect_stub: ConnectStub,
    aws: AwsWorld,
    contact_overrides: dict[str, Any],
    earlier_rungs: int,
    error: str,
    alert: bool,
) -> None:
    aws.record_transfers(CONTACT_ID, earlier_rungs)
    connect_stub.describe(contact(**contact_overrides))
    assert_error(invoke(api_event()), 409, error)
    assert len(aws.alerts()) == (1 if alert else 0)
    assert aws.dead_letters() == []  # the desktop got its answer; nothing waits for a redrive


def test_eleven_confirmed_transfers_in_the_ledger_are_409_transfer_limit_reached(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    aws.record_transfers(CONTACT_ID, 11)
    connect_stub.describe(contact())
    assert_error(invoke(api_event()), 409, "TRANSFER_LIMIT_REACHED")
    assert len(aws.alerts()) == 1


def test_eleven_denied_clicks_do_not_block_the_click_after_the_iam_fix(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    for click in range(11):
        connect_stub.describe(contact())
        connect_stub.error("transfer_contact", "AccessDeniedException", 403)
        assert invoke(api_event(headers={"Idempotency-Key": f"click-{click}"}))["statusCode"] == 502
    connect_stub.describe(contact())
    connect_stub.transfer(transferred(), queue_id="queue-tier2", attributes=ANY_WITH_LEVEL_AND_COUNT_ONE)

    response = invoke(api_event(headers={"Idempotency-Key": "after-the-fix"}))

    assert response["statusCode"] == 200, response
    assert api_body(response)["level"] == 1
    assert [e.status.value for e in aws.ledger()] == ["FAILED"] * 11 + ["TRANSFERRED"]


def test_the_ledger_is_unavailable_is_503(invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld) -> None:
    aws.dynamodb.delete_table(TableName=LEDGER_TABLE)
    connect_stub.describe(contact())
    assert_error(invoke(api_event()), 503, "UPSTREAM_UNAVAILABLE")


# --- bad input -----------------------------------------------------------------------------------

GOOD_BODY = {"contactId": CONTACT_ID, "reason": REASON}

BAD_BODIES = [
    pytest.param("{not json", "body", id="malformed-json"),
    pytest.param("", "body", id="empty-body"),
    pytest.param("null", "body", id="null"),
    pytest.param("[]", "body", id="a-list"),
    pytest.param('"escalate"', "body", id="a-string"),
    pytest.param(json.dumps({"reason": REASON}), "contactId", id="missing-contactId"),
    pytest.param(json.dumps({"contactId": CONTACT_ID}), "reason", id="missing-reason"),
    pytest.param(json.dumps({"contactId": 42, "reason": REASON}), "contactId", id="contactId-number"),
    pytest.param(json.dumps({"contactId": None, "reason": REASON}), "contactId", id="contactId-null"),
    pytest.param(json.dumps({"contactId": [CONTACT_ID], "reason": REASON}), "contactId", id="contactId-list"),
    pytest.param(json.dumps({"contactId": CONTACT_ID, "reason": True}), "reason", id="reason-bool"),
    pytest.param(json.dumps({**GOOD_BODY, "note": 7}), "note", id="note-number"),
    pytest.param(json.dumps({"contactId": "", "reason": REASON}), "contactId", id="contactId-empty"),
    pytest.param(json.dumps({"contactId": "c" * 257, "reason": REASON}), "contactId", id="contactId-257"),
    pytest.param(json.dumps({"contactId": CONTACT_ID, "reason": "r" * 129}), "reason", id="reason-129"),
    pytest.param(json.dumps({**GOOD_BODY, "note": "n" * 1025}), "note", id="note-1025"),
    pytest.param(json.dumps({**GOOD_BODY, "note": "n" * 10_000}), "note", id="note-10KB"),
    pytest.param(
        json.dumps({**GOOD_BODY, "target": {"queueId": "q", "userId": "u"}}), "target", id="both-targets"
    ),
    pytest.param(json.dumps({**GOOD_BODY, "target": {}}), "target", id="no-target-in-target"),
    pytest.param(json.dumps({**GOOD_BODY, "target": "queue-tier2"}), "target", id="target-string"),
    pytest.param(json.dumps({**GOOD_BODY, "target": {"queueId": ""}}), "queueId", id="target-empty-id"),
    pytest.param(
        json.dumps({**GOOD_BODY, "target": {"queueId": "q", "priority": 1}}), "priority", id="target-extra"
    ),
    pytest.param(json.dumps({**GOOD_BODY, "escalationLevel": 3}), "escalationLevel", id="unknown-field"),
]


@pytest.mark.parametrize(("raw_body", "field"), BAD_BODIES)
def test_bad_input_is_400_naming_the_field(invoke: Invoke, aws: AwsWorld, raw_body: str, field: str) -> None:
    body = assert_error(invoke(api_event(raw_body=raw_body)), 400, "INVALID_BODY")
    assert field in body["message"]
    assert len(body["message"]) <= 1000
    assert aws.dead_letters() == []
    assert aws.alerts() == []


@pytest.mark.usefixtures("rules_without_catalogue")  # a 128-character reason of its own
def test_a_boundary_sized_body_is_accepted(invoke: Invoke, connect_stub: ConnectStub) -> None:
    long_id = "c" * 256
    connect_stub.describe(contact(long_id), contact_id=long_id)
    connect_stub.transfer(transferred(), queue_id="queue-tier2", contact_id=long_id)
    body = {"contactId": long_id, "reason": "r" * 128, "note": "n" * 1024}
    assert invoke(api_event(body))["statusCode"] == 200


def test_a_base64_encoded_body_is_validated_like_any_other(invoke: Invoke) -> None:
    # API Gateway base64-encodes bodies of binary media types; the JSON inside is still checked.
    encoded = base64.b64encode(b'{"contactId": 42}').decode()
    event = {**api_event(), "isBase64Encoded": True, "body": encoded}
    assert_error(invoke(event), 400, "INVALID_BODY")


# --- what is recorded ------------------------------------------------------------------------------


def test_dead_letter_records_never_hold_the_callers_credentials(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "AccessDeniedException", 403)
    event = api_event(headers={"Cookie": "session=abc", "authorization": "Bearer lower-case-too"})
    event["multiValueHeaders"]["authorization"] = ["Bearer lower-case-too"]

    invoke(event)

    (record,) = aws.dead_letters()
    dumped = json.dumps(record)
    assert "secret-token" not in dumped
    assert "lower-case-too" not in dumped
    assert "session=abc" not in dumped
    assert {name.lower() for name in record["originalEvent"]["headers"]} >= {"content-type", "host"}
    assert "authorization" not in {name.lower() for name in record["originalEvent"]["multiValueHeaders"]}
    alert_text = json.dumps(aws.alerts())
    assert "secret-token" not in alert_text


@pytest.mark.usefixtures("rules_without_catalogue")  # the API sends the breach's own reason
def test_an_api_request_after_a_skipped_breach_event_is_not_a_5xx(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact(ended=True))
    assert invoke(sla_event())["status"] == "SKIPPED"
    connect_stub.describe(contact(ended=True))  # the API checks the caller before the stored result
    response = invoke(api_event({"contactId": CONTACT_ID, "reason": "SLA_BREACH"}))
    assert_error(response, 409, "CONTACT_ENDED")
    assert aws.alerts() == []


# --- bodies Powertools refuses before the route runs ------------------------------------------------


def test_a_body_that_is_not_json_media_is_415_and_nothing_is_recorded(invoke: Invoke, aws: AwsWorld) -> None:
    event = api_event(headers={"Content-Type": "text/plain"}, raw_body="contactId=c-1")
    assert_error(invoke(event), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_a_body_that_is_not_utf8_is_400(invoke: Invoke, aws: AwsWorld) -> None:
    event = api_event()
    event["body"] = base64.b64encode(b'{"contactId": "\xff", "reason": "x"}').decode()
    event["isBase64Encoded"] = True
    assert_error(invoke(event), 400, "INVALID_BODY")
    assert aws.dead_letters() == []


def test_a_method_the_route_does_not_serve_keeps_its_status(invoke: Invoke, aws: AwsWorld) -> None:
    event = api_event()
    event["httpMethod"] = "GET"
    assert_error(invoke(event), 404, "NOT_FOUND")
    assert aws.alerts() == []


def test_a_multipart_body_without_a_boundary_is_415_not_a_crash(invoke: Invoke, aws: AwsWorld) -> None:
    event = api_event(headers={"Content-Type": "multipart/form-data"}, raw_body="--x\r\n")
    assert_error(invoke(event), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert aws.alerts() == []


def test_json_with_a_charset_is_json(invoke: Invoke, connect_stub: ConnectStub) -> None:
    expect_transfer_to_tier2(connect_stub)
    event = api_event(headers={"Content-Type": "application/json; charset=utf-8"})
    assert invoke(event)["statusCode"] == 200
