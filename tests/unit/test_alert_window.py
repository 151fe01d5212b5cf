"""A failure repeated for one escalation pages a person once per window; metrics count every time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from escalation import composition
from escalation.adapters.dynamodb_alert_window import CLAIM_STALE_SECONDS, DynamoDbAlertWindow
from escalation.contract import EnvVar
from escalation.triggers.sla_event import RetryLater
from tests.unit.builders import contact, sla_event
from tests.unit.fakes import FakeLambdaContext
from tests.unit.harness import IDEMPOTENCY_TABLE, AwsWorld, ConnectStub

Invoke = Callable[[Any], Any]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_alert_in_the_window_goes_out_and_a_repeat_does_not(aws: AwsWorld) -> None:
    clock = Clock()
    window = DynamoDbAlertWindow(aws.dynamodb, IDEMPOTENCY_TABLE, 3600, clock)
    assert window.first_in_window("esc-1", "AccessDeniedException")
    assert not window.first_in_window("esc-1", "AccessDeniedException")
    assert window.first_in_window("esc-1", "TRANSFER_LIMIT_REACHED")  # another error code
    assert window.first_in_window("esc-2", "AccessDeniedException")  # another escalation
    clock.now += 3601  # the record expired (DynamoDB may not have deleted it yet)
    assert window.first_in_window("esc-1", "AccessDeniedException")
    assert not window.first_in_window("esc-1", "AccessDeniedException")


def test_a_released_claim_lets_the_next_try_alert(aws: AwsWorld) -> None:
    window = DynamoDbAlertWindow(aws.dynamodb, IDEMPOTENCY_TABLE, 3600)
    assert window.first_in_window("chain-1", "X")
    window.release("chain-1", "X")  # SNS refused the alert
    assert window.first_in_window("chain-1", "X")
    window.confirm("chain-1", "X")
    assert not window.first_in_window("chain-1", "X")


def test_a_claim_never_confirmed_goes_stale(aws: AwsWorld) -> None:
    clock = Clock()
    window = DynamoDbAlertWindow(aws.dynamodb, IDEMPOTENCY_TABLE, 3600, clock)
    assert window.first_in_window("chain-1", "X")  # the publisher died before confirming or releasing
    assert not window.first_in_window("chain-1", "X")
    clock.now += CLAIM_STALE_SECONDS + 1
    assert window.first_in_window("chain-1", "X")
    window.confirm("chain-1", "X")
    clock.now += CLAIM_STALE_SECONDS + 1
    assert not window.first_in_window("chain-1", "X")  # a confirmed claim holds for the whole window


def test_a_zero_window_alerts_every_time(aws: AwsWorld) -> None:
    window = DynamoDbAlertWindow(aws.dynamodb, IDEMPOTENCY_TABLE, 0)
    assert window.first_in_window("esc-1", "X")
    assert window.first_in_window("esc-1", "X")


def test_an_unreachable_table_publishes(aws: AwsWorld) -> None:
    window = DynamoDbAlertWindow(aws.dynamodb, "no-such-table", 3600)
    assert window.first_in_window("esc-1", "X")
    assert window.first_in_window("esc-1", "X")


def expect_access_denied(stub: ConnectStub) -> None:
    stub.describe(contact())
    stub.error("transfer_contact", "AccessDeniedException", 403)


def test_a_failure_repeated_alerts_once_but_is_counted_and_dead_lettered_each_time(
    invoke: Invoke,
    connect_stub: ConnectStub,
    aws: AwsWorld,
    capsys: pytest.CaptureFixture[str],
    lambda_context: FakeLambdaContext,
) -> None:
    for n in range(3):  # three invocations (a redrive each time): each failure is kept
        lambda_context.aws_request_id = f"request-{n}"
        expect_access_denied(connect_stub)
        assert invoke(sla_event())["status"] == "ALERT"

    assert len(aws.alerts()) == 1
    assert len(aws.dead_letters()) == 3
    assert capsys.readouterr().out.count('"DecisionAlert":[1.0]') == 3


def test_the_window_is_configurable(
    monkeypatch: pytest.MonkeyPatch,
    invoke: Invoke,
    connect_stub: ConnectStub,
    aws: AwsWorld,
    lambda_context: FakeLambdaContext,
) -> None:
    monkeypatch.setenv(EnvVar.ALERT_DEDUP_WINDOW_SECONDS, "0")
    for n in range(2):
        lambda_context.aws_request_id = f"request-{n}"
        expect_access_denied(connect_stub)
        invoke(sla_event())
    assert len(aws.alerts()) == 2


def test_sns_failing_then_healing_pages_exactly_once_and_dead_letters_once(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 1 and 4 of #19: the retry of an event whose alert failed pages, and writes no second record."""
    monkeypatch.setenv(EnvVar.ALERT_TOPIC_ARN, "arn:aws:sns:eu-west-1:123456789012:no-such-topic")
    expect_access_denied(connect_stub)
    with pytest.raises(RetryLater, match="alert not published"):
        invoke(sla_event())  # Lambda will retry it
    monkeypatch.setenv(EnvVar.ALERT_TOPIC_ARN, aws.topic_arn)
    composition.reset()  # the topic is back (a new configuration stands in for SNS healing)
    expect_access_denied(connect_stub)
    invoke(sla_event())  # Lambda's retry: same request id

    assert len(aws.alerts()) == 1
    assert len(aws.dead_letters()) == 1


def test_a_claim_whose_answer_was_lost_and_retried_is_still_ours(aws: AwsWorld) -> None:
    # The PutItem takes effect but its answer is lost, so botocore sends it again: the retry fails its
    # condition on the claim the first attempt made. The alert must still go out (never zero pages).
    window = DynamoDbAlertWindow(aws.dynamodb, IDEMPOTENCY_TABLE, 3600)
    first_attempts: list[dict[str, Any]] = []

    def first_attempt_took_effect(params: dict[str, Any], **_: Any) -> None:
        if not first_attempts:
            first_attempts.append(params)
            aws.dynamodb.put_item(**params)  # the attempt whose answer was lost; the call is the retry

    aws.dynamodb.meta.events.register("provide-client-params.dynamodb.PutItem", first_attempt_took_effect)
    try:
        assert window.first_in_window("chain-1", "X"), "the claim the lost attempt made is this call's"
    finally:
        aws.dynamodb.meta.events.unregister(
            "provide-client-params.dynamodb.PutItem", first_attempt_took_effect
        )
    assert first_attempts, "the first attempt ran"
    # Another call about the same chain and error code meets that claim: not its own, held back.
    assert not window.first_in_window("chain-1", "X")
