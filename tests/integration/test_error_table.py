"""Every row of the error table (tests/error_table.py), produced by the Connect emulator through the real
boto3 client, for both triggers, landing in the decision the table promises.

API: the status and `{"error", "message"}` body, Retry-After on RETRY; events: Lambda retries (RETRY
raises), the handler's own DLQ record or the on-failure destination record; alerts where the table says.
A few scenarios beyond one row follow: a retry after the fault clears, a refilled quota, a redrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from escalation.adapters.dynamodb_ledger import DynamoDbLedger
from escalation.domain.ledger import LedgerEntry, LedgerStatus
from escalation.domain.model import Target, TargetType, Trigger
from escalation.record_mac import MAC_ALGORITHM, event_message, mac_in_error_message
from local.connect_emulator import AccessRule, FaultPlan, QuotaPlan
from local.connect_emulator.testing import connect_client
from local.stack import INSTANCE_ID, LocalStack
from tests.error_table import ERROR_ROWS, ERROR_TABLE, ErrorRow
from tests.integration.conftest import MAX_ATTEMPTS
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
    message = record["responsePayload"]["errorMessage"]
    assert message.startswith(f"{error} after {MAX_ATTEMPTS} attempt(s) [event-mac:"), message
    # Lambda copied the handler's error: the MAC of the very event it was invoked with, which KMS accepts.
    mac = mac_in_error_message(message)
    assert mac is not None
    stack.aws.kms().verify_mac(
        Message=event_message(record["requestPayload"]),
        Mac=mac,
        KeyId=stack.aws.mac_key_id,
        MacAlgorithm=MAC_ALGORITHM,
    )


def _transfer_taken_elsewhere(stack: LocalStack, contact: str, reason: str) -> None:
    """An earlier attempt of this escalation recorded its plan in the ledger, then its ClientToken took a
    transfer to another queue than planned (say the routing rules changed in between), and it crashed
    before its bookkeeping."""
    token = event_escalation_id(contact, reason)
    at = datetime.now(UTC).isoformat()
    planned = Target(TargetType.QUEUE, "queue-tier2", "flow-transfer-to-queue")
    pending = LedgerEntry(
        contact, token, contact, Trigger.API, reason, "alice", LedgerStatus.PENDING, at, at, 1, planned
    )
    DynamoDbLedger(stack.aws.dynamodb(), stack.aws.ledger_table, retention_days=1).save(pending)
    plain = connect_client(stack.connect.endpoint_url)
    plain.transfer_contact(
        InstanceId=INSTANCE_ID,
        ContactId=contact,
        QueueId="queue-supervisors",
        ContactFlowId="flow-transfer-to-queue",
        ClientToken=token,
    )


# -- how each row is produced ---------------------------------------------------------------------------

UNKNOWN_CONTACT = "00000000-dead-beef-0000-00000000000"  # + a digit per trigger


@dataclass(frozen=True)
class Provoked:
    contact: str
    reason: str | None = None  # None: the trigger's default (CUSTOMER_UNHAPPY for the API, SLA_BREACH)
    token: str = ALICE


# A seed sets the emulator up for one row and yields what to escalate; leaving it undoes the setup.
Seed = Callable[[LocalStack], AbstractContextManager[Provoked]]


@contextmanager
def _throttled_api(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    stack.connect.set_faults(FaultPlan("TransferContact", script=["throttle"] * MAX_ATTEMPTS))
    yield Provoked(contact)


@contextmanager
def _throttled_event(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    stack.connect.set_faults(
        FaultPlan("TransferContact", script=["throttle"] * (MAX_ATTEMPTS * LAMBDA_ATTEMPTS))
    )
    yield Provoked(contact)


@contextmanager
def _internal_api(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    stack.connect.set_faults(FaultPlan("TransferContact", script=["internal"] * MAX_ATTEMPTS))
    yield Provoked(contact)


@contextmanager
def _internal_event(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    stack.connect.set_faults(
        FaultPlan("TransferContact", script=["internal"] * (MAX_ATTEMPTS * LAMBDA_ATTEMPTS))
    )
    yield Provoked(contact)


@contextmanager
def _dropped(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    stack.connect.set_faults(FaultPlan("TransferContact", script=["drop"] * MAX_ATTEMPTS))
    yield Provoked(contact)


@contextmanager
def _transfer_limit(stack: LocalStack) -> Iterator[Provoked]:
    yield Provoked(task(stack, transfer_count=11))


@contextmanager
def _unsupported_flow_type(stack: LocalStack) -> Iterator[Provoked]:
    yield Provoked(task(stack), reason="WHISPER_FLOW")


@contextmanager
def _unknown_contact_api(_stack: LocalStack) -> Iterator[Provoked]:
    yield Provoked(UNKNOWN_CONTACT + "0", token=SUPERVISOR)


@contextmanager
def _unknown_contact_event(_stack: LocalStack) -> Iterator[Provoked]:
    yield Provoked(UNKNOWN_CONTACT + "1")


@contextmanager
def _missing_target_queue(stack: LocalStack) -> Iterator[Provoked]:
    yield Provoked(task(stack), reason="MISSING_QUEUE")


@contextmanager
def _access_denied(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    stack.connect.deny(AccessRule("TransferContact"))
    try:
        yield Provoked(contact)
    finally:
        stack.connect.allow(AccessRule("TransferContact"))


@contextmanager
def _taken_elsewhere_api(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    _transfer_taken_elsewhere(stack, contact, "CUSTOMER_UNHAPPY")
    yield Provoked(contact)


@contextmanager
def _taken_elsewhere_event(stack: LocalStack) -> Iterator[Provoked]:
    contact = task(stack)
    _transfer_taken_elsewhere(stack, contact, "SLA_BREACH")
    yield Provoked(contact)


API_SEEDS: dict[str, Seed] = {
    "THROTTLED": _throttled_api,
    "INTERNAL": _internal_api,
    "CONNECTION": _dropped,
    "QUOTA_EXCEEDED": _transfer_limit,
    "INVALID_REQUEST": _unsupported_flow_type,
    "CONTACT_NOT_FOUND": _unknown_contact_api,
    "TARGET_NOT_FOUND": _missing_target_queue,
    "ACCESS_DENIED": _access_denied,
    "IDEMPOTENCY_CONFLICT": _taken_elsewhere_api,
}
EVENT_SEEDS: dict[str, Seed] = {
    **API_SEEDS,
    "THROTTLED": _throttled_event,
    "INTERNAL": _internal_event,
    "CONTACT_NOT_FOUND": _unknown_contact_event,
    "IDEMPOTENCY_CONFLICT": _taken_elsewhere_event,
}
# The emulator answers no error code Connect does not document, so OTHER is held to the table in the
# unit tests only.
NOT_PRODUCIBLE = {"OTHER"}
# UpdateContactRoutingData's rows: the in-queue escalation's own tests (test_in_queue.py) play them
# through the emulator on a waiting voice contact; these seeds transfer tasks.
NOT_PRODUCIBLE |= {"RESOURCE_CONFLICT", "INVALID_PARAMETER", "INACTIVE_REGION"}
# Event seeds that fail every invocation Lambda makes, so the on-failure destination takes the event.
EXHAUST_LAMBDAS_RETRIES = {"THROTTLED", "INTERNAL"}
PRODUCIBLE = [row for row in ERROR_TABLE if row.failure not in NOT_PRODUCIBLE]


def test_every_row_is_produced_but_those_the_emulator_cannot_answer() -> None:
    assert set(API_SEEDS) == set(EVENT_SEEDS) == {row.failure for row in PRODUCIBLE}
    assert NOT_PRODUCIBLE.issubset(ERROR_ROWS)


@pytest.mark.parametrize("row", PRODUCIBLE, ids=[row.failure for row in PRODUCIBLE])
def test_an_api_request_meeting_the_row_is_answered_recorded_and_alerted_as_the_table_says(
    stack: LocalStack, row: ErrorRow, capsys: pytest.CaptureFixture[str]
) -> None:
    with API_SEEDS[row.failure](stack) as provoked:
        reason = provoked.reason or "CUSTOMER_UNHAPPY"
        capsys.readouterr()
        answer = escalate(stack, provoked.contact, reason, provoked.token)
    decisions = emf_metrics(capsys.readouterr().out)

    assert answer.status == row.api_status
    if row.api_status == 200:
        assert answer.body["status"] == row.api_code
        assert answer.body["escalationId"] == event_escalation_id(provoked.contact, reason)
        assert decisions.get("DecisionDuplicate") == 1
        # The earlier transfer, and no second one.
        [only] = transfers_of(stack, provoked.contact)
        assert only["queue_id"] == "queue-supervisors"
    else:
        assert answer.error == row.api_code
        assert answer.body["message"]
        assert transfers_of(stack, provoked.contact) == []
    assert answer.headers.get("Retry-After") == (str(row.retry_after) if row.retry_after else None)

    if row.api_dead_letter:
        record = handler_record(stack, provoked.contact)
        assert (record["decision"], record["errorCode"]) == (row.decision, row.connect_error)
        assert (record["trigger"], record["attempts"]) == ("API", 1)  # not retried by botocore
        # The API request is kept for replay, without the caller's credentials.
        headers = {name.lower() for name in record["originalEvent"]["headers"]}
        assert "authorization" not in headers
        assert record["originalEvent"]["body"]
    else:
        assert stack.dlq_records() == []  # RETRY: the desktop retries; otherwise the desktop shows it
    alerts = stack.aws.alerts()
    if row.alert:
        [alert] = alerts_of(alerts, provoked.contact)
        assert alert["_subject"] == f"Escalation {row.decision}: {row.connect_error}"
        assert (alert["decision"], alert["errorCode"], alert["trigger"]) == (
            row.decision,
            row.connect_error,
            "API",
        )
        assert alert["operation"] == row.operation
        assert alert["attempts"] == (MAX_ATTEMPTS if row.retried else 1)
        assert alert["whatToDo"]
    else:
        assert alerts == []


@pytest.mark.parametrize("row", PRODUCIBLE, ids=[row.failure for row in PRODUCIBLE])
def test_a_breach_event_meeting_the_row_is_retried_recorded_and_alerted_as_the_table_says(
    stack: LocalStack, events: Any, row: ErrorRow
) -> None:
    before = stack.bus.stats
    with EVENT_SEEDS[row.failure](stack) as provoked:
        reason = {"reason": provoked.reason} if provoked.reason else {}
        [event_id] = put_breaches(events, [provoked.contact], **reason)
        wait_idle(stack)
    after = stack.bus.stats
    escalation = event_escalation_id(provoked.contact, provoked.reason or "SLA_BREACH")
    failed_invocations = after.errors - before.errors
    alerts = alerts_of(stack.aws.alerts(), provoked.contact)

    if row.retried:
        # RETRY raises, so Lambda runs the event again; the handler writes no record of its own.
        assert after.retries - before.retries >= 1
        if row.failure in EXHAUST_LAMBDAS_RETRIES:
            assert transfers_of(stack, provoked.contact) == []
            assert_destination_record(stack, provoked.contact, event_id, str(row.connect_error))
        else:
            assert len(transfers_of(stack, provoked.contact)) == 1
            assert stack.dlq_records() == []
        # Each of Lambda's attempts meets the error, but the escalation is alerted once per window.
        assert len(alerts) == (min(failed_invocations, 1) if row.alert else 0)
        assert {alert["trigger"] for alert in alerts} <= {"EVENT"}
        return

    assert after.retries == before.retries  # permanent, or done: no Lambda retry
    assert failed_invocations == 0
    if row.dead_letter:
        record = handler_record(stack, provoked.contact)
        assert_event_record(record, event_id, provoked.contact)
        assert record["decision"] == row.decision
        assert record["escalationId"] == escalation
        if row.operation == "TransferContact":
            assert (record["errorCode"], record["attempts"]) == (
                row.connect_error,
                1,
            )  # not retried by botocore
        else:
            assert (record["errorCode"], record["attempts"]) == (
                row.api_code,
                0,
            )  # refused before any transfer
        assert transfers_of(stack, provoked.contact) == []
    else:
        assert stack.dlq_records() == []
        assert len(transfers_of(stack, provoked.contact)) == 1  # DUPLICATE: the earlier transfer only
    assert len(alerts) == (1 if row.alert else 0)
    if row.alert:
        assert (alerts[0]["decision"], alerts[0]["escalationId"]) == (row.decision, escalation)


# -- beyond one row -----------------------------------------------------------------------------------


def test_throttled_api_answers_429_with_retry_after_and_a_retry_transfers_once(stack: LocalStack) -> None:
    contact = task(stack)
    stack.connect.set_faults(FaultPlan("TransferContact", script=["throttle"] * MAX_ATTEMPTS))

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
    stack.connect.set_quota(QuotaPlan(0.0, 1, "TransferContact"))
    other = connect_client(stack.connect.endpoint_url)
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.transfer_contact(
            InstanceId=INSTANCE_ID, ContactId="no-such-contact", ContactFlowId="flow-transfer-to-queue"
        )

    answer = escalate(stack, contact)
    assert (answer.status, answer.error, answer.headers.get("Retry-After")) == (429, "THROTTLED", "2")
    assert stack.connect.stats()["throttled"]["TransferContact"] >= MAX_ATTEMPTS
    assert transfers_of(stack, contact) == []

    stack.connect.set_quota(QuotaPlan(None, 5, "TransferContact"))
    assert escalate(stack, contact).status == 200
    assert len(transfers_of(stack, contact)) == 1


def test_throttled_event_is_retried_by_lambda_and_transferred_when_the_fault_clears(
    stack: LocalStack, events: Any
) -> None:
    contact = task(stack)
    # The first invocation uses up its attempts; the second meets one more throttle, then success.
    stack.connect.set_faults(FaultPlan("TransferContact", script=["throttle"] * (MAX_ATTEMPTS + 1)))
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


def test_access_denied_event_dead_lettered_then_redriven_after_the_fix_transfers_once(
    stack: LocalStack, events: Any
) -> None:
    contact = task(stack)
    stack.connect.deny(AccessRule("TransferContact"))
    try:
        [event_id] = put_breaches(events, [contact])
        wait_idle(stack)
    finally:
        stack.connect.allow(AccessRule("TransferContact"))

    record = handler_record(stack, contact)
    assert_event_record(record, event_id, contact)
    assert (record["decision"], record["errorCode"]) == ("ALERT", "AccessDeniedException")
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["escalationId"] == event_escalation_id(contact)
    assert transfers_of(stack, contact) == []

    summary = redrive(
        stack.aws.dlq_url,
        stack.bus.function.function_name,
        RedriveOptions(wait_seconds=0, mac_key_id=stack.aws.mac_key_id),
    )
    wait_idle(stack)

    assert (summary.redriven, summary.failed, summary.skipped) == (1, 0, 0)
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []
    # A second delivery of the same breach is answered from the idempotency record.
    put_breaches(events, [contact])
    wait_idle(stack)
    assert len(transfers_of(stack, contact)) == 1
    assert stack.dlq_records() == []


def test_an_escalation_redriven_into_the_same_failure_alerts_once(stack: LocalStack, events: Any) -> None:
    contact = task(stack)
    stack.connect.deny(AccessRule("TransferContact"))
    try:
        put_breaches(events, [contact])
        wait_idle(stack)
        for _ in range(3):
            summary = redrive(
                stack.aws.dlq_url,
                stack.bus.function.function_name,
                RedriveOptions(wait_seconds=0, mac_key_id=stack.aws.mac_key_id),
            )
            wait_idle(stack)
            assert summary.redriven == 1
    finally:
        stack.connect.allow(AccessRule("TransferContact"))

    # Each failure is dead-lettered again (the last one waits in the DLQ), but a person is paged once.
    record = handler_record(stack, contact)
    assert (record["decision"], record["errorCode"]) == ("ALERT", "AccessDeniedException")
    [alert] = alerts_of(stack.aws.alerts(), contact)
    assert alert["escalationId"] == event_escalation_id(contact)
    assert transfers_of(stack, contact) == []
