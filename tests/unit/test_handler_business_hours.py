"""Business-hours SLA clocks through the real handler: Connect's calendar read (stubbed), schedules armed
in (moto's) Scheduler, an unreadable calendar decided by the error table, a moved deadline re-armed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from escalation.contract import EnvVar, Metric
from escalation.domain.business_hours import search_windows
from escalation.domain.schedule_names import timer_names
from tests.unit.builders import CONTACT_ID, INSTANCE_ID, REGION, contact_event
from tests.unit.harness import AwsWorld, ConnectStub

Invoke = Callable[[Any], Any]
GROUP = "escalation-sla"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:escalation"
SLA_RULES = {
    "rules": [{"name": "to-tier2", "target": {"queue": {"id": "queue-tier2", "flowId": "flow-q"}}}],
    "sla": [
        {
            "name": "tasks-1-business-hour",
            "match": {"channels": ["TASK"]},
            "seconds": 3600,
            "clock": "business",
        }
    ],
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
        EnvVar.SLA_CALENDAR_CACHE_SECONDS: "0",  # every test reads Connect afresh
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def scheduler(aws: AwsWorld) -> Any:
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule_group(Name=GROUP)
    return client


@pytest.fixture
def emitted(capsys: pytest.CaptureFixture[str]) -> Callable[[], str]:
    return lambda: capsys.readouterr().out


def queue_hours(stub: ConnectStub, hours_id: str = "hours-1") -> None:
    stub.stubber.add_response(
        "describe_queue",
        {"Queue": {"QueueId": "queue-tier1", "HoursOfOperationId": hours_id}},
        {"InstanceId": INSTANCE_ID, "QueueId": "queue-tier1"},
    )


def open_from(stub: ConnectStub, enqueued: datetime, opening: date, hours_id: str = "hours-1") -> None:
    """Effective hours for the windows the clock asks for until `opening` is known: closed until that
    date, then open all day (UTC)."""
    for first, last in search_windows(enqueued.timestamp()):
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        whole_day = [{"Start": {"Hours": 0, "Minutes": 0}, "End": {"Hours": 0, "Minutes": 0}}]
        stub.stubber.add_response(
            "get_effective_hours_of_operations",
            {
                "EffectiveHoursOfOperationList": [
                    {"Date": day.isoformat(), "OperationalHours": whole_day if day >= opening else []}
                    for day in days
                ],
                "TimeZone": "UTC",
            },
            {
                "InstanceId": INSTANCE_ID,
                "HoursOfOperationId": hours_id,
                "FromDate": first.isoformat(),
                "ToDate": last.isoformat(),
            },
        )
        if last >= opening:
            return


def at_expression(moment: datetime) -> str:
    return f"at({moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


def test_a_queued_task_is_armed_at_its_business_deadline(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, emitted: Callable[[], str]
) -> None:
    enqueued = datetime.now(UTC).replace(microsecond=0)
    opening = (enqueued + timedelta(days=2)).date()  # closed until the day after tomorrow (UTC)
    queue_hours(connect_stub)
    open_from(connect_stub, enqueued, opening)

    assert invoke(contact_event("QUEUED", enqueued_at=enqueued))["status"] == "ARMED"

    breach = scheduler.get_schedule(Name=timer_names(CONTACT_ID)[0], GroupName=GROUP)
    due = datetime.combine(opening, datetime.min.time(), UTC) + timedelta(hours=1)
    assert breach["ScheduleExpression"] == at_expression(due)
    assert breach["ScheduleExpressionTimezone"] == "UTC"
    detail = json.loads(breach["Target"]["Input"])["detail"]
    assert (detail["clock"], detail["hoursOfOperationId"], detail["rearms"]) == ("business", "hours-1", 0)
    assert f'"{Metric.SLA_TIMER_ARMED}":[1.0]' in emitted()


def test_a_queue_whose_hours_do_not_exist_is_dead_lettered_and_alerted_as_the_error_table_says(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    connect_stub.error("describe_queue", "ResourceNotFoundException", 404)

    result = invoke(contact_event("QUEUED", enqueued_at=datetime.now(UTC)))

    assert result == {"status": "ALERT", "error": "ResourceNotFoundException"}
    [record] = aws.dead_letters()
    assert (record["failure"], record["operation"]) == ("ResourceNotFoundException:calendar", "DescribeQueue")
    assert record["originalEvent"]["detail"]["eventType"] == "QUEUED"
    assert len(aws.alerts()) == 1
    assert scheduler.list_schedules(GroupName=GROUP)["Schedules"] == []


def test_a_breach_whose_deadline_moved_later_is_rearmed_not_escalated(
    invoke: Invoke, scheduler: Any, connect_stub: ConnectStub, aws: AwsWorld, emitted: Callable[[], str]
) -> None:
    enqueued = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    queue_hours(connect_stub)
    open_from(connect_stub, enqueued, enqueued.date())  # open all along: due an hour after enqueue
    invoke(contact_event("QUEUED", enqueued_at=enqueued))
    name = timer_names(CONTACT_ID)[0]
    fired = json.loads(scheduler.get_schedule(Name=name, GroupName=GROUP)["Target"]["Input"])
    scheduler.delete_schedule(Name=name, GroupName=GROUP)

    later = (datetime.now(UTC) + timedelta(days=2)).date()  # a holiday since: closed until then
    open_from(connect_stub, enqueued, later)
    result = invoke(fired)  # no DescribeContact, no transfer: the stubber holds nothing else

    assert result["status"] == "REARMED"
    [rearmed] = scheduler.list_schedules(GroupName=GROUP)["Schedules"]
    assert rearmed["Name"] != name
    schedule = scheduler.get_schedule(Name=rearmed["Name"], GroupName=GROUP)
    assert schedule["ScheduleExpression"] == at_expression(
        datetime.combine(later, datetime.min.time(), UTC) + timedelta(hours=1)
    )
    assert json.loads(schedule["Target"]["Input"])["detail"]["rearms"] == 1
    assert f'"{Metric.SLA_TIMER_REARMED}":[1.0]' in emitted()
    assert aws.dead_letters() == []
