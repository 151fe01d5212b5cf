"""The Scheduler adapter against a stubbed client: the exact CreateSchedule it sends, and its errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from escalation.adapters.scheduler_timers import SchedulerTimers, TimerTarget
from escalation.domain.timer_events import SlaTimer

TARGET = TimerTarget(
    "arn:aws:lambda:us-east-1:123456789012:function:escalation",
    "arn:aws:iam::123456789012:role/sla-scheduler",
    "arn:aws:sqs:us-east-1:123456789012:sla-dlq",
)
# A fire time given in another zone is sent as UTC.
TIMER = SlaTimer("sla-abc", datetime(2024, 5, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=2))), {"id": "e"})


@pytest.fixture
def stubbed(
    handler_env: dict[str, str], aws_session: boto3.session.Session
) -> Iterator[tuple[SchedulerTimers, Stubber]]:
    client = aws_session.client("scheduler", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield SchedulerTimers(client, "sla-group", TARGET), stubber
        stubber.assert_no_pending_responses()


def expected_create() -> dict[str, Any]:
    return {
        "Name": "sla-abc",
        "GroupName": "sla-group",
        "ScheduleExpression": "at(2024-05-01T12:30:05)",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "Target": {
            "Arn": TARGET.function_arn,
            "RoleArn": TARGET.role_arn,
            "Input": json.dumps({"id": "e"}),
            "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10},
            "DeadLetterConfig": {"Arn": TARGET.dead_letter_arn},
        },
    }


def test_arm_creates_a_one_time_self_deleting_schedule(stubbed: tuple[SchedulerTimers, Stubber]) -> None:
    timers, stubber = stubbed
    stubber.add_response(
        "create_schedule", {"ScheduleArn": "arn:aws:scheduler:::schedule/x"}, expected_create()
    )
    assert timers.arm(TIMER) is True


def test_arm_of_an_existing_name_is_already_armed(stubbed: tuple[SchedulerTimers, Stubber]) -> None:
    timers, stubber = stubbed
    stubber.add_client_error("create_schedule", "ConflictException", http_status_code=409)
    assert timers.arm(TIMER) is False


def test_cancel_of_a_missing_schedule_is_fine(stubbed: tuple[SchedulerTimers, Stubber]) -> None:
    timers, stubber = stubbed
    stubber.add_client_error("delete_schedule", "ResourceNotFoundException", http_status_code=404)
    stubber.add_response("delete_schedule", {}, {"Name": "sla-abc", "GroupName": "sla-group"})
    assert timers.cancel("sla-abc") is False
    assert timers.cancel("sla-abc") is True


@pytest.mark.parametrize("operation", ["create_schedule", "delete_schedule"])
def test_other_errors_propagate_so_lambda_retries(
    stubbed: tuple[SchedulerTimers, Stubber], operation: str
) -> None:
    timers, stubber = stubbed
    stubber.add_client_error(operation, "ThrottlingException", http_status_code=429)
    with pytest.raises(ClientError):
        timers.arm(TIMER) if operation == "create_schedule" else timers.cancel("sla-abc")
