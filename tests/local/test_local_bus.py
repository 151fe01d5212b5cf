"""local.bus: PutEvents and Invoke through real boto3 clients, and Lambda's asynchronous invocation model."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from escalation.contract import (
    ASYNC_MAX_EVENT_AGE_SECONDS,
    ASYNC_RETRY_ATTEMPTS,
    CONTACT_EVENT_DETAIL_TYPE,
    CONTACT_EVENT_SOURCE,
    SLA_BREACH_DETAIL_TYPE,
    SLA_BREACH_EVENT_PATTERN,
    SLA_BREACH_SOURCE,
    contact_event_pattern,
)
from local.aws import LocalAws
from local.bus import AsyncInvoker, BusOptions, LocalBus, event_rule, matches
from local.lambda_context import FunctionConfig, new_context
from local.stack import StackOptions, function_config
from tests.local.helpers import RecordingHandler, events_client, lambda_client

pytestmark = pytest.mark.integration

FAST_RETRIES = (0.05, 0.1)


@pytest.fixture
def bus_function() -> FunctionConfig:
    return FunctionConfig(reserved_concurrency=2, retry_delays=FAST_RETRIES)


@pytest.fixture
def bus_options(aws: LocalAws) -> BusOptions:
    """On-failure records to the session's DLQ."""
    return BusOptions(dlq_url=aws.dlq_url, sqs_client=aws.sqs())


def breach(detail: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    entry = {
        "Source": SLA_BREACH_SOURCE,
        "DetailType": SLA_BREACH_DETAIL_TYPE,
        "Detail": json.dumps(detail if detail is not None else {"contactId": "c-1"}),
    }
    entry.update(overrides)
    return entry


# -- pattern matcher (moto's, pinned to what the stack's rules need) --------------------------------


def test_matcher_follows_eventbridge_rules() -> None:
    event = {
        "source": "escalation.sla",
        "detail-type": "Contact SLA Breached",
        "resources": ["arn:a", "arn:b"],
        "detail": {"channel": "TASK", "level": 2, "urgent": True, "note": None, "queue": {"id": "q-1"}},
    }
    assert matches(SLA_BREACH_EVENT_PATTERN, event)
    assert matches({"source": ["other", "escalation.sla"]}, event)
    assert matches({"resources": ["arn:b"]}, event), "an array field matches on any element"
    assert matches({"detail": {"queue": {"id": ["q-1"]}, "channel": ["TASK", "EMAIL"]}}, event)
    assert matches({"detail": {"level": [2.0], "urgent": [True], "note": [None]}}, event)
    assert matches({"detail": {"channel": [{"prefix": "TA"}], "missing": [{"exists": False}]}}, event)
    assert matches({"detail": {"channel": [{"exists": True}]}}, event)

    assert not matches({"source": ["escalation.SLA"]}, event), "values are case-sensitive"
    assert not matches({"detail": {"level": ["2"]}}, event), "a string is not a number"
    assert not matches({"detail": {"missing": [None]}}, event), "null does not match a missing field"
    assert not matches({"detail": {"channel": {"nested": ["x"]}}}, event)
    assert not matches({"detail": {"queue": ["q-1"]}}, event)


def test_equals_ignore_case_matches_a_string_equal_but_for_case() -> None:
    pattern = {"detail": {"channel": [{"equals-ignore-case": "task"}, {"equals-ignore-case": "EMAIL"}]}}

    for same in ("TASK", "Task", "task", "Email", ["VOICE", "email"]):
        assert matches(pattern, {"detail": {"channel": same}}), same
    for other in ("VOICE", "TASKS", "TAS", None, 5):
        assert not matches(pattern, {"detail": {"channel": other}}), other
    assert not matches(pattern, {"detail": {}}), "a missing field matches no value"


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        {"source": "escalation.sla"},
        {"source": []},
    ],
)
def test_a_pattern_eventbridge_refuses_is_refused(pattern: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"."):
        event_rule(pattern)


# -- PutEvents --------------------------------------------------------------------------------------


