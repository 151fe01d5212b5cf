"""Every row of the error table (escalation.domain.policy.ERROR_POLICY), produced by the Connect emulator
through the real boto3 client, for both triggers, landing in the decision the table promises.

API: the status and `{"error", "message"}` body, Retry-After on RETRY; events: Lambda retries (RETRY
raises), the handler's own DLQ record or the on-failure destination record; alerts where the table says.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.connect_emulator.testing import connect_client
from local.stack import INSTANCE_ID, LocalStack
from tests.integration.conftest import MAX_ATTEMPTS, MISSING_QUEUE
from tests.integration.support import (
    ALICE,
    SUPERVISOR,
    alerts_of,
    dlq_of,
    emf_metrics,
    event_escalation_id,
    is_destination_record,
    post,
    put_breaches,
    transfers_of,
    wait_idle,
)
from tools.redrive import RedriveOptions, redrive

# Lambda runs an asynchronous event 3 times (1 + 2 retries), each with MAX_ATTEMPTS botocore attempts.
LAMBDA_ATTEMPTS = 3


def task(stack: LocalStack, **kwargs: Any) -> str:
    return stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice", **kwargs)


def escalate(stack: LocalStack, contact_id: str, reason: str = "CUSTOMER_UNHAPPY", token: str = ALICE) -> Any:
    return post(stack, token, {"contactId": contact_id, "reason": reason})


def handler_record(stack: LocalStack, contact_id: str) -> dict[str, Any]:
    records = dlq_of(stack, contact_id)
    assert len(records) == 1, records
    record = records[0]
    assert record["kind"] == "escalation-dead-letter"
    return record


def assert_event_record(record: dict[str, Any], event_id: str, contact_id: str) -> None:
    """The handler's DLQ record for an event keeps the event whole, so a redrive can replay it."""
    assert record["trigger"] == "EVENT"
    assert record["contactId"] == contact_id
    assert record["originalEvent"]["id"] == event_id
    assert record["originalEvent"]["detail"]["contactId"] == contact_id
    assert record["failedAt"]


def assert_destination_record(stack: LocalStack, contact_id: str, event_id: str, error: str) -> None:
    records = dlq_of(stack, contact_id)
    assert len(records) == 1, records
    record = records[0]
    assert is_destination_record(record), record
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == LAMBDA_ATTEMPTS
    assert record["requestPayload"]["id"] == event_id
    assert record["responsePayload"]["errorType"] == "RetryLater"
    assert record["responsePayload"]["errorMessage"] == f"{error} after {MAX_ATTEMPTS} attempt(s)"


# -- ThrottlingException: RETRY (API 429 + Retry-After; event raises, Lambda retries) -------------------


def test_throttled_api_answers_429_with_retry_after_and_a_retry_transfers_once(stack: LocalStack) -> None:
    contact = task(stack)
    stack.connect.set_faults("TransferContact", script=["throttle"] * MAX_ATTEMPTS)

    answer = escalate(stack, contact)

    assert answer.status == 429
    assert answer.body["error"] == "THROTTLED"
    assert answer.body["message"]
    assert answer.headers["Retry-After"] == "2"
    assert transfers_of(stack, contact) == []
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []

    retried = escalate(stack, contact)
    assert retried.status == 200
    assert retried.body["status"] == "TRANSFERRED"
    assert retried.body["level"] == 1  # the retry resumes the same escalation, not a second one
    assert len(transfers_of(stack, contact)) == 1


def test_quota_exhausted_api_answers_429_then_transfers_once_when_it_refills(stack: LocalStack) -> None:
    contact = task(stack)
    # Connect's bucket has one token and never refills; a foreign caller takes it first.
    stack.connect.set_quota(0.0, 1, "TransferContact")
    other = connect_client(stack.connect.endpoint_url)
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.transfer_contact(
            InstanceId=INSTANCE_ID, ContactId="no-such-contact", ContactFlowId="flow-transfer-to-queue"
        )

    answer = escalate(stack, contact)
    assert (answer.status, answer.error, answer.headers.get("Retry-After")) == (429, "THROTTLED", "2")
    assert stack.connect.stats()["throttled"]["TransferContact"] >= MAX_ATTEMPTS
    assert transfers_of(stack, contact) == []

    stack.connect.set_quota(None, 5, "TransferContact")
    assert escalate(stack, contact).status == 200
    assert len(transfers_of(stack, contact)) == 1


