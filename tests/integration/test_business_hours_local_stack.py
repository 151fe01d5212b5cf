"""Business-hours SLA clocks on the local stack: the handler reads the seeded queue's hours from the
Connect emulator over HTTP (real boto3, the stack's IAM policy), arms its schedules at business
deadlines, lets the error table decide a calendar it may not read, and re-arms a timer whose deadline
an override moved later."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest

from escalation.adapters.time_zones import zone
from escalation.contract import EnvVar
from escalation.domain.schedule_names import timer_names
from local.connect_emulator import AccessRule, OverrideSeed
from local.scheduler_backend import at_time
from local.stack import BUSINESS_HOURS_ID, BUSINESS_HOURS_QUEUE, INSTANCE_ID, LocalStack, StackOptions
from tests.integration.support import (
    BUNDLED_RULES,
    ManualClock,
    dlq_of,
    suite_stack_options,
    transfers_of,
    wait_idle,
    wait_until,
)

NEW_YORK = zone("America/New_York")


CLOCK = ManualClock()


@pytest.fixture(scope="module")
def stack_options(tmp_path_factory: pytest.TempPathFactory) -> StackOptions:
    document = json.loads(BUNDLED_RULES.read_text())
    document["sla"] = [
        {
            "name": "ny-emails-2-business-hours",
            "match": {"queues": [BUSINESS_HOURS_QUEUE], "channels": ["EMAIL"]},
            "seconds": 7200,
            "clock": "business",
        }
    ]
    rules: Path = tmp_path_factory.mktemp("business-rules") / "routing_rules.json"
    rules.write_text(json.dumps(document))
    return suite_stack_options(
        sla_timers=True,
        scheduler_clock=CLOCK,
        # Nothing cached between tests: each one's calendar (and IAM) is read as it is then.
        extra_env={EnvVar.ROUTING_RULES: str(rules), EnvVar.SLA_CALENDAR_CACHE_SECONDS: "0"},
    )


def next_weekday(weekday: int, at: clock_time, weeks_ahead: int = 1) -> datetime:
    """A `weekday` (0 = Monday) at `at`, New York time, in a coming week (never in the past)."""
    today = datetime.now(NEW_YORK).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
    return datetime.combine(day, at, NEW_YORK)


def queue_email(stack: LocalStack, enqueued_at: datetime) -> tuple[str, str]:
    contact = stack.add_contact("EMAIL", queue_id=BUSINESS_HOURS_QUEUE, enqueued_at=enqueued_at.timestamp())
    stack.connect.flush_contact_events()
    return contact, timer_names(contact)[0]


def armed_at(stack: LocalStack, name: str) -> datetime | None:
    for schedule in stack.schedules():
        if schedule["Name"] == name:
            assert stack.scheduler is not None
            full = stack.scheduler.clients.scheduler.get_schedule(Name=name, GroupName=stack.scheduler.group)
            due = at_time(full["ScheduleExpression"], full.get("ScheduleExpressionTimezone"))
            return None if due is None else datetime.fromtimestamp(due, UTC)
    return None


def test_an_email_queued_on_a_wednesday_morning_is_due_two_open_hours_later(stack: LocalStack) -> None:
    wednesday = next_weekday(2, clock_time(10, 0))
    _, name = queue_email(stack, wednesday)
    due = wait_until(lambda: armed_at(stack, name), what="the breach schedule")
    assert due == wednesday + timedelta(hours=2)


def test_an_email_queued_at_closing_time_carries_over_the_weekend(stack: LocalStack) -> None:
    friday = next_weekday(4, clock_time(16, 0))
    _, name = queue_email(stack, friday)
    due = wait_until(lambda: armed_at(stack, name), what="the breach schedule")
    assert due == datetime.combine(friday.date() + timedelta(days=3), clock_time(10, 0), NEW_YORK)


def test_a_queue_the_function_may_not_describe_is_dead_lettered_and_arms_nothing(stack: LocalStack) -> None:
    stack.connect.deny(AccessRule("DescribeQueue"))
    try:
        contact, name = queue_email(stack, next_weekday(2, clock_time(10, 0)))
        records = wait_until(lambda: dlq_of(stack, contact), what="the dead-letter record")
    finally:
        stack.connect.allow(AccessRule("DescribeQueue"))
    wait_idle(stack)
    [record] = records
    assert (record["failure"], record["operation"], record["decision"]) == (
        "AccessDeniedException",
        "DescribeQueue",
        "ALERT",
    )
    assert armed_at(stack, name) is None


def test_a_holiday_added_after_arming_rearms_the_breach_instead_of_escalating(stack: LocalStack) -> None:
    friday = next_weekday(4, clock_time(16, 30), weeks_ahead=2)
    contact, name = queue_email(stack, friday)
    monday: date = friday.date() + timedelta(days=3)
    armed = wait_until(lambda: armed_at(stack, name), what="the breach schedule")
    assert armed == datetime.combine(monday, clock_time(10, 30), NEW_YORK)

    stack.connect.add_hours_override(
        OverrideSeed(
            INSTANCE_ID, BUSINESS_HOURS_ID, f"Holiday {monday}", monday.isoformat(), monday.isoformat()
        )
    )
    before = {schedule["Name"] for schedule in stack.schedules()}
    CLOCK.now = armed.timestamp() + 60  # the breach fires
    try:
        rearmed: set[Any] = wait_until(
            lambda: {s["Name"] for s in stack.schedules()} - before, what="the re-armed schedule"
        )
        wait_idle(stack)
    finally:
        CLOCK.now = time.time()
    [new_name] = rearmed
    assert armed_at(stack, new_name) == datetime.combine(
        monday + timedelta(days=1), clock_time(10, 30), NEW_YORK
    )
    assert armed_at(stack, name) is None  # the one that fired is gone
    assert transfers_of(stack, contact) == []
    assert dlq_of(stack, contact) == []
