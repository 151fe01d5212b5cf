"""Business-hours SLA clocks over the QueueCalendars port: which calendar, deadlines, unreadable calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation.adapters.time_zones import zone
from escalation.domain.business_hours import MAX_REARMS, moved_later
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.policy import Failure
from escalation.usecases.business_clock import BusinessClock
from tests.unit.fakes import WEEKDAYS_NINE_TO_FIVE, FakeQueueCalendars, failed

NY = ZoneInfo("America/New_York")
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=NY)


@pytest.fixture
def calendars() -> FakeQueueCalendars:
    return FakeQueueCalendars(
        queues={"queue-ny": "hours-ny", "queue-none": None},
        hours={"hours-ny": ("America/New_York", WEEKDAYS_NINE_TO_FIVE), "hours-mars": ("Mars/Olympus", {})},
        closed={date(2026, 12, 7)},
    )


def test_the_queues_hours_are_used_unless_the_policy_names_its_own(calendars: FakeQueueCalendars) -> None:
    clock = BusinessClock(calendars, zone)
    assert clock.hours_id(None, "arn:aws:connect:us-east-1:1:instance/i/queue/queue-ny") == "hours-ny"
    assert clock.hours_id("hours-named", "queue-ny") == "hours-named"
    assert calendars.calls == [("DescribeQueue", "queue-ny")]


def test_friday_afternoon_over_a_holiday_monday_is_due_tuesday_and_warns_monday_closed_so_tuesday(
    calendars: FakeQueueCalendars,
) -> None:
    deadlines = BusinessClock(calendars, zone).deadlines("hours-ny", FRIDAY_1630, 7200, warn_seconds=5400)
    assert deadlines.breach == datetime(2026, 12, 8, 10, 30, tzinfo=NY).astimezone(UTC)
    assert deadlines.warning == datetime(2026, 12, 8, 10, 0, tzinfo=NY).astimezone(UTC)
    assert len(calendars.fetched_windows()) <= 2


@pytest.mark.parametrize(
    ("named", "queue", "code"),
    [
        (None, "queue-gone", "ResourceNotFoundException"),
        (None, "queue-none", "NoHoursOfOperation"),
        (None, None, "NoQueue"),
    ],
)
def test_a_calendar_that_cannot_be_found_is_a_calendar_failure(
    calendars: FakeQueueCalendars, named: str | None, queue: str | None, code: str
) -> None:
    with pytest.raises(ConnectCallFailed) as raised:
        BusinessClock(calendars, zone).hours_id(named, queue)
    assert raised.value.kind is Failure.CALENDAR_NOT_FOUND
    assert raised.value.error_code == code


def test_an_unknown_time_zone_or_denied_hours_are_calendar_failures(calendars: FakeQueueCalendars) -> None:
    clock = BusinessClock(calendars, zone)
    with pytest.raises(ConnectCallFailed) as raised:
        clock.deadlines("hours-mars", FRIDAY_1630, 3600)
    assert (raised.value.kind, raised.value.error_code) == (Failure.CALENDAR_NOT_FOUND, "UnknownTimeZone")
    calendars.failures["GetEffectiveHoursOfOperations"] = failed(
        "GetEffectiveHoursOfOperations", Failure.ACCESS_DENIED
    )
    with pytest.raises(ConnectCallFailed) as denied:
        clock.deadlines("hours-ny", FRIDAY_1630, 3600)
    assert denied.value.kind is Failure.ACCESS_DENIED


def test_a_calendar_with_no_open_time_has_no_deadline(calendars: FakeQueueCalendars) -> None:
    calendars.hours["hours-closed"] = ("UTC", {})
    deadlines = BusinessClock(calendars, zone).deadlines("hours-closed", FRIDAY_1630, 60, warn_seconds=30)
    assert (deadlines.breach, deadlines.warning) == (None, None)
    windows = [
        (date.fromisoformat(first), date.fromisoformat(last))
        for _, _, first, last in calendars.fetched_windows()
    ]
    assert all((last - first).days == 6 for first, last in windows)  # 7 dates a call
    assert windows[-1][1] >= date(2026, 12, 4) + timedelta(days=90)  # then it gives up


def test_a_timer_is_rearmed_only_for_a_later_deadline_still_ahead_and_at_most_three_times() -> None:
    armed = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    later = datetime(2026, 12, 8, 10, 30, tzinfo=UTC)
    assert moved_later(armed, later, now=armed, rearms=0)
    assert moved_later(armed, later, now=armed, rearms=MAX_REARMS - 1)
    assert not moved_later(armed, later, now=armed, rearms=MAX_REARMS)
    assert not moved_later(armed, armed, now=armed, rearms=0)  # unchanged: acts
    assert not moved_later(armed, later, now=later, rearms=0)  # later, but already past (a late firing)
    assert not moved_later(armed, None, now=armed, rearms=0)
