"""tools.redrive: both DLQ record kinds, once their MAC verifies, go back through Invoke and are deleted;
anything else stays. The records here are signed with the local stack's HMAC key, as the handler signs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from escalation.domain.policy import REFUSAL_POLICY, Decision, Failure, Refusal
from escalation.record_mac import (
    MAC_ALGORITHM,
    MAC_FIELD,
    encode_mac,
    event_message,
    record_message,
    retry_error_message,
)
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
RECORDED_REQUEST = {
    "escalationId": "esc-2",
    "contactId": "c-2",
    "reason": "CUSTOMER_UNHAPPY",
    "requester": {"username": "alice", "groups": [], "connectUserId": "agent-alice"},
}
REDRIVE_EVENT = {"escalationRedrive": {"request": RECORDED_REQUEST, "operator": "oncall"}}

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
    "decision": "ALERT",
    "errorCode": "AccessDeniedException",
    "errorMessage": "not authorized",
    "attempts": 3,
    "contactId": "c-2",
    "failedAt": "2025-01-01T00:00:00Z",
    "originalEvent": API_EVENT,
    "request": RECORDED_REQUEST,
}
GARBAGE = "this is not a record"
OPTIONS = {"wait_seconds": 0, "operator": "oncall"}


def mac_of(aws: LocalAws, message: bytes, key_id: str | None = None) -> bytes:
    answer = aws.kms().generate_mac(
        Message=message, KeyId=key_id or aws.mac_key_id, MacAlgorithm=MAC_ALGORITHM
    )
    return answer["Mac"]


def signed(aws: LocalAws, record: dict[str, Any], key_id: str | None = None) -> dict[str, Any]:
    """A handler dead-letter record as the function writes it, or a destination record of a retry."""
    if "requestPayload" in record:
        error = retry_error_message(
            "ThrottlingException", mac_of(aws, event_message(record["requestPayload"]), key_id)
        )
        return {**record, "responsePayload": {**record["responsePayload"], "errorMessage": error}}
    return {**record, MAC_FIELD: encode_mac(mac_of(aws, record_message(record), key_id))}


def cli(aws: LocalAws, *extra: str) -> list[str]:
    return ["--mac-key-id", aws.mac_key_id, "--operator", "oncall", "--wait-seconds", "0", *extra]


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
    fill_dlq(
        aws, json.dumps(signed(aws, DESTINATION_RECORD)), json.dumps(signed(aws, DEAD_LETTER_RECORD)), GARBAGE
    )


@pytest.mark.usefixtures("env")
def test_redrive_resubmits_both_kinds_and_keeps_garbage(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    all_three(aws)

    summary = redrive(aws.dlq_url, "escalation", RedriveOptions(mac_key_id=aws.mac_key_id, **OPTIONS))

    assert (summary.received, summary.redriven, summary.skipped, summary.failed) == (3, 2, 1, 0)
    assert summary.ok
    assert sorted(o.source or "-" for o in summary.outcomes) == ["-", "dead-letter", "destination"]
    assert bus.wait_idle(5)
    # The API escalation comes back as its recorded request, never as the stored HTTP event.
    assert sorted(handler.events, key=json.dumps) == sorted([BREACH_EVENT, REDRIVE_EVENT], key=json.dumps)
    assert bus.stats.async_accepted == 2, "re-submitted through asynchronous Invoke"
    assert [m.body for m in aws.peek_dlq()] == [GARBAGE], "redriven messages deleted, garbage kept visible"


@pytest.mark.usefixtures("env")
def test_dry_run_changes_nothing(aws: LocalAws, bus: LocalBus, handler: RecordingHandler) -> None:
    all_three(aws)

    summary = redrive(
        aws.dlq_url, "escalation", RedriveOptions(dry_run=True, mac_key_id=aws.mac_key_id, **OPTIONS)
    )

    assert (summary.received, summary.redriven, summary.skipped, summary.failed) == (3, 2, 1, 0)
    assert {o.outcome for o in summary.outcomes} == {"would-redrive", "skipped"}
    assert bus.wait_idle(5)
    assert handler.calls == []
    assert len(aws.peek_dlq()) == 3


@pytest.mark.usefixtures("env")
def test_max_limits_the_messages_taken(aws: LocalAws, bus: LocalBus, handler: RecordingHandler) -> None:
    fill_dlq(aws, *(json.dumps(signed(aws, DESTINATION_RECORD)) for _ in range(3)))

    summary = redrive(
        aws.dlq_url, "escalation", RedriveOptions(max_messages=2, mac_key_id=aws.mac_key_id, **OPTIONS)
    )

    assert (summary.received, summary.redriven) == (2, 2)
    assert bus.wait_idle(5)
    assert len(handler.calls) == 2
    assert len(aws.peek_dlq()) == 1


@pytest.mark.usefixtures("env")
def test_cli_reports_and_exits_zero(aws: LocalAws, capsys: pytest.CaptureFixture[str]) -> None:
    all_three(aws)

    code = main(["--queue-url", aws.dlq_url, "--function-name", "escalation", *cli(aws)])

    out = capsys.readouterr().out
    assert code == 0
    assert "received 3, redriven 2, kept 0, refused 0, skipped 1, failed 0" in out
    assert "skipped" in out
    assert GARBAGE not in out, "message bodies (customer data) are not printed"


@pytest.mark.usefixtures("env")
def test_cli_exits_non_zero_and_keeps_messages_when_invoke_fails(
    aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    all_three(aws)

    code = main(["--queue-url", aws.dlq_url, "--function-name", "no-such-function", *cli(aws)])

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


def dead_letter_for(aws: LocalAws, code: str, contact_id: str, decision: str = "DEAD_LETTER") -> str:
    breach = {**BREACH_EVENT, "detail": {"contactId": contact_id}}
    record = {
        **DEAD_LETTER_RECORD,
        "trigger": "EVENT",
        "errorCode": code,
        "decision": decision,
        "originalEvent": breach,
    }
    del record["request"]
    return json.dumps(signed(aws, record))


class DeadLetteringAgain(RecordingHandler):
    """A handler that fails every redriven escalation again and records it again, as the real one does
    for an event whose cause a redrive cannot fix."""

    def __init__(self, aws: LocalAws) -> None:
        super().__init__()
        self._aws = aws

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        super().__call__(event, context)
        fill_dlq(self._aws, dead_letter_for(self._aws, "ACCESS_DENIED", event["detail"]["contactId"]))
        return {"status": "DEAD_LETTERED"}


@pytest.mark.usefixtures("env")
def test_run_handles_each_message_present_at_its_start_once_even_when_redriven_events_fail_again(
    aws: LocalAws,
) -> None:
    failing_again = DeadLetteringAgain(aws)
    fill_dlq(aws, *(dead_letter_for(aws, "ACCESS_DENIED", f"c-{n}") for n in range(4)))

    with LocalBus(AsyncInvoker(failing_again)) as bus:
        summary = redrive(
            aws.dlq_url,
            bus.function.function_name,
            RedriveOptions(mac_key_id=aws.mac_key_id, **OPTIONS),
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
        dead_letter_for(aws, "INVALID_EVENT", "c-1"),
        dead_letter_for(aws, "FOREIGN_INSTANCE", "c-2"),
        dead_letter_for(aws, "CONTACT_NOT_FOUND", "c-3"),
        dead_letter_for(aws, "AGENT_UNAVAILABLE", "c-4"),
    )

    code = main(["--queue-url", aws.dlq_url, "--function-name", bus.function.function_name, *cli(aws)])

    out = capsys.readouterr().out
    assert code == 0
    assert "received 4, redriven 1, kept 3, refused 0, skipped 0, failed 0" in out
    for unfixable in ("INVALID_EVENT", "FOREIGN_INSTANCE", "CONTACT_NOT_FOUND"):
        assert f"--include {unfixable}" in out, "each kept record says how to redrive it anyway"
    assert bus.wait_idle(5)
    assert [event["detail"]["contactId"] for event in handler.events] == ["c-4"]
    assert len(aws.peek_dlq()) == 3, "kept records stay in the queue"


@pytest.mark.usefixtures("env")
def test_include_redrives_the_named_code_only(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    fill_dlq(
        aws, dead_letter_for(aws, "CONTACT_NOT_FOUND", "c-1"), dead_letter_for(aws, "INVALID_EVENT", "c-2")
    )

    summary = redrive(
        aws.dlq_url,
        bus.function.function_name,
        RedriveOptions(include=frozenset({"CONTACT_NOT_FOUND"}), mac_key_id=aws.mac_key_id, **OPTIONS),
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
        dead_letter_for(aws, "ACCESS_DENIED", "c-1", "ALERT"),
        dead_letter_for(aws, "ACCESS_DENIED", "c-2", "ALERT"),
        dead_letter_for(aws, "CONTACT_NOT_FOUND", "c-3"),
        json.dumps(signed(aws, DESTINATION_RECORD)),
    )

    code = main(
        ["--queue-url", aws.dlq_url, "--function-name", bus.function.function_name, *cli(aws, "--dry-run")]
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


def test_codes_never_fixed_by_a_redrive_are_refusals_the_policy_dead_letters_or_the_transfer_limit() -> None:
    limits = {Refusal.TRANSFER_LIMIT_REACHED.value, Failure.QUOTA_EXCEEDED.value}
    for code in NEVER_FIXED_BY_REDRIVE - limits:
        assert REFUSAL_POLICY[Refusal(code)].event_decision is Decision.DEAD_LETTER
    assert limits <= NEVER_FIXED_BY_REDRIVE


MALLORY_API_EVENT = {
    "resource": "/escalations",
    "httpMethod": "POST",
    "requestContext": {
        "authorizer": {"claims": {"cognito:username": "mallory", "cognito:groups": "supervisors"}}
    },
    "body": '{"contactId": "c-9", "reason": "CUSTOMER_UNHAPPY"}',
}


def forged_records(aws: LocalAws) -> dict[str, dict[str, Any]]:
    other_key = aws.kms().create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"][
        "KeyId"
    ]
    breach = {**BREACH_EVENT, "detail": {"contactId": "c-9"}}
    event_record = {**DEAD_LETTER_RECORD, "trigger": "EVENT", "originalEvent": breach}
    del event_record["request"]
    good = signed(aws, event_record)
    return {
        "no MAC": event_record,
        "a MAC that is not base64": {**event_record, MAC_FIELD: "not base64!"},
        "altered after signing": {**good, "originalEvent": {**breach, "detail": {"contactId": "c-10"}}},
        "signed with another key": signed(aws, event_record, other_key),
        "a destination record without the event's MAC": DESTINATION_RECORD,
        "a destination record of another event": {
            **signed(aws, DESTINATION_RECORD),
            "requestPayload": breach,
        },
        # Signed, even: an HTTP event's claims are never read again, whoever wrote the record.
        "an API record without its recorded request": signed(
            aws, {k: v for k, v in DEAD_LETTER_RECORD.items() if k != "request"}
        ),
        "a destination record of an HTTP request": signed(
            aws, {**DESTINATION_RECORD, "requestPayload": MALLORY_API_EVENT}
        ),
    }


@pytest.mark.usefixtures("env")
def test_forged_or_altered_records_are_refused_listed_and_kept_never_replayed(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = forged_records(aws)
    fill_dlq(aws, *(json.dumps(record) for record in forged.values()))

    code = main(["--queue-url", aws.dlq_url, "--function-name", bus.function.function_name, *cli(aws)])

    out = capsys.readouterr().out
    assert code == 1, "a refused record makes the run fail"
    assert f"received {len(forged)}, redriven 0, kept 0, refused {len(forged)}" in out
    assert bus.wait_idle(5)
    assert handler.calls == [], "nothing forged reached the function"
    assert len(aws.peek_dlq()) == len(forged), "refused records stay for a person to look at"
    assert "MAC does not verify with the stack's key" in out
    assert "no MAC" in out


@pytest.mark.usefixtures("env")
def test_a_dry_run_verifies_too(aws: LocalAws, bus: LocalBus, handler: RecordingHandler) -> None:
    fill_dlq(aws, json.dumps(DEAD_LETTER_RECORD), json.dumps(signed(aws, DEAD_LETTER_RECORD)))

    summary = redrive(
        aws.dlq_url,
        bus.function.function_name,
        RedriveOptions(dry_run=True, mac_key_id=aws.mac_key_id, **OPTIONS),
    )

    assert sorted(o.outcome for o in summary.outcomes) == ["refused", "would-redrive"]
    assert handler.calls == []


@pytest.mark.usefixtures("env")
def test_an_api_escalation_is_replayed_as_its_recorded_request_by_the_named_operator(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    # Even a record whose stored HTTP event claims a supervisor: the recorded requester is what goes back.
    record = signed(aws, {**DEAD_LETTER_RECORD, "originalEvent": MALLORY_API_EVENT})
    fill_dlq(aws, json.dumps(record))

    summary = redrive(
        aws.dlq_url, bus.function.function_name, RedriveOptions(mac_key_id=aws.mac_key_id, **OPTIONS)
    )

    assert summary.redriven == 1
    assert bus.wait_idle(5)
    ((event, _),) = handler.calls
    assert event == {"escalationRedrive": {"request": RECORDED_REQUEST, "operator": "oncall"}}
    assert "mallory" not in json.dumps(event)


@pytest.mark.usefixtures("env")
def test_control_characters_in_a_record_are_escaped_in_everything_printed(
    aws: LocalAws, bus: LocalBus, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_all_clear = "X\n    0  ALL CLEAR\x1b[32m\rreceived 0, redriven 0\x1b[0m\u2028"
    fill_dlq(aws, json.dumps({**DEAD_LETTER_RECORD, "errorCode": fake_all_clear, "decision": "\x1b[2J"}))

    main(["--queue-url", aws.dlq_url, "--function-name", bus.function.function_name, *cli(aws, "--dry-run")])

    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream
        assert "\r" not in stream
        assert "\u2028" not in stream
        assert "ALL CLEAR" not in "".join(
            line for line in stream.splitlines() if line.lstrip().startswith("0  ")
        )
    assert "X\\n    0  ALL CLEAR\\x1b[32m\\r" in captured.out, "the text is shown, escaped, on one line"


@pytest.mark.usefixtures("env")
def test_the_transfer_limit_is_kept_like_the_other_records_a_redrive_cannot_fix(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    fill_dlq(
        aws,
        dead_letter_for(aws, "TRANSFER_LIMIT_REACHED", "c-1", "ALERT"),
        dead_letter_for(aws, "ServiceQuotaExceededException", "c-2", "ALERT"),
        dead_letter_for(aws, "AccessDeniedException", "c-3", "ALERT"),
    )

    summary = redrive(
        aws.dlq_url, bus.function.function_name, RedriveOptions(mac_key_id=aws.mac_key_id, **OPTIONS)
    )

    assert (summary.redriven, summary.kept) == (1, 2)
    assert bus.wait_idle(5)
    assert [event["detail"]["contactId"] for event in handler.events] == ["c-3"]
    assert len(aws.peek_dlq()) == 2
