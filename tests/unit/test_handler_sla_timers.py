"""The SLA timers through the real handler: contact events arm schedules in (moto's) Scheduler, and the
input a schedule carries, delivered as Scheduler would, escalates only a contact still waiting."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from escalation.contract import SLA_WARNING_DETAIL_TYPE, EnvVar, Metric
from escalation.domain.schedule_names import timer_names
from tests.unit.builders import CONTACT_ID, INSTANCE_ID, REGION, contact, contact_event, transferred
from tests.unit.harness import AwsWorld, ConnectStub

Invoke = Callable[[Any], Any]
GROUP = "escalation-sla"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:escalation"
SLA_RULES = {
    "rules": [{"name": "to-tier2", "target": {"queue": {"id": "queue-tier2", "flowId": "flow-q"}}}],
    "sla": [{"name": "tasks-1h", "match": {"channels": ["TASK"]}, "seconds": 3600, "warnAtPercent": 50}],
}


@pytest.fixture(autouse=True)
def timers_on(handler_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(SLA_RULES))
    for name, value in {
        EnvVar.ROUTING_RULES: str(rules),
        EnvVar.SLA_TIMERS_ENABLED: "true",
        EnvVar.SLA_SCHEDULE_GROUP: GROUP,
        EnvVar.SLA_TIMER_TARGET_ARN: FUNCTION_ARN,
        EnvVar.SLA_SCHEDULER_ROLE_ARN: "arn:aws:iam::123456789012:role/sla-scheduler",
        EnvVar.SLA_SCHEDULE_DLQ_ARN: f"arn:aws:sqs:{REGION}:123456789012:sla-schedule-dlq",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def scheduler(aws: AwsWorld) -> Any:
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule_group(Name=GROUP)
    return client


@pytest.fixture
def emitted(capsys: pytest.CaptureFixture[str]) -> Callable[[], str]:
    """The handler's EMF output so far (its metrics, as CloudWatch would read them)."""
    return lambda: capsys.readouterr().out


def schedules(scheduler: Any) -> dict[str, dict[str, Any]]:
    listed = scheduler.list_schedules(GroupName=GROUP)["Schedules"]
    return {item["Name"]: scheduler.get_schedule(Name=item["Name"], GroupName=GROUP) for item in listed}


def fire(scheduler: Any, name: str) -> dict[str, Any]:
    """What Scheduler delivers at the schedule's time (and then deletes the schedule)."""
    event: dict[str, Any] = json.loads(scheduler.get_schedule(Name=name, GroupName=GROUP)["Target"]["Input"])
    scheduler.delete_schedule(Name=name, GroupName=GROUP)
    return event


def describe(stub: ConnectStub, **shape: Any) -> None:
    stub.stubber.add_response(
        "describe_contact", contact(**shape), {"InstanceId": INSTANCE_ID, "ContactId": CONTACT_ID}
    )


def test_queued_arms_one_time_schedules_and_a_duplicate_is_a_no_op(
    invoke: Invoke, scheduler: Any, emitted: Callable[[], str]
) -> None:
    enqueued = datetime.now(UTC).replace(microsecond=0)
    assert invoke(contact_event("QUEUED", enqueued_at=enqueued))["status"] == "ARMED"
    assert invoke(contact_event("QUEUED", enqueued_at=enqueued))["status"] == "ALREADY_ARMED"
    breach_name, warning_name = timer_names(CONTACT_ID)
    armed = schedules(scheduler)
    assert set(armed) == {breach_name, warning_name}
    breach = armed[breach_name]
    due = (enqueued + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert breach["ScheduleExpression"] == f"at({due})"
    assert breach["ScheduleExpressionTimezone"] == "UTC"
    assert breach["ActionAfterCompletion"] == "DELETE"
    assert breach["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert breach["Target"]["Arn"] == FUNCTION_ARN
    assert breach["Target"]["DeadLetterConfig"]["Arn"].endswith(":sla-schedule-dlq")
    assert breach["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert f'"{Metric.SLA_TIMER_ARMED}":[2.0]' in emitted()  # both schedules, counted once


def test_a_pickup_before_the_deadline_deletes_the_schedules(invoke: Invoke, scheduler: Any) -> None:
    invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))
    assert invoke(contact_event("CONNECTED_TO_AGENT"))["status"] == "CANCELLED"
    assert schedules(scheduler) == {}
    assert invoke(contact_event("DISCONNECTED"))["status"] == "IGNORED"  # nothing left: not-found is fine


def test_a_breach_of_a_contact_still_waiting_escalates(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))
    # One DescribeContact: the "still waiting" check reads the contact the escalation then moves (the
    # stubber answers calls in this order and refuses a second DescribeContact).
    describe(connect_stub, agent_id=None)
    connect_stub.stubber.add_response("transfer_contact", transferred())
    connect_stub.update_attributes(contact_id="contact-2")
    result = invoke(fire(scheduler, timer_names(CONTACT_ID)[0]))
    assert result["status"] == "TRANSFERRED"
    assert result["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert aws.dead_letters() == []
    connect_stub.stubber.assert_no_pending_responses()


def test_reordered_events_never_escalate_a_contact_an_agent_accepted(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, emitted: Callable[[], str]
) -> None:
    # CONNECTED_TO_AGENT arrives first, so the late QUEUED arms a timer that nothing cancels.
    invoke(contact_event("CONNECTED_TO_AGENT"))
    invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))
    describe(connect_stub, connected=True)
    result = invoke(fire(scheduler, timer_names(CONTACT_ID)[0]))
    assert result["status"] == "SKIPPED"
    assert f'"{Metric.SLA_BREACH_STALE}"' in emitted()  # and no TransferContact: the stub would refuse it