def test_matching_event_reaches_the_handler_and_others_are_dropped(
    bus: LocalBus, handler: RecordingHandler
) -> None:
    events = events_client(bus.endpoint_url)

    answer = events.put_events(
        Entries=[
            breach({"contactId": "c-1"}, Resources=["arn:aws:connect:contact/c-1"]),
            {"Source": "escalation.other", "DetailType": SLA_BREACH_DETAIL_TYPE, "Detail": "{}"},
            {"Source": SLA_BREACH_SOURCE, "DetailType": "Something Else", "Detail": "{}"},
        ]
    )

    assert answer["FailedEntryCount"] == 0
    assert all("EventId" in e for e in answer["Entries"])
    assert bus.wait_idle(5)
    event, context = handler.only_call()
    assert event["id"] == answer["Entries"][0]["EventId"]
    assert event["version"] == "0"
    assert event["source"] == SLA_BREACH_SOURCE
    assert event["detail-type"] == SLA_BREACH_DETAIL_TYPE
    assert event["detail"] == {"contactId": "c-1"}
    assert event["resources"] == ["arn:aws:connect:contact/c-1"]
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["time"].endswith("Z")
    assert context.function_name == "escalation"
    stats = bus.stats
    assert (stats.events_received, stats.events_matched, stats.events_dropped) == (3, 1, 2)
    assert (stats.invocations, stats.succeeded, stats.failures) == (1, 1, 0)


def test_invalid_entries_are_reported_per_entry(bus: LocalBus, handler: RecordingHandler) -> None:
    answer = events_client(bus.endpoint_url).put_events(
        Entries=[
            breach(),
            breach(Detail="not json"),
            breach(Detail="[1]"),
            breach(Source="aws.connect"),
            breach(EventBusName="some-other-bus"),
        ]
    )

    assert answer["FailedEntryCount"] == 4
    codes = [e.get("ErrorCode") for e in answer["Entries"]]
    assert codes == [
        None,
        "MalformedDetail",
        "MalformedDetail",
        "NotAuthorizedForSourceException",
        "InvalidArgument",
    ]
    assert bus.wait_idle(5)
    assert len(handler.calls) == 1
    assert bus.stats.events_rejected == 4


INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/i-1"


def contact_event(instance_arn: str = INSTANCE_ARN) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e-1",
        "source": CONTACT_EVENT_SOURCE,
        "detail-type": CONTACT_EVENT_DETAIL_TYPE,
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2026-01-01T00:00:00Z",
        "resources": [],
        "detail": {"eventType": "QUEUED", "contactId": "c-1", "channel": "TASK", "instanceArn": instance_arn},
    }


def test_a_second_rule_routes_aws_events_published_internally_but_put_events_refuses_them(
    bus: LocalBus, handler: RecordingHandler
) -> None:
    bus.add_rule(contact_event_pattern(INSTANCE_ARN))

    bus.publish(contact_event())
    bus.publish(contact_event("arn:aws:connect:us-east-1:123456789012:instance/another"))
    refused = events_client(bus.endpoint_url).put_events(
        Entries=[
            breach(Source=CONTACT_EVENT_SOURCE, DetailType=CONTACT_EVENT_DETAIL_TYPE),
            breach({"contactId": "c-2"}),
        ]
    )

    assert [e.get("ErrorCode") for e in refused["Entries"]] == ["NotAuthorizedForSourceException", None]
    assert bus.wait_idle(5)
    seen = sorted((event["source"], event["detail"]["contactId"]) for event, _ in handler.calls)
    assert seen == [(CONTACT_EVENT_SOURCE, "c-1"), (SLA_BREACH_SOURCE, "c-2")], "each rule still routes"
    stats = bus.stats
    assert (stats.events_received, stats.events_matched, stats.events_dropped) == (3, 2, 1)


def test_each_matching_rule_invokes_the_target(bus: LocalBus, handler: RecordingHandler) -> None:
    bus.add_rule({"source": [SLA_BREACH_SOURCE]})

    events_client(bus.endpoint_url).put_events(Entries=[breach()])

    assert bus.wait_idle(5)
    assert len(handler.calls) == 2


def test_more_than_ten_entries_is_a_validation_error(bus: LocalBus) -> None:
    with pytest.raises(ClientError) as caught:
        events_client(bus.endpoint_url).put_events(Entries=[breach() for _ in range(11)])
    assert caught.value.response["Error"]["Code"] == "ValidationException"


# -- asynchronous invocations -----------------------------------------------------------------------