def test_throttled_event_is_retried_by_lambda_and_transferred_when_the_fault_clears(
    stack: LocalStack, events: Any
) -> None:
    contact = task(stack)
    # The first invocation uses up its attempts; the second meets one more throttle, then success.
    stack.connect.set_faults("TransferContact", script=["throttle"] * (MAX_ATTEMPTS + 1))
    before = stack.bus.stats

    put_breaches(events, [contact])
    wait_idle(stack)

    after = stack.bus.stats
    assert after.retries - before.retries == 1
    assert after.succeeded - before.succeeded == 1
    assert len(transfers_of(stack, contact)) == 1
    assert transfers_of(stack, contact)[0]["client_token"] == event_escalation_id(contact)
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []


def test_throttled_event_that_keeps_failing_lands_in_the_dlq_through_the_destination(
    stack: LocalStack, events: Any
) -> None:
    contact = task(stack)
    stack.connect.set_faults("TransferContact", script=["throttle"] * (MAX_ATTEMPTS * LAMBDA_ATTEMPTS))

    [event_id] = put_breaches(events, [contact])
    wait_idle(stack)

    assert transfers_of(stack, contact) == []
    assert_destination_record(stack, contact, event_id, "ThrottlingException")
    assert stack.aws.alerts() == []  # throttling is not a person's problem


# -- InternalServiceException: RETRY with an alert -----------------------------------------------------


def test_internal_error_api_answers_503_and_alerts(stack: LocalStack) -> None:
    contact = task(stack)
    stack.connect.set_faults("TransferContact", script=["internal"] * MAX_ATTEMPTS)

    answer = escalate(stack, contact)

    assert answer.status == 503
    assert answer.body["error"] == "UPSTREAM_UNAVAILABLE"
    assert answer.headers["Retry-After"] == "5"
    assert transfers_of(stack, contact) == []
    assert stack.dlq_records() == []  # RETRY: the desktop retries, nothing to redrive
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["_subject"] == "Escalation RETRY: InternalServiceException"
    assert alert["decision"] == "RETRY"
    assert alert["errorCode"] == "InternalServiceException"
    assert alert["operation"] == "TransferContact"
    assert alert["attempts"] == MAX_ATTEMPTS
    assert alert["trigger"] == "API"
    assert "Health Dashboard" in alert["whatToDo"]


def test_internal_error_event_retried_then_dead_lettered_with_alerts(stack: LocalStack, events: Any) -> None:
    contact = task(stack)
    stack.connect.set_faults("TransferContact", script=["internal"] * (MAX_ATTEMPTS * LAMBDA_ATTEMPTS))

    [event_id] = put_breaches(events, [contact])
    wait_idle(stack)

    assert transfers_of(stack, contact) == []
    assert_destination_record(stack, contact, event_id, "InternalServiceException")
    alerts = alerts_of(stack.aws.alerts(), contact)
    # One alert per failed invocation: Lambda's retries each meet the error.
    assert len(alerts) == LAMBDA_ATTEMPTS
    assert {alert["trigger"] for alert in alerts} == {"EVENT"}


# -- Connection dropped: RETRY without an alert --------------------------------------------------------


def test_dropped_connection_api_answers_503_without_alert(stack: LocalStack) -> None:
    contact = task(stack)
    stack.connect.set_faults("TransferContact", script=["drop"] * MAX_ATTEMPTS)

    answer = escalate(stack, contact)

    assert (answer.status, answer.error) == (503, "UPSTREAM_UNAVAILABLE")
    assert answer.headers["Retry-After"] == "5"
    assert transfers_of(stack, contact) == []
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []


def test_dropped_connection_event_is_retried_and_transferred_once(stack: LocalStack, events: Any) -> None:
    contact = task(stack)
    stack.connect.set_faults("TransferContact", script=["drop"] * MAX_ATTEMPTS)
    before = stack.bus.stats

    put_breaches(events, [contact])
    wait_idle(stack)

    assert stack.bus.stats.retries - before.retries == 1
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []


# -- ServiceQuotaExceededException: ALERT + DLQ --------------------------------------------------------