def test_a_breach_after_the_contact_ended_is_skipped(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))
    describe(connect_stub, agent_id=None, ended=True)
    assert invoke(fire(scheduler, timer_names(CONTACT_ID)[0]))["status"] == "SKIPPED"
    assert aws.dead_letters() == []
    assert aws.alerts() == []


def test_the_warning_alerts_and_moves_nothing(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, aws: AwsWorld, emitted: Callable[[], str]
) -> None:
    invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))
    warning = fire(scheduler, timer_names(CONTACT_ID)[1])
    assert warning["detail-type"] == SLA_WARNING_DETAIL_TYPE
    describe(connect_stub, agent_id=None)
    assert invoke(warning)["status"] == "WARNED"
    (alert,) = aws.alerts()
    assert alert["alert"]["kind"] == "sla-warning"
    assert alert["alert"]["slaPolicy"] == "tasks-1h"
    assert f'"{Metric.SLA_WARNING}"' in emitted()
    assert timer_names(CONTACT_ID)[0] in schedules(scheduler)  # the breach timer still stands


def test_a_warning_for_a_contact_no_longer_waiting_is_not_sent(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))
    describe(connect_stub, connected=True)
    assert invoke(fire(scheduler, timer_names(CONTACT_ID)[1]))["status"] == "SKIPPED"
    assert aws.alerts() == []


def test_an_enqueue_time_without_a_zone_is_read_as_utc(invoke: Invoke, scheduler: Any) -> None:
    enqueued = datetime.now(UTC).replace(microsecond=0)
    event = contact_event("QUEUED", enqueued_at=enqueued)
    event["detail"]["queueInfo"]["enqueueTimestamp"] = enqueued.replace(tzinfo=None).isoformat()
    assert invoke(event)["status"] == "ARMED"
    breach = schedules(scheduler)[timer_names(CONTACT_ID)[0]]
    assert breach["ScheduleExpression"] == f"at({(enqueued + timedelta(hours=1)):%Y-%m-%dT%H:%M:%S})"


def test_an_unreadable_contact_event_is_ignored_not_dead_lettered(invoke: Invoke, aws: AwsWorld) -> None:
    event = contact_event("QUEUED")
    del event["detail"]["contactId"]
    assert invoke(event)["status"] == "IGNORED"
    assert aws.dead_letters() == []


@pytest.mark.parametrize(
    ("event_type", "channel"),
    [("QUEUED", "VOICE"), ("QUEUED", "Chat"), ("CONTACT_DATA_UPDATED", "TASK"), ("COMPLETED", "EMAIL")],
)
def test_events_the_rule_leaves_out_are_ignored_when_a_wider_rule_delivers_them(
    invoke: Invoke, scheduler: Any, event_type: str, channel: str
) -> None:
    enqueued = datetime.now(UTC).replace(microsecond=0)
    assert invoke(contact_event(event_type, enqueued_at=enqueued, channel=channel))["status"] == "IGNORED"
    assert schedules(scheduler) == {}