def test_failing_event_is_tried_three_times_then_recorded_in_the_dlq(
    bus: LocalBus, handler: RecordingHandler, aws: LocalAws
) -> None:
    events_client(bus.endpoint_url).put_events(Entries=[breach({"contactId": "c-9", "fail": True})])

    assert bus.wait_idle(5)
    assert len(handler.calls) == 3
    request_ids = {context.aws_request_id for _, context in handler.calls}
    assert len(request_ids) == 1, "Lambda's retries keep the request id"
    contexts = [context for _, context in handler.calls]
    assert len({id(c) for c in contexts}) == 3, "each attempt gets a fresh context"

    [message] = aws.peek_dlq()
    record = message.json()
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_ids.pop(),
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:escalation:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert all(event == record["requestPayload"] for event in handler.events)
    assert record["requestPayload"]["detail"] == {"contactId": "c-9", "fail": True}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "planned failure on call 3"
    stats = bus.stats
    assert (stats.invocations, stats.errors, stats.retries, stats.failures) == (3, 3, 2, 1)
    assert stats.destination_records == 1
    assert bus.invoker.destination_records == [record]


def test_transient_failure_succeeds_on_retry(bus: LocalBus, handler: RecordingHandler, aws: LocalAws) -> None:
    handler.fail_times = 1
    events_client(bus.endpoint_url).put_events(Entries=[breach()])

    assert bus.wait_idle(5)
    assert len(handler.calls) == 2
    assert (bus.stats.retries, bus.stats.succeeded, bus.stats.failures) == (1, 1, 0)
    assert aws.peek_dlq() == []


def test_event_older_than_the_maximum_age_is_given_up(handler: RecordingHandler) -> None:
    records: list[dict[str, Any]] = []
    function = FunctionConfig(retry_delays=(0.3,), max_event_age_seconds=0.1)
    invoker = AsyncInvoker(handler, function, on_failure=records.append).start()
    try:
        invoker.submit({"fail": True})
        assert invoker.wait_idle(5)
    finally:
        invoker.stop()

    assert len(handler.calls) == 1  # the retry came due after the event had expired
    [record] = records
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert invoker.destination_records == records
    assert invoker.stats.expired == 1


def test_local_function_retries_and_ages_events_as_the_stack_configures_it() -> None:
    function = function_config(StackOptions())

    assert len(function.retry_delays) == ASYNC_RETRY_ATTEMPTS
    assert function.max_event_age_seconds == ASYNC_MAX_EVENT_AGE_SECONDS
    with pytest.raises(ValueError, match="at most twice"):
        FunctionConfig(retry_delays=(1.0, 2.0, 3.0))


def test_handler_overrunning_its_timeout_counts_as_a_failure(handler: RecordingHandler) -> None:
    handler.sleep = 0.1
    records: list[dict[str, Any]] = []
    function = FunctionConfig(retry_delays=(), timeout_seconds=0.02)
    invoker = AsyncInvoker(handler, function, on_failure=records.append).start()
    try:
        invoker.submit({"n": 1})
        assert invoker.wait_idle(5)
    finally:
        invoker.stop()

    assert len(handler.calls) == 1  # retry_delays=() is MaximumRetryAttempts=0
    [record] = records
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 0.02 seconds" in record["responsePayload"]["errorMessage"]


def test_concurrency_is_bounded_by_the_worker_count(handler: RecordingHandler) -> None:
    handler.sleep = 0.05
    invoker = AsyncInvoker(handler, FunctionConfig(reserved_concurrency=2)).start()
    try:
        for n in range(6):
            invoker.submit({"n": n})
        assert invoker.wait_idle(5)
    finally:
        invoker.stop()

    assert len(handler.calls) == 6
    assert handler.max_running == 2


def test_submitted_payload_is_a_copy(handler: RecordingHandler) -> None:
    invoker = AsyncInvoker(handler).start()
    try:
        payload: dict[str, Any] = {"n": 1}
        gate = threading.Event()
        handler.gate = gate
        invoker.submit(payload)
        payload["n"] = 2
        gate.set()
        assert invoker.wait_idle(5)
    finally:
        invoker.stop()
    assert handler.events == [{"n": 1}]


# -- Lambda Invoke ----------------------------------------------------------------------------------


