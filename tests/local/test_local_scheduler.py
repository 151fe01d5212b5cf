"""local.scheduler: moto's schedules, fired on time through the local bus's Lambda Invoke."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from local.aws import LocalAws
from local.bus import LocalBus
from local.scheduler import FastClock, LocalScheduler, SchedulerClients, SchedulerOptions
from local.scheduler_backend import at_time
from tests.local.helpers import RecordingHandler, lambda_client

pytestmark = pytest.mark.integration

START = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()


class ManualClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def scheduler(aws: LocalAws, bus: LocalBus, clock: ManualClock) -> Iterator[LocalScheduler]:
    clients = SchedulerClients(aws.scheduler(), lambda_client(bus.endpoint_url, max_attempts=1), aws.sqs())
    local = LocalScheduler(clients, aws.schedule_group, SchedulerOptions(clock=clock, retry_delay=5))
    yield local
    local.stop()
    for schedule in local.schedules():
        aws.scheduler().delete_schedule(Name=schedule["Name"], GroupName=aws.schedule_group)


def at(seconds_after_start: float) -> str:
    return datetime.fromtimestamp(START + seconds_after_start, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")


def create(aws: LocalAws, name: str, target_arn: str, **settings: Any) -> None:
    target = {
        "Arn": target_arn,
        "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
        "Input": json.dumps({"timer": name}),
        "DeadLetterConfig": {"Arn": aws.schedule_dlq_arn},
        **settings.pop("target", {}),
    }
    aws.scheduler().create_schedule(
        Name=name,
        GroupName=aws.schedule_group,
        ScheduleExpression=settings.pop("expression", at(60)),
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion=settings.pop("after", "DELETE"),
        Target=target,  # type: ignore[arg-type]
    )


def test_at_expressions_are_read_in_their_time_zone() -> None:
    assert at_time("at(2030-01-01T12:00:00)", "UTC") == START
    assert at_time("at(2030-01-01T13:00:00)", "Europe/Paris") == START
    assert at_time("rate(5 minutes)", "UTC") is None


def test_a_schedule_fires_once_at_its_time_and_is_deleted(
    aws: LocalAws, bus: LocalBus, scheduler: LocalScheduler, clock: ManualClock, handler: RecordingHandler
) -> None:
    create(aws, "sla-c-1", bus.function.function_arn)
    create(aws, "sla-c-2", bus.function.function_arn, expression=at(120))

    assert scheduler.tick() == 0
    clock.now = START + 60
    assert scheduler.tick() == 1
    assert bus.wait_idle(5)

    event, _ = handler.only_call()
    assert event == {"timer": "sla-c-1"}
    assert [s["Name"] for s in scheduler.schedules()] == ["sla-c-2"]
    assert scheduler.tick() == 0, "a one-time schedule fires once"
    assert (scheduler.stats.fired, scheduler.stats.deleted) == (1, 1)


def test_a_schedule_kept_after_completion_does_not_fire_again(
    aws: LocalAws, bus: LocalBus, scheduler: LocalScheduler, clock: ManualClock, handler: RecordingHandler
) -> None:
    create(aws, "sla-keep", bus.function.function_arn, after="NONE")
    clock.now = START + 600

    assert scheduler.tick() == 1
    assert scheduler.tick() == 0
    assert bus.wait_idle(5)
    assert len(handler.calls) == 1
    assert [s["Name"] for s in scheduler.schedules()] == ["sla-keep"]


def test_a_failing_target_is_retried_then_dead_lettered_and_deleted(
    aws: LocalAws, scheduler: LocalScheduler, clock: ManualClock
) -> None:
    missing = "arn:aws:lambda:us-east-1:123456789012:function:no-such-function"
    create(aws, "sla-broken", missing, target={"RetryPolicy": {"MaximumRetryAttempts": 2}})
    clock.now = START + 60

    for _ in range(3):
        assert scheduler.tick() == 1
        assert scheduler.tick() == 0, "the next try waits for the retry delay"
        clock.now += 5

    assert scheduler.stats.failed_attempts == 3
    (message,) = aws.sqs().receive_message(
        QueueUrl=aws.schedule_dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )["Messages"]
    assert json.loads(message["Body"]) == {"timer": "sla-broken"}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["TARGET_ARN"] == missing
    assert scheduler.schedules() == []


def test_the_background_loop_fires_with_a_fast_clock(
    aws: LocalAws, bus: LocalBus, handler: RecordingHandler
) -> None:
    clock = FastClock(speed=600)  # ten minutes a second
    due = datetime.fromtimestamp(clock() + 120, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
    create(aws, "sla-fast", bus.function.function_arn, expression=due)
    clients = SchedulerClients(aws.scheduler(), lambda_client(bus.endpoint_url), aws.sqs())
    local = LocalScheduler(clients, aws.schedule_group, SchedulerOptions(clock=clock, interval=0.05)).start()
    try:
        waited = 0.0
        while local.stats.deleted == 0 and waited < 5:  # 120 clock seconds take 0.2 s
            time.sleep(0.05)
            waited += 0.05
    finally:
        local.stop()
    assert bus.wait_idle(5)
    assert [event for event, _ in handler.calls] == [{"timer": "sla-fast"}]
    assert local.schedules() == []


def test_a_one_time_schedule_in_the_past_is_refused_as_scheduler_refuses_it(aws: LocalAws) -> None:
    past = datetime.fromtimestamp(time.time() - 3600, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
    client = aws.scheduler()

    with pytest.raises(client.exceptions.ValidationException):
        create(aws, "sla-late", "arn:aws:lambda:us-east-1:123456789012:function:f", expression=past)

    assert client.list_schedules(GroupName=aws.schedule_group)["Schedules"] == []
    create(aws, "sla-next-minute", "arn:aws:lambda:us-east-1:123456789012:function:f", expression=at(60))
    client.delete_schedule(Name="sla-next-minute", GroupName=aws.schedule_group)


def test_a_pass_reads_no_schedules_through_the_api_yet_sees_every_creation_and_deletion(
    aws: LocalAws, bus: LocalBus, scheduler: LocalScheduler, clock: ManualClock, handler: RecordingHandler
) -> None:
    calls: list[str] = []
    scheduler.clients.scheduler.meta.events.register(
        "before-call.scheduler.*", lambda model, **_: calls.append(model.name)
    )
    assert scheduler.tick() == 0  # watching from here on: later schedules arrive as they are created
    for index in range(30):
        create(aws, f"sla-n-{index}", bus.function.function_arn, expression=at(60 + index))
    aws.scheduler().delete_schedule(Name="sla-n-0", GroupName=aws.schedule_group)  # a pickup
    for _ in range(5):
        assert scheduler.tick() == 0
    assert scheduler.pending() == 29

    clock.now = START + 60 + 29
    assert scheduler.tick() == 29
    assert scheduler.pending() == 0
    assert bus.wait_idle(5)
    assert sorted(event["timer"] for event, _ in handler.calls) == sorted(f"sla-n-{i}" for i in range(1, 30))
    assert set(calls) == {"DeleteSchedule"}, "a pass lists nothing; it deletes what fired"
    assert scheduler.schedules() == []
