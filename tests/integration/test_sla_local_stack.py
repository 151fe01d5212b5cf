"""The local stack with SLA timers: contact events reach the handler's rule, and schedules fire on time.

The handler's side (arming and cancelling timers) is not assumed by the first tests: schedules are
created through the Scheduler API directly, as the handler creates them. The last one goes through the
handler: a contact whose deadline passed before its QUEUED event arrived (Scheduler refuses a past time,
and so does the local one).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalation.contract import (
    CONTACT_EVENT_SOURCE,
    SLA_BREACH_DETAIL_TYPE,
    SLA_BREACH_SOURCE,
    EnvVar,
)
from local.connect_emulator import ContactAcceptance, ContactRef
from local.connect_emulator.contact_events import iso_timestamp
from local.scheduler_backend import at_time
from local.stack import INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import (
    BUNDLED_RULES,
    ManualClock,
    breach_detail,
    suite_stack_options,
    wait_until,
)

CLOCK = ManualClock()


@pytest.fixture(scope="module")
def stack_options(tmp_path_factory: pytest.TempPathFactory) -> StackOptions:
    # Emails in queue-tier1 only: the other tests' tasks arm nothing, and an escalated email (moved to
    # queue-tier2) arms no next timer.
    document = json.loads(BUNDLED_RULES.read_text())
    policy = {"name": "tier1-emails", "match": {"queues": ["queue-tier1"], "channels": ["EMAIL"]}}
    document["sla"] = [{**policy, "seconds": 3600}]
    rules: Path = tmp_path_factory.mktemp("sla-rules") / "routing_rules.json"
    rules.write_text(json.dumps(document))
    return suite_stack_options(
        sla_timers=True, scheduler_clock=CLOCK, extra_env={EnvVar.ROUTING_RULES: str(rules)}
    )


def test_the_stack_gives_the_handler_its_sla_timer_settings(stack: LocalStack) -> None:
    assert os.environ[EnvVar.SLA_TIMERS_ENABLED] == "true"
    assert os.environ[EnvVar.SLA_SCHEDULE_GROUP] == stack.aws.schedule_group
    assert os.environ[EnvVar.SLA_TIMER_TARGET_ARN] == stack.bus.function.function_arn
    assert os.environ[EnvVar.SLA_SCHEDULE_DLQ_ARN] == stack.aws.schedule_dlq_arn
    assert os.environ[EnvVar.SLA_SCHEDULER_ROLE_ARN].startswith("arn:aws:iam::")


def test_contact_events_from_the_emulator_reach_the_handler_through_the_contact_event_rule(
    stack: LocalStack,
) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1")
    stack.connect.accept_contact(ContactAcceptance(INSTANCE_ID, contact))

    def routed() -> list[str]:
        return [
            event["detail"]["eventType"]
            for event in stack.bus.matched_events
            if event["source"] == CONTACT_EVENT_SOURCE and event["detail"]["contactId"] == contact
        ]

    wait_until(lambda: len(routed()) == 2, timeout=15, what="it")
    assert routed() == ["QUEUED", "CONNECTED_TO_AGENT"]


def test_a_schedule_fires_at_its_time_escalates_the_contact_and_is_deleted(stack: LocalStack) -> None:
    contact = stack.add_contact("TASK", queue_id="queue-tier1")
    due = datetime.fromtimestamp(CLOCK.now + 3600, UTC)
    breach = {
        "version": "0",
        "id": f"sla-{contact}",
        "source": SLA_BREACH_SOURCE,
        "detail-type": SLA_BREACH_DETAIL_TYPE,
        "account": stack.bus.function.account_id,
        "region": stack.bus.function.region,
        "time": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [],
        "detail": breach_detail(contact),
    }
    stack.aws.scheduler().create_schedule(
        Name=f"sla-{contact}",
        GroupName=stack.aws.schedule_group,
        ScheduleExpression=due.strftime("at(%Y-%m-%dT%H:%M:%S)"),
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": os.environ[EnvVar.SLA_TIMER_TARGET_ARN],
            "RoleArn": os.environ[EnvVar.SLA_SCHEDULER_ROLE_ARN],
            "Input": json.dumps(breach),
            "DeadLetterConfig": {"Arn": os.environ[EnvVar.SLA_SCHEDULE_DLQ_ARN]},
        },
    )
    assert [s["Name"] for s in stack.schedules()] == [f"sla-{contact}"]
    time.sleep(0.5)
    assert not stack.connect.get_contact(ContactRef(INSTANCE_ID, contact))["ended"], "not yet due"

    CLOCK.now += 3600

    wait_until(lambda: any(t["contact_id"] == contact for t in stack.transfers()), timeout=15, what="it")
    wait_until(lambda: stack.schedules() == [], timeout=15, what="it")
    assert stack.scheduler is not None
    assert (stack.scheduler.stats.fired, stack.scheduler.stats.dead_lettered) == (1, 0)


def test_a_deadline_already_past_when_queued_still_gets_a_schedule_that_fires_and_escalates(
    stack: LocalStack,
) -> None:
    CLOCK.now = time.time()
    held: list[dict[str, Any]] = []
    stack.connect.connect_event_sink(held.append)
    contact = stack.add_contact("EMAIL", queue_id="queue-tier1")
    stack.connect.connect_event_sink(stack.bus.publish)
    (queued,) = held
    # Connect's QUEUED arrives two hours late: enqueued + 3600 s is an hour gone.
    enqueued = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    queued["detail"]["queueInfo"]["enqueueTimestamp"] = iso_timestamp(enqueued.timestamp())

    stack.bus.publish(queued)
    assert stack.bus.wait_idle(10)

    (listed,) = stack.schedules()
    schedule = stack.aws.scheduler().get_schedule(Name=listed["Name"], GroupName=stack.aws.schedule_group)
    due = at_time(schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"])
    assert due is not None
    assert time.time() + 50 < due <= time.time() + 61, "the past deadline is moved to a minute from now"
    assert (
        json.loads(schedule["Target"]["Input"])["detail"]["breachedAt"]
        == (enqueued + timedelta(hours=1)).isoformat()
    )

    describes_before = _describes(stack)
    CLOCK.now = due
    wait_until(lambda: any(t["contact_id"] == contact for t in stack.transfers()), timeout=15, what="it")
    wait_until(lambda: stack.schedules() == [], timeout=15, what="it")
    assert stack.bus.wait_idle(10)
    assert [t["contact_id"] for t in stack.transfers()].count(contact) == 1
    # The "still waiting" check and the escalation read the contact once between them.
    assert _describes(stack) - describes_before == 1


def _describes(stack: LocalStack) -> int:
    """DescribeContact calls the emulator has answered so far."""
    return stack.connect.stats()["requests"].get("DescribeContact", 0)
