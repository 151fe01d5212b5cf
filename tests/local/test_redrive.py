"""tools.redrive: both DLQ record kinds go back through Invoke and are deleted; anything else stays."""

from __future__ import annotations

import json
from typing import Any

import pytest

from escalation.domain.policy import REFUSAL_POLICY, Decision, Refusal
from local.aws import LocalAws
from local.bus import LocalBus
from local.lambda_invoker import AsyncInvoker
from tests.local.helpers import RecordingHandler, lambda_client
from tools.redrive import (
    NEVER_FIXED_BY_REDRIVE,
    RedriveClients,
    RedriveOptions,
    UnrecognisedMessageError,
    extract_event,
    main,
    redrive,
)

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

    summary = redrive(aws.dlq_url, "escalation", RedriveOptions(wait_seconds=0))

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

    summary = redrive(aws.dlq_url, "escalation", RedriveOptions(dry_run=True, wait_seconds=0))

    assert (summary.received, summary.redriven, summary.skipped, summary.failed) == (3, 2, 1, 0)
    assert {o.outcome for o in summary.outcomes} == {"would-redrive", "skipped"}
    assert bus.wait_idle(5)
    assert handler.calls == []
    assert len(aws.peek_dlq()) == 3


@pytest.mark.usefixtures("env")
def test_max_limits_the_messages_taken(aws: LocalAws, bus: LocalBus, handler: RecordingHandler) -> None:
    fill_dlq(aws, *(json.dumps(DESTINATION_RECORD) for _ in range(3)))

    summary = redrive(aws.dlq_url, "escalation", RedriveOptions(max_messages=2, wait_seconds=0))

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
    assert "received 3, redriven 2, kept 0, skipped 1, failed 0" in out
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


def dead_letter_for(code: str, contact_id: str, decision: str = "DEAD_LETTER") -> str:
    breach = {**BREACH_EVENT, "detail": {"contactId": contact_id}}
    return json.dumps(
        {**DEAD_LETTER_RECORD, "errorCode": code, "decision": decision, "originalEvent": breach}
    )


class DeadLetteringAgain(RecordingHandler):
    """A handler that fails every redriven escalation again and records it again, as the real one does
    for an event whose cause a redrive cannot fix."""

    def __init__(self, aws: LocalAws) -> None:
        super().__init__()
        self._aws = aws

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        super().__call__(event, context)
        fill_dlq(self._aws, dead_letter_for("ACCESS_DENIED", event["detail"]["contactId"]))
        return {"status": "DEAD_LETTERED"}


@pytest.mark.usefixtures("env")
def test_run_handles_each_message_present_at_its_start_once_even_when_redriven_events_fail_again(
    aws: LocalAws,
) -> None:
    failing_again = DeadLetteringAgain(aws)
    fill_dlq(aws, *(dead_letter_for("ACCESS_DENIED", f"c-{n}") for n in range(4)))

    with LocalBus(AsyncInvoker(failing_again)) as bus:
        summary = redrive(
            aws.dlq_url,
            bus.function.function_name,
            RedriveOptions(wait_seconds=0),
            clients=RedriveClients(lambda_invoke=lambda_client(bus.endpoint_url)),
        )
        assert bus.wait_idle(5)

    assert (summary.received, summary.redriven) == (4, 4), "the records written meanwhile wait"
    assert len(failing_again.calls) == 4
    assert len(aws.peek_dlq()) == 4, "the four new records are visible again for the next run"


@pytest.mark.usefixtures("env")
def test_records_a_redrive_cannot_fix_are_kept_and_listed_unless_included(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_dlq(
        aws,
        dead_letter_for("INVALID_EVENT", "c-1"),
        dead_letter_for("FOREIGN_INSTANCE", "c-2"),
        dead_letter_for("CONTACT_NOT_FOUND", "c-3"),
        dead_letter_for("AGENT_UNAVAILABLE", "c-4"),
    )

    code = main(
        ["--queue-url", aws.dlq_url, "--function-name", bus.function.function_name, "--wait-seconds", "0"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "received 4, redriven 1, kept 3, skipped 0, failed 0" in out
    for unfixable in ("INVALID_EVENT", "FOREIGN_INSTANCE", "CONTACT_NOT_FOUND"):
        assert f"--include {unfixable}" in out, "each kept record says how to redrive it anyway"
    assert bus.wait_idle(5)
    assert [event["detail"]["contactId"] for event in handler.events] == ["c-4"]
    assert len(aws.peek_dlq()) == 3, "kept records stay in the queue"


@pytest.mark.usefixtures("env")
def test_include_redrives_the_named_code_only(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    fill_dlq(aws, dead_letter_for("CONTACT_NOT_FOUND", "c-1"), dead_letter_for("INVALID_EVENT", "c-2"))

    summary = redrive(
        aws.dlq_url,
        bus.function.function_name,
        RedriveOptions(include=frozenset({"CONTACT_NOT_FOUND"}), wait_seconds=0),
    )

    assert (summary.redriven, summary.kept) == (1, 1)
    assert bus.wait_idle(5)
    assert [event["detail"]["contactId"] for event in handler.events] == ["c-1"]


@pytest.mark.usefixtures("env")
def test_dry_run_lists_the_queue_grouped_by_error_code_and_decision(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_dlq(
        aws,
        dead_letter_for("ACCESS_DENIED", "c-1", "ALERT"),
        dead_letter_for("ACCESS_DENIED", "c-2", "ALERT"),
        dead_letter_for("CONTACT_NOT_FOUND", "c-3"),
        json.dumps(DESTINATION_RECORD),
    )

    code = main(
        [
            "--queue-url",
            aws.dlq_url,
            "--function-name",
            bus.function.function_name,
            "--dry-run",
            "--wait-seconds",
            "0",
        ]
    )

    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert ["2", "ACCESS_DENIED", "ALERT", "would-redrive"] in rows
    assert ["1", "CONTACT_NOT_FOUND", "DEAD_LETTER", "kept"] in rows
    assert ["1", "RuntimeError", "RETRY", "would-redrive"] in rows, (
        "a destination record: Lambda's retries ran out"
    )
    assert handler.calls == []
    assert len(aws.peek_dlq()) == 4


def test_codes_never_fixed_by_a_redrive_are_refusals_the_policy_dead_letters() -> None:
    for code in NEVER_FIXED_BY_REDRIVE:
        assert REFUSAL_POLICY[Refusal(code)].event_decision is Decision.DEAD_LETTER