def test_transfer_limit_api_answers_409_with_alert_and_dlq_record(stack: LocalStack) -> None:
    contact = task(stack, transfer_count=11)

    answer = escalate(stack, contact)

    assert (answer.status, answer.error) == (409, "QUOTA_EXCEEDED")
    assert transfers_of(stack, contact) == []
    record = handler_record(stack, contact)
    assert record["decision"] == "ALERT"
    assert record["errorCode"] == "ServiceQuotaExceededException"
    assert record["attempts"] == 1  # not retried by botocore
    assert record["trigger"] == "API"
    # The API request is kept for replay, without the caller's credentials.
    headers = {name.lower() for name in record["originalEvent"]["headers"]}
    assert "authorization" not in headers
    assert record["originalEvent"]["body"]
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["_subject"] == "Escalation ALERT: ServiceQuotaExceededException"


def test_transfer_limit_event_is_dead_lettered_with_alert(stack: LocalStack, events: Any) -> None:
    contact = task(stack, transfer_count=11)
    before = stack.bus.stats

    [event_id] = put_breaches(events, [contact])
    wait_idle(stack)

    assert stack.bus.stats.retries == before.retries  # permanent: no Lambda retry
    assert transfers_of(stack, contact) == []
    record = handler_record(stack, contact)
    assert_event_record(record, event_id, contact)
    assert (record["decision"], record["errorCode"], record["attempts"]) == (
        "ALERT",
        "ServiceQuotaExceededException",
        1,
    )
    assert record["escalationId"] == event_escalation_id(contact)
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["decision"] == "ALERT"
    assert alert["escalationId"] == event_escalation_id(contact)
    assert "supervisor" in alert["whatToDo"]


# -- InvalidRequestException: DEAD_LETTER --------------------------------------------------------------


def test_unsupported_flow_type_api_answers_409_and_dead_letters(stack: LocalStack) -> None:
    contact = task(stack)

    answer = escalate(stack, contact, reason="WHISPER_FLOW")

    assert (answer.status, answer.error) == (409, "INVALID_REQUEST")
    assert transfers_of(stack, contact) == []
    record = handler_record(stack, contact)
    assert (record["decision"], record["errorCode"]) == ("DEAD_LETTER", "InvalidRequestException")
    assert "AGENT_WHISPER" in record["errorMessage"]
    assert stack.aws.alerts() == []


def test_unsupported_flow_type_event_is_dead_lettered(stack: LocalStack, events: Any) -> None:
    contact = task(stack)

    [event_id] = put_breaches(events, [contact], reason="WHISPER_FLOW")
    wait_idle(stack)

    record = handler_record(stack, contact)
    assert_event_record(record, event_id, contact)
    assert (record["decision"], record["errorCode"], record["attempts"]) == (
        "DEAD_LETTER",
        "InvalidRequestException",
        1,
    )
    assert transfers_of(stack, contact) == []
    assert stack.aws.alerts() == []


# -- ResourceNotFoundException for the target: ALERT + DLQ ---------------------------------------------


def test_missing_target_queue_api_answers_502_with_alert(stack: LocalStack) -> None:
    contact = task(stack)

    answer = escalate(stack, contact, reason="MISSING_QUEUE")

    assert (answer.status, answer.error) == (502, "TARGET_NOT_FOUND")
    record = handler_record(stack, contact)
    assert (record["decision"], record["errorCode"], record["failure"]) == (
        "ALERT",
        "ResourceNotFoundException",
        "ResourceNotFoundException:target",
    )
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert MISSING_QUEUE in alert["errorMessage"]
    assert "routing rules" in alert["whatToDo"]


def test_missing_target_queue_event_is_dead_lettered_with_alert(stack: LocalStack, events: Any) -> None:
    contact = task(stack)

    [event_id] = put_breaches(events, [contact], reason="MISSING_QUEUE")
    wait_idle(stack)

    record = handler_record(stack, contact)
    assert_event_record(record, event_id, contact)
    assert (record["decision"], record["failure"]) == ("ALERT", "ResourceNotFoundException:target")
    assert len(alerts_of(stack.aws.alerts(), contact)) == 1
    assert transfers_of(stack, contact) == []


# -- Unknown contact: 404 / DLQ CONTACT_NOT_FOUND ------------------------------------------------------


def test_unknown_contact_api_answers_404(stack: LocalStack) -> None:
    answer = escalate(stack, "00000000-dead-beef-0000-000000000000", token=SUPERVISOR)

    assert (answer.status, answer.error) == (404, "CONTACT_NOT_FOUND")
    assert stack.dlq_records() == []  # the API only answers: the desktop shows the error
    assert stack.aws.alerts() == []