def test_async_invoke_through_a_boto3_lambda_client(bus: LocalBus, handler: RecordingHandler) -> None:
    lam = lambda_client(bus.endpoint_url)

    answer = lam.invoke(FunctionName="escalation", InvocationType="Event", Payload=b'{"contactId": "c-2"}')
    by_arn = lam.invoke(FunctionName=bus.function.function_arn, InvocationType="Event", Payload=b'{"n": 2}')

    assert answer["StatusCode"] == 202
    assert by_arn["StatusCode"] == 202
    assert bus.wait_idle(5)
    assert sorted(json.dumps(e) for e in handler.events) == ['{"contactId": "c-2"}', '{"n": 2}']
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert request_id in {context.aws_request_id for _, context in handler.calls}
    assert bus.stats.async_accepted == 2


def test_failing_async_invoke_goes_to_the_dlq(
    bus: LocalBus, handler: RecordingHandler, aws: LocalAws
) -> None:
    lambda_client(bus.endpoint_url).invoke(
        FunctionName="escalation", InvocationType="Event", Payload=b'{"fail": true}'
    )

    assert bus.wait_idle(5)
    assert len(handler.calls) == 3
    (record,) = aws.dlq_records()
    assert record["requestPayload"] == {"fail": True}


def test_request_response_invoke_returns_the_result_or_the_error(
    bus: LocalBus, handler: RecordingHandler
) -> None:
    lam = lambda_client(bus.endpoint_url)
    handler.result = {"ok": True}

    ok = lam.invoke(FunctionName="escalation", Payload=b"{}")
    failed = lam.invoke(FunctionName="escalation", Payload=b'{"fail": true}')
    dry = lam.invoke(FunctionName="escalation", InvocationType="DryRun", Payload=b"{}")

    assert ok["StatusCode"] == 200
    assert "FunctionError" not in ok
    assert json.loads(ok["Payload"].read()) == {"ok": True}
    assert failed["StatusCode"] == 200
    assert failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert error["errorType"] == "RuntimeError"
    assert dry["StatusCode"] == 204
    assert len(handler.calls) == 2
    assert bus.stats.sync_invocations == 2


def test_invoke_errors_use_lambda_error_codes(bus: LocalBus) -> None:
    lam = lambda_client(bus.endpoint_url)

    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="other-function", InvocationType="Event", Payload=b"{}")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="escalation", Qualifier="7", Payload=b"{}")
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="escalation", InvocationType="Event", Payload=b"{not json")


def test_sync_invoke_is_throttled_when_every_slot_is_busy(handler: RecordingHandler, aws: LocalAws) -> None:
    gate = threading.Event()
    handler.gate = gate
    with LocalBus(AsyncInvoker(handler, FunctionConfig(reserved_concurrency=1))) as bus:
        lam = lambda_client(bus.endpoint_url, max_attempts=1)  # botocore would retry a throttle
        lam.invoke(FunctionName="escalation", InvocationType="Event", Payload=b"{}")
        deadline = time.monotonic() + 5
        while not handler.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            with pytest.raises(lam.exceptions.TooManyRequestsException):
                lam.invoke(FunctionName="escalation", Payload=b"{}")
        finally:
            gate.set()
        assert bus.wait_idle(5)
        assert bus.stats.throttled == 1


def test_stop_leaves_no_threads_behind(handler: RecordingHandler) -> None:
    before = {t.name for t in threading.enumerate()}
    with LocalBus(AsyncInvoker(handler, FunctionConfig(reserved_concurrency=3))) as bus:
        bus.invoker.submit({"n": 1})
        assert bus.wait_idle(5)
    leaked = [
        t.name
        for t in threading.enumerate()
        if t.name not in before and (t.name.startswith("lambda-") or t.name == "local-bus")
    ]
    assert leaked == []


@pytest.mark.parametrize(
    ("settings", "problem"),
    [({"reserved_concurrency": 0}, "at least 1"), ({"retry_delays": (0.1, 0.1, 0.1)}, "at most twice")],
    ids=["no-concurrency", "three-retries"],
)
def test_function_config_refuses_what_lambda_does_not_allow(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        FunctionConfig(**settings)


def test_contexts_carry_the_function_config() -> None:
    function = FunctionConfig(function_name="f", timeout_seconds=7.0, memory_mb=512, account_id="1" * 12)

    context = new_context(function, request_id="r-1")

    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:111111111111:function:f"
    assert (context.function_name, context.memory_limit_in_mb, context.aws_request_id) == ("f", 512, "r-1")
    assert 6000 < context.get_remaining_time_in_millis() <= 7000
