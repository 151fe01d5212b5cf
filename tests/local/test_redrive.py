"""tools.redrive: both DLQ record kinds go back through Invoke and are deleted; anything else stays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.aws import LocalAws
from local.bus import LocalBus
from tests.local.helpers import RecordingHandler
from tools.redrive import UnrecognisedMessageError, extract_event, main, redrive

pytestmark = pytest.mark.integration

BREACH_EVENT = {
    "version": "0",
    "id": "ev-1",
    "detail-type": "Contact SLA Breached",
    "source": "escalation.sla",
    "account": "123456789012",
    "time": "2025-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"contactId": "c-1"},
}
API_EVENT = {"resource": "/escalations", "httpMethod": "POST", "body": '{"contactId": "c-2"}'}

DESTINATION_RECORD = {
    "version": "1.0",
    "timestamp": "2025-01-01T00:03:00.000Z",
    "requestContext": {
        "requestId": "r-1",
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:escalation:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    },
    "requestPayload": BREACH_EVENT,
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
    "responsePayload": {"errorMessage": "boom", "errorType": "RuntimeError"},
}
DEAD_LETTER_RECORD = {
    "kind": "escalation-dead-letter",
    "version": 1,
    "escalationId": "esc-2",
    "trigger": "API",
    "decision": "DEAD_LETTER",
    "errorCode": "ServiceQuotaExceededException",
    "errorMessage": "too many transfers",
    "attempts": 3,
    "contactId": "c-2",
    "failedAt": "2025-01-01T00:00:00Z",
    "originalEvent": API_EVENT,
}
GARBAGE = "this is not a record"


@pytest.fixture
def bus(handler: RecordingHandler) -> Iterator[LocalBus]:
    # No DLQ for the bus itself: what the handler does with a redriven event is not under test here.
    with LocalBus(handler) as running:
        yield running


@pytest.fixture
def env(aws: LocalAws, bus: LocalBus, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain boto3 clients, endpoints from the environment only: how an operator runs the tool."""
    for name, value in aws.client_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", bus.endpoint_url)


def fill_dlq(aws: LocalAws, *bodies: str) -> None:
    sqs = aws.sqs()
    for body in bodies:
        sqs.send_message(QueueUrl=aws.dlq_url, MessageBody=body)


def all_three(aws: LocalAws) -> None:
    fill_dlq(aws, json.dumps(DESTINATION_RECORD), json.dumps(DEAD_LETTER_RECORD), GARBAGE)


@pytest.mark.usefixtures("env")
def test_redrive_resubmits_both_kinds_and_keeps_garbage(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    all_three(aws)

    summary = redrive(aws.dlq_url, "escalation", wait_seconds=0)

    assert (summary.received, summary.redriven, summary.skipped, summary.failed) == (3, 2, 1, 0)
    assert summary.ok
    assert sorted(o.source or "-" for o in summary.outcomes) == ["-", "dead-letter", "destination"]
    assert bus.wait_idle(5)
    assert sorted(handler.events, key=json.dumps) == sorted([BREACH_EVENT, API_EVENT], key=json.dumps)
    assert bus.stats.async_accepted == 2, "re-submitted through asynchronous Invoke"
    assert [m.body for m in aws.peek_dlq()] == [GARBAGE], "redriven messages deleted, garbage kept visible"


@pytest.mark.usefixtures("env")
def test_dry_run_changes_nothing(aws: LocalAws, bus: LocalBus, handler: RecordingHandler) -> None:
    all_three(aws)

    summary = redrive(aws.dlq_url, "escalation", dry_run=True, wait_seconds=0)

    assert (summary.received, summary.redriven, summary.skipped, summary.failed) == (3, 2, 1, 0)
    assert {o.outcome for o in summary.outcomes} == {"would-redrive", "skipped"}
    assert bus.wait_idle(5)
    assert handler.calls == []
    assert len(aws.peek_dlq()) == 3


@pytest.mark.usefixtures("env")
def test_max_limits_the_messages_taken(aws: LocalAws, bus: LocalBus, handler: RecordingHandler) -> None:
    fill_dlq(aws, *(json.dumps(DESTINATION_RECORD) for _ in range(3)))

    summary = redrive(aws.dlq_url, "escalation", max_messages=2, wait_seconds=0)

    assert (summary.received, summary.redriven) == (2, 2)
    assert bus.wait_idle(5)
    assert len(handler.calls) == 2
    assert len(aws.peek_dlq()) == 1


@pytest.mark.usefixtures("env")
def test_cli_reports_and_exits_zero(aws: LocalAws, capsys: pytest.CaptureFixture[str]) -> None:
    all_three(aws)

    code = main(["--queue-url", aws.dlq_url, "--function-name", "escalation", "--wait-seconds", "0"])

    out = capsys.readouterr().out
    assert code == 0
    assert "received 3, redriven 2, skipped 1, failed 0" in out
    assert "skipped" in out
    assert GARBAGE not in out, "message bodies (customer data) are not printed"


@pytest.mark.usefixtures("env")
def test_cli_exits_non_zero_and_keeps_messages_when_invoke_fails(
    aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    all_three(aws)

    code = main(["--queue-url", aws.dlq_url, "--function-name", "no-such-function", "--wait-seconds", "0"])

    assert code == 1
    assert "failed 2" in capsys.readouterr().out
    assert len(aws.peek_dlq()) == 3, "nothing deleted, everything visible again"


def test_extract_event_recognises_both_kinds() -> None:
    assert extract_event(json.dumps(DESTINATION_RECORD)) == ("destination", BREACH_EVENT)
    assert extract_event(json.dumps(DEAD_LETTER_RECORD)) == ("dead-letter", API_EVENT)


@pytest.mark.parametrize(
    "body",
    [
        GARBAGE,
        "[]",
        json.dumps({"hello": "world"}),
        json.dumps({**DEAD_LETTER_RECORD, "originalEvent": None}),
        json.dumps({**DESTINATION_RECORD, "requestPayload": None}),
    ],
)
def test_extract_event_refuses_anything_else(body: Any) -> None:
    with pytest.raises(UnrecognisedMessageError):
        extract_event(body)