def test_unknown_contact_event_is_dead_lettered_without_retry(stack: LocalStack, events: Any) -> None:
    contact = "00000000-dead-beef-0000-000000000001"
    before = stack.bus.stats

    [event_id] = put_breaches(events, [contact])
    wait_idle(stack)

    assert stack.bus.stats.retries == before.retries
    record = handler_record(stack, contact)
    assert_event_record(record, event_id, contact)
    assert (record["decision"], record["errorCode"], record["attempts"]) == (
        "DEAD_LETTER",
        "CONTACT_NOT_FOUND",
        0,
    )
    assert stack.aws.alerts() == []


# -- AccessDeniedException: ALERT + DLQ, redrive after the fix -----------------------------------------


def test_access_denied_api_answers_502_with_alert_and_dlq(stack: LocalStack) -> None:
    contact = task(stack)
    stack.connect.deny("TransferContact")
    try:
        answer = escalate(stack, contact)
    finally:
        stack.connect.allow("TransferContact")

    assert (answer.status, answer.error) == (502, "ACCESS_DENIED")
    record = handler_record(stack, contact)
    assert (record["decision"], record["errorCode"], record["attempts"]) == (
        "ALERT",
        "AccessDeniedException",
        1,
    )
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["_subject"] == "Escalation ALERT: AccessDeniedException"
    assert "IAM" in alert["whatToDo"]


def test_access_denied_event_dead_lettered_then_redriven_after_the_fix_transfers_once(
    stack: LocalStack, events: Any
) -> None:
    contact = task(stack)
    stack.connect.deny("TransferContact")
    try:
        [event_id] = put_breaches(events, [contact])
        wait_idle(stack)
    finally:
        stack.connect.allow("TransferContact")

    record = handler_record(stack, contact)
    assert_event_record(record, event_id, contact)
    assert (record["decision"], record["errorCode"]) == ("ALERT", "AccessDeniedException")
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["escalationId"] == event_escalation_id(contact)
    assert transfers_of(stack, contact) == []

    summary = redrive(stack.aws.dlq_url, stack.bus.function_name, RedriveOptions(wait_seconds=0))
    wait_idle(stack)

    assert (summary.redriven, summary.failed, summary.skipped) == (1, 0, 0)
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []
    # A second delivery of the same breach is answered from the idempotency record.
    put_breaches(events, [contact])
    wait_idle(stack)
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []


# -- IdempotencyException: DUPLICATE (already done) ----------------------------------------------------


def _transfer_taken_elsewhere(stack: LocalStack, contact: str, reason: str) -> None:
    """An earlier attempt of this escalation wrote its attributes and transferred with its ClientToken,
    to another queue (say the routing rules changed since), then crashed before its bookkeeping."""
    token = event_escalation_id(contact, reason)
    plain = connect_client(stack.connect.endpoint_url)
    plain.update_contact_attributes(
        InstanceId=INSTANCE_ID,
        InitialContactId=contact,
        Attributes={
            "escalationId": token,
            "escalationLevel": "1",
            "escalationReason": reason,
            "escalationTransferCount": "1",
        },
    )
    plain.transfer_contact(
        InstanceId=INSTANCE_ID,
        ContactId=contact,
        QueueId="queue-supervisors",
        ContactFlowId="flow-transfer-to-queue",
        ClientToken=token,
    )


def test_idempotency_conflict_api_answers_200_already_transferred(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    contact = task(stack)
    _transfer_taken_elsewhere(stack, contact, "CUSTOMER_UNHAPPY")
    capsys.readouterr()

    answer = escalate(stack, contact)

    assert answer.status == 200
    assert answer.body["status"] == "ALREADY_TRANSFERRED"
    assert answer.body["escalationId"] == event_escalation_id(contact, "CUSTOMER_UNHAPPY")
    assert emf_metrics(capsys.readouterr().out).get("DecisionDuplicate") == 1
    [only] = transfers_of(stack, contact)
    assert only["queue_id"] == "queue-supervisors"  # the earlier transfer, and no second one
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []


def test_idempotency_conflict_event_is_a_duplicate_not_a_failure(stack: LocalStack, events: Any) -> None:
    contact = task(stack)
    _transfer_taken_elsewhere(stack, contact, "SLA_BREACH")
    before = stack.bus.stats

    put_breaches(events, [contact])
    wait_idle(stack)

    after = stack.bus.stats
    assert (after.succeeded - before.succeeded, after.errors - before.errors) == (1, 0)
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []
