"""The SLA-breach trigger through the Lambda entry point: moto for SQS/SNS/DynamoDB, a Stubber for Connect.

Lambda invokes this trigger asynchronously: returning ends the event, raising makes Lambda retry it. So
every event must end transferred, skipped or dead-lettered with a reason, or raise RetryLater.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from escalation import composition
from escalation.adapters import connect
from escalation.composition import aws_clients
from escalation.contract import SLA_BREACH_DETAIL_TYPE, SLA_BREACH_SOURCE
from escalation.domain.model import ContactAttribute
from escalation.record_mac import mac_in_error_message
from escalation.triggers.async_escalation import RetryLater
from tests.error_table import ERROR_ROWS, ERROR_TABLE, ErrorRow, row_ids
from tests.unit.builders import (
    ACCOUNT,
    CONTACT_ID,
    INSTANCE_ARN,
    INSTANCE_ID,
    OTHER_INSTANCE_ID,
    REGION,
    api_event,
    contact,
    sla_event,
    transferred,
)
from tests.unit.fakes import FakeLambdaContext
from tests.unit.harness import (
    ANY_WITH_LEVEL_AND_COUNT_ONE,
    LEDGER_TABLE,
    AwsWorld,
    ConnectStub,
    expected_escalation_id,
)

Invoke = Callable[[Any], Any]
ESCALATION_ID = expected_escalation_id(CONTACT_ID, "SLA_BREACH")


def expect_transfer(
    stub: ConnectStub, *, client_token: str = ESCALATION_ID, **contact_overrides: Any
) -> None:
    stub.describe(contact(**contact_overrides))
    stub.transfer(transferred(), queue_id="queue-tier2", client_token=client_token)


def the_dead_letter(aws: AwsWorld) -> dict[str, Any]:
    records = aws.dead_letters()
    assert len(records) == 1, records
    return records[0]


# --- success ------------------------------------------------------------------------------------


def test_a_breach_transfers_the_contact(invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld) -> None:
    connect_stub.describe(contact())
    connect_stub.transfer(
        transferred("contact-2"),
        queue_id="queue-tier2",
        flow_id="flow-transfer-to-queue",
        client_token=ESCALATION_ID,
        attributes={
            ContactAttribute.LEVEL: "1",
            ContactAttribute.REASON: "SLA_BREACH",
            ContactAttribute.ESCALATION_ID: ESCALATION_ID,
            ContactAttribute.TRANSFER_COUNT: "1",
            ContactAttribute.TRIGGER: "EVENT",
        },
    )

    result = invoke(sla_event())

    assert result["status"] == "TRANSFERRED"
    assert result["escalationId"] == ESCALATION_ID
    assert result["newContactId"] == "contact-2"
    assert result["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_the_events_reason_is_part_of_the_escalation(invoke: Invoke, connect_stub: ConnectStub) -> None:
    expect_transfer(connect_stub, client_token=expected_escalation_id(CONTACT_ID, "FIRST_RESPONSE_SLA"))
    assert invoke(sla_event(reason="FIRST_RESPONSE_SLA"))["status"] == "TRANSFERRED"


@pytest.mark.parametrize("instance_id", [INSTANCE_ARN, INSTANCE_ID, None], ids=["arn", "id", "absent"])
def test_the_configured_instance_by_arn_or_id_or_not_named(
    invoke: Invoke, connect_stub: ConnectStub, instance_id: str | None
) -> None:
    expect_transfer(connect_stub)
    assert invoke(sla_event(instance_id=instance_id))["status"] == "TRANSFERRED"


def test_upstream_fields_of_their_own_are_ignored(invoke: Invoke, connect_stub: ConnectStub) -> None:
    expect_transfer(connect_stub)
    assert invoke(sla_event(ticket={"id": 7}, priority="HIGH"))["status"] == "TRANSFERRED"


def test_a_redelivered_event_is_not_transferred_twice(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    expect_transfer(connect_stub)  # one answer each: a second transfer would fail the stub
    first = invoke(sla_event())
    connect_stub.assert_all_used()
    again = invoke({**sla_event(), "id": "another-delivery-id"})
    assert again == first
    assert aws.dead_letters() == []


def test_an_ended_contact_is_skipped_without_a_dead_letter(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact(ended=True))
    result = invoke(sla_event())
    assert result["status"] == "SKIPPED"
    assert result["escalationId"] == ESCALATION_ID
    assert aws.dead_letters() == []
    assert aws.alerts() == []


# --- refusals are dead-lettered -----------------------------------------------------------------


@pytest.mark.parametrize(
    "instance_id",
    [
        OTHER_INSTANCE_ID,
        INSTANCE_ARN.replace(INSTANCE_ID, OTHER_INSTANCE_ID),
        # The configured id in another account or Region is another instance: ARNs compare in full.
        INSTANCE_ARN.replace(f":{ACCOUNT}:", ":210987654321:"),
        INSTANCE_ARN.replace(f":{REGION}:", ":eu-west-1:"),
    ],
)
def test_a_foreign_instance_is_dead_lettered_without_a_connect_call(
    invoke: Invoke, aws: AwsWorld, instance_id: str
) -> None:
    event = sla_event(instance_id=instance_id)
    result = invoke(event)  # no Connect answer is queued: a call would fail the stub
    assert result == {"status": "REFUSED", "escalationId": ESCALATION_ID, "error": "FOREIGN_INSTANCE"}
    record = the_dead_letter(aws)
    assert record["errorCode"] == "FOREIGN_INSTANCE"
    assert record["decision"] == "DEAD_LETTER"
    assert record["originalEvent"] == event
    assert aws.alerts() == []


@pytest.mark.parametrize(
    ("contact_overrides", "error", "decision", "alert"),
    [
        # Level 3 of the shipped rules names a queue: a voice call cannot be transferred there.
        ({"channel": "VOICE"}, "CHANNEL_NOT_SUPPORTED", "DEAD_LETTER", False),
    ],
)
def test_a_contact_that_cannot_be_transferred_is_dead_lettered(
    invoke: Invoke,
    connect_stub: ConnectStub,
    aws: AwsWorld,
    contact_overrides: dict[str, Any],
    error: str,
    decision: str,
    alert: bool,
) -> None:
    aws.record_transfers(CONTACT_ID, 2)
    connect_stub.describe(contact(**contact_overrides))
    result = invoke(sla_event())
    assert result["status"] == "REFUSED"
    assert result["error"] == error
    record = the_dead_letter(aws)
    assert record["errorCode"] == error
    assert record["decision"] == decision
    assert len(aws.alerts()) == (1 if alert else 0)


def test_no_route_is_dead_lettered_and_alerted(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.json"
    only_vip = {"name": "vip", "match": {"reasons": ["VIP"]}, "target": {"queue": {"id": "q", "flowId": "f"}}}
    rules.write_text(json.dumps({"rules": [only_vip]}))
    monkeypatch.setenv("ROUTING_RULES", str(rules))
    connect_stub.describe(contact())
    assert invoke(sla_event())["error"] == "NO_ROUTE"
    assert the_dead_letter(aws)["decision"] == "ALERT"
    (alert,) = aws.alerts()
    assert alert["alert"]["errorCode"] == "NO_ROUTE"


# --- invalid events -------------------------------------------------------------------------------


def without(event: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key not in keys}


INVALID_EVENTS = [
    pytest.param(sla_event(contact_id=None), "detail.contactId", id="missing-contactId"),
    pytest.param(sla_event(contact_id=""), "detail.contactId", id="empty-contactId"),
    pytest.param(sla_event(contact_id=42), "detail.contactId", id="contactId-number"),  # type: ignore[arg-type]
    pytest.param(sla_event(contact_id=["c-1"]), "detail.contactId", id="contactId-list"),  # type: ignore[arg-type]
    pytest.param(sla_event(contact_id="c" * 257), "detail.contactId", id="contactId-257"),
    pytest.param(sla_event(contact_id="c" * 20_000), "detail.contactId", id="contactId-20KB"),
    pytest.param(sla_event(reason="r" * 129), "detail.reason", id="reason-129"),
    pytest.param(sla_event(reason=""), "detail.reason", id="reason-empty"),
    pytest.param(sla_event(slaSeconds="soon"), "detail.slaSeconds", id="slaSeconds-text"),
    pytest.param(sla_event(slaSeconds=-1), "detail.slaSeconds", id="slaSeconds-negative"),
    pytest.param(sla_event(breachedAt="yesterday"), "detail.breachedAt", id="breachedAt-text"),
    pytest.param(sla_event(channel="X" * 17), "detail.channel", id="channel-long"),
    pytest.param(sla_event(instance_id=""), "detail.instanceId", id="instanceId-empty"),
    pytest.param({**sla_event(), "detail": "contact-1"}, "detail", id="detail-string"),
    pytest.param({**sla_event(), "detail": None}, "detail", id="detail-null"),
    pytest.param(without(sla_event(), "detail"), "detail", id="detail-missing"),
    pytest.param(without(sla_event(), "time"), "time", id="time-missing"),
    pytest.param(
        sla_event(detail_type="Amazon Connect Contact Event"), "detail-type", id="other-detail-type"
    ),
    pytest.param(sla_event(source="aws.connect"), "source", id="other-source"),
    pytest.param(sla_event(source=123), "source", id="source-number"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("event", "named"), INVALID_EVENTS)
def test_an_invalid_event_is_dead_lettered_with_the_reason(
    invoke: Invoke, aws: AwsWorld, event: dict[str, Any], named: str
) -> None:
    result = invoke(event)  # no Connect answer is queued: a call would fail the stub
    assert result == {"status": "REFUSED", "error": "INVALID_EVENT"}
    record = the_dead_letter(aws)
    assert record["errorCode"] == "INVALID_EVENT"
    assert record["decision"] == "DEAD_LETTER"
    assert record["errorMessage"].startswith(("not a valid SLA-breach event", "neither"))
    assert named in record["errorMessage"]
    assert len(record["errorMessage"]) <= 1000
    assert record["originalEvent"] == event
    assert aws.alerts() == []


def test_an_invalid_event_keeps_a_contact_id_hint(invoke: Invoke, aws: AwsWorld) -> None:
    invoke(sla_event(slaSeconds="soon"))
    assert the_dead_letter(aws)["contactId"] == CONTACT_ID


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, id="an-sqs-batch"),
        pytest.param({}, id="empty-object"),
        pytest.param({"detail": {"contactId": CONTACT_ID}}, id="detail-without-envelope"),
        pytest.param({"source": SLA_BREACH_SOURCE}, id="source-without-detail-type"),
    ],
)
def test_an_event_of_another_shape_is_dead_lettered(
    invoke: Invoke, aws: AwsWorld, event: dict[str, Any]
) -> None:
    assert invoke(event) == {"status": "REFUSED", "error": "INVALID_EVENT"}
    record = the_dead_letter(aws)
    assert record["errorMessage"] == "neither an API Gateway request nor an EventBridge event"
    assert record["originalEvent"] == event


@pytest.mark.parametrize("event", [None, [], [sla_event()], "escalate contact-1", 42, True])
def test_an_event_that_is_not_an_object_is_dead_lettered(invoke: Invoke, aws: AwsWorld, event: Any) -> None:
    assert invoke(event) == {"status": "REFUSED", "error": "INVALID_EVENT"}
    record = the_dead_letter(aws)
    assert record["errorMessage"] == "the event is not a JSON object"
    assert record["originalEvent"] == {"event": str(event)}


def test_a_huge_non_object_event_is_cut_to_fit_the_queue(invoke: Invoke, aws: AwsWorld) -> None:
    invoke(["x" * 1_000_000])
    assert len(the_dead_letter(aws)["originalEvent"]["event"]) == 10_000


def test_an_api_lookalike_with_a_broken_request_context_does_not_crash(invoke: Invoke, aws: AwsWorld) -> None:
    result = invoke({"httpMethod": "POST", "requestContext": "not-an-object"})
    assert result is not None


# --- Connect failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("row", ERROR_TABLE, ids=row_ids())
def test_a_connect_failure_is_retried_recorded_and_alerted_as_the_error_table_says(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, row: ErrorRow
) -> None:
    connect_stub.fail_as(row, "no, says the stub")
    event = sla_event()

    if row.retried:
        # Raising makes Lambda retry; its on-failure destination takes the event if the retries run out.
        with pytest.raises(RetryLater):
            invoke(event)
        result = None
    else:
        result = invoke(event)

    alerts = aws.alerts()
    assert len(alerts) == (1 if row.alert else 0)
    if row.alert:
        (alert,) = alerts
        assert alert["alert"]["errorCode"] == row.connect_error
        assert alert["subject"] == f"Escalation {row.decision}: {row.connect_error}"
    records = aws.dead_letters()
    assert len(records) == (1 if row.dead_letter else 0)
    if row.decision == "DUPLICATE":
        assert result is not None
        assert result["status"] == row.api_code
    if row.dead_letter:
        assert result is not None
        (record,) = records
        assert record["kind"] == "escalation-dead-letter"
        assert record["trigger"] == "EVENT"
        assert record["decision"] == row.decision
        assert record["escalationId"] == ESCALATION_ID
        assert record["contactId"] == CONTACT_ID
        assert record["failedAt"]
        assert record["originalEvent"] == event
        if row.operation in ("TransferContact", "UpdateContactRoutingData"):
            # A Connect error answered by the table: the record names Connect's own code and message.
            assert result == {
                "status": row.decision,
                "escalationId": ESCALATION_ID,
                "error": row.connect_error,
            }
            assert (record["errorCode"], record["errorMessage"]) == (row.connect_error, "no, says the stub")
            assert (record["operation"], record["attempts"]) == (row.operation, 1)
            assert record["whatToDo"]
        else:
            # The contact itself is unknown: refused as the service's own CONTACT_NOT_FOUND.
            assert result == {"status": "REFUSED", "escalationId": ESCALATION_ID, "error": row.api_code}
            assert record["errorCode"] == row.api_code
        assert aws.dead_letter_attributes() == [{"decision": row.decision, "errorCode": record["errorCode"]}]
    if row.decision != "DUPLICATE":
        assert aws.idempotency_records() == []  # so that a retry or a redrive runs again


def test_a_throttled_transfer_names_connects_code_and_the_attempts(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    connect_stub.fail_as(ERROR_ROWS["THROTTLED"])
    with pytest.raises(RetryLater, match="ThrottlingException after 1 attempt"):
        invoke(sla_event())


def test_an_unreachable_connect_names_the_connection_error(invoke: Invoke, connect_stub: ConnectStub) -> None:
    connect_stub.fail_as(ERROR_ROWS["CONNECTION"])
    with pytest.raises(RetryLater, match="EndpointConnectionError"):
        invoke(sla_event())


def test_lambdas_retry_resumes_with_the_same_token_and_level(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "ThrottlingException", 429)
    with pytest.raises(RetryLater):
        invoke(sla_event())
    # The retry finds its first attempt in the ledger and repeats the same transfer with the same token.
    connect_stub.describe(contact())
    connect_stub.transfer(
        transferred(),
        queue_id="queue-tier2",
        client_token=ESCALATION_ID,
        attributes=ANY_WITH_LEVEL_AND_COUNT_ONE,
    )
    result = invoke(sla_event())
    assert result["status"] == "TRANSFERRED"
    assert result["level"] == 1
    assert [e.status.value for e in aws.ledger()] == ["TRANSFERRED"]


def test_a_throttled_click_then_a_breach_reaches_level_one_not_two(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.describe(contact())
    connect_stub.error("transfer_contact", "ThrottlingException", 429)
    assert invoke(api_event())["statusCode"] == 429
    connect_stub.describe(contact())
    connect_stub.transfer(
        transferred(),
        queue_id="queue-tier2",
        client_token=ESCALATION_ID,
        attributes=ANY_WITH_LEVEL_AND_COUNT_ONE,
    )

    result = invoke(sla_event())

    assert (result["status"], result["level"]) == ("TRANSFERRED", 1)
    assert [(e.trigger.value, e.status.value) for e in aws.ledger()] == [
        ("API", "FAILED"),
        ("EVENT", "TRANSFERRED"),
    ]


def test_eleven_confirmed_transfers_in_the_ledger_dead_letter_and_alert(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    aws.record_transfers(CONTACT_ID, 11)
    connect_stub.describe(contact())
    result = invoke(sla_event())
    assert result["error"] == "TRANSFER_LIMIT_REACHED"
    assert the_dead_letter(aws)["decision"] == "ALERT"
    assert len(aws.alerts()) == 1


def test_an_unavailable_ledger_raises_so_that_lambda_retries(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    aws.dynamodb.delete_table(TableName=LEDGER_TABLE)
    connect_stub.describe(contact())
    with pytest.raises(RetryLater, match="LedgerUnavailable"):
        invoke(sla_event())


def test_the_idempotency_store_unavailable_raises(invoke: Invoke, aws: AwsWorld) -> None:
    aws.dynamodb.delete_table(TableName="escalation-idempotency")
    with pytest.raises(RetryLater, match="IdempotencyStoreUnavailable"):
        invoke(sla_event())


def test_a_concurrent_duplicate_raises_so_that_it_is_retried_later(
    invoke: Invoke, connect_stub: ConnectStub
) -> None:
    nested: list[BaseException] = []

    def deliver_again_meanwhile(model: Any, **_: Any) -> None:
        # While the first delivery is describing the contact, a second delivery of the event arrives.
        if model.name == "DescribeContact":
            try:
                invoke(sla_event())
            except RetryLater as error:
                nested.append(error)

    # Before the Stubber's own (wildcard) handler answers the call.
    connect_stub.client.meta.events.register_first("before-call.*.*", deliver_again_meanwhile)
    connect_stub.describe(contact(ended=True))
    assert invoke(sla_event())["status"] == "SKIPPED"
    assert [str(error).split(" [event-mac:")[0] for error in nested] == ["EscalationInProgress"]
    # The error carries the MAC of the event, which Lambda copies into the on-failure record.
    assert all(mac_in_error_message(str(error)) for error in nested)


# --- property: no event is lost -------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_details = st.fixed_dictionaries(
    {},
    optional={
        "contactId": st.sampled_from([CONTACT_ID, "contact-9", "c" * 256, "c" * 257, "", "ünï/cødé?"])
        | st.text(max_size=30)
        | _json,
        "instanceId": st.sampled_from([INSTANCE_ID, INSTANCE_ARN, OTHER_INSTANCE_ID, f"{INSTANCE_ARN}/"])
        | _json,
        "reason": st.sampled_from(["SLA_BREACH", "VIP_CUSTOMER", "r" * 129]) | st.text(max_size=20) | _json,
        "channel": st.sampled_from(["TASK", "voice"]) | _json,
        "queueId": st.text(max_size=10) | _json,
        "slaSeconds": st.integers() | _json,
        "breachedAt": st.sampled_from(["2024-05-01T12:00:00Z", "not a date"]) | _json,
        "extra": _json,
    },
)
_events = st.fixed_dictionaries(
    {},
    optional={
        "version": st.just("0") | _json,
        "id": st.text(max_size=20) | _json,
        "detail-type": st.sampled_from([SLA_BREACH_DETAIL_TYPE, "Amazon Connect Contact Event"]) | _json,
        "source": st.sampled_from([SLA_BREACH_SOURCE, "aws.connect"]) | _json,
        "account": st.just(ACCOUNT) | _json,
        "time": st.sampled_from(["2024-05-01T12:00:01Z", "noon"]) | _json,
        "region": st.just(REGION) | _json,
        "resources": st.just([]) | _json,
        "detail": _details | _json,
    },
)
_valid_details = st.fixed_dictionaries(
    {"contactId": st.sampled_from([CONTACT_ID, "contact-9"]) | st.text(min_size=1, max_size=30)},
    optional={
        "instanceId": st.sampled_from([INSTANCE_ID, INSTANCE_ARN, OTHER_INSTANCE_ID]),
        "reason": st.sampled_from(["SLA_BREACH", "LATE"]) | st.text(min_size=1, max_size=128),
        "channel": st.sampled_from(["TASK", "EMAIL", "VOICE"]),
        "slaSeconds": st.integers(min_value=0, max_value=86_400),
        "upstreamField": _json,
    },
)
# Mostly well-formed breaches (they reach Connect), then anything at all in an envelope or without one.
_breach = st.builds(lambda detail: {**sla_event(), "detail": detail}, _valid_details)
_breaches = st.one_of(
    _breach,
    _breach,
    _breach,
    _breach,
    st.builds(lambda detail: {**sla_event(), "detail": detail}, _details),
    _events,
)
# What Connect answers DescribeContact with, and what it then does with the transfer.
_connect_answers = st.sampled_from(["active", "ended", "voice", "not-found", "throttled", "denied"])

TRANSFERRED_OR_SKIPPED = {"TRANSFERRED", "ALREADY_TRANSFERRED", "SKIPPED"}
DEAD_LETTERED = {"REFUSED", "DEAD_LETTER", "ALERT"}


def _queue_connect_answers(stubber: Stubber, answer: str, contact_id: Any) -> None:
    """Exactly the calls an escalation makes when Connect answers DescribeContact this way."""
    contact_id = contact_id if isinstance(contact_id, str) and contact_id else CONTACT_ID
    if answer == "not-found":
        stubber.add_client_error("describe_contact", "ResourceNotFoundException", http_status_code=404)
        return
    stubber.add_response(
        "describe_contact",
        contact(contact_id, ended=answer == "ended", channel="VOICE" if answer == "voice" else "TASK"),
    )
    if answer in ("ended", "voice"):
        return  # skipped, or refused before any write
    if answer == "throttled":
        stubber.add_client_error("transfer_contact", "ThrottlingException", http_status_code=429)
    elif answer == "denied":
        stubber.add_client_error("transfer_contact", "AccessDeniedException", http_status_code=403)
    else:
        stubber.add_response("transfer_contact", transferred())
        stubber.add_response("update_contact_attributes", {})  # the confirmed values, on the new contact


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(event=_breaches, answer=_connect_answers)
def test_every_event_is_transferred_skipped_dead_lettered_or_retried(
    aws: AwsWorld,
    handler_env: dict[str, str],
    lambda_context: FakeLambdaContext,
    aws_session: boto3.session.Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    event: dict[str, Any],
    answer: str,
) -> None:
    # One queue rule for every reason, so that the Connect answers above are the whole conversation.
    rules = tmp_path / "one-rule.json"
    rules.write_text(
        json.dumps({"rules": [{"name": "all", "target": {"queue": {"id": "q", "flowId": "f"}}}]})
    )
    monkeypatch.setenv("ROUTING_RULES", str(rules))
    handler = importlib.import_module("escalation.handler").handler

    detail = event.get("detail")
    # A Connect client of this example's own; the operations it is asked for are noted.
    client = aws_session.client("connect", config=connect.client_config(1))
    asked: list[str] = []
    client.meta.events.register_first("before-call.*.*", lambda model, **_: asked.append(model.name))
    clients = replace(aws_clients(aws_session), connect=lambda _attempts: client)
    monkeypatch.setattr(composition, "aws_clients", lambda: clients)
    composition.reset()
    aws.clear_ledger()  # each example starts a chain of its own; the ledger outlives examples otherwise
    lambda_context.aws_request_id = str(uuid.uuid4())  # each example is an invocation of its own
    with Stubber(client) as stubber:
        _queue_connect_answers(stubber, answer, detail.get("contactId") if isinstance(detail, dict) else None)
        dead_letters_before = len(aws.dead_letters())
        try:
            result = handler(event, lambda_context)
        except RetryLater:
            assert answer == "throttled"
            hypothesis_event("outcome: RetryLater")
            return
        if asked:
            # Once the escalation reached Connect, the whole queued conversation took place.
            stubber.assert_no_pending_responses()
    new_dead_letters = aws.dead_letters()[dead_letters_before:]
    assert isinstance(result, dict)
    hypothesis_event(f"outcome: {result['status']} {result.get('error', '')}".strip())
    if result["status"] in TRANSFERRED_OR_SKIPPED:
        assert new_dead_letters == []
    elif result["status"] == "IGNORED":
        # Connect's own contact events arm timers (off here); they are never dead-lettered.
        assert (event["source"], event["detail-type"]) == ("aws.connect", "Amazon Connect Contact Event")
        assert new_dead_letters == []
    else:
        assert result["status"] in DEAD_LETTERED, result
        assert result["error"]
        (record,) = new_dead_letters
        assert record["errorCode"] == result["error"]
        assert record["originalEvent"] == event


def test_a_breach_whose_reason_holds_a_control_character_is_dead_lettered_unread(
    invoke: Invoke, aws: AwsWorld
) -> None:
    result = invoke(sla_event(reason="SLA_BREACH\n0  ALL CLEAR"))  # no Connect call is queued
    assert result["status"] == "REFUSED"
    assert the_dead_letter(aws)["errorCode"] == "INVALID_EVENT"
