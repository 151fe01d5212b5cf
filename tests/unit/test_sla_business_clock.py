"""SLA policies on a business clock: arming at the business deadline, no open time, re-arming (in memory)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation.adapters.time_zones import zone
from escalation.domain.business_hours import MAX_REARMS
from escalation.domain.contact_events import ContactEvent
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.policy import Failure
from escalation.domain.routing import RoutingRules, RoutingRulesError, parse_rules
from escalation.domain.schedule_names import timer_names
from escalation.domain.timer_events import BusinessTimer, SlaBreachDetail, SlaWarningDetail
from escalation.usecases.business_clock import BusinessClock
from escalation.usecases.sla_timers import SlaTimerService, TimerOutcome
from tests.unit.builders import INSTANCE_ARN, INSTANCE_ID
from tests.unit.fakes import WEEKDAYS_NINE_TO_FIVE, FakeQueueCalendars, InMemorySlaTimers

NY = ZoneInfo("America/New_York")
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=NY)
HOLIDAY = date(2026, 12, 7)
RULE = {"name": "any", "target": {"queue": {"id": "q", "flowId": "f"}}}


def rules(*policies: dict[str, object]) -> RoutingRules:
    return parse_rules(json.dumps({"rules": [RULE], "sla": list(policies)}))


EMAILS_2_BUSINESS_HOURS = rules(
    {
        "name": "emails-2-business-hours",
        "match": {"channels": ["EMAIL"]},
        "seconds": 7200,
        "warnAtPercent": 75,
        "clock": "business",
    },
    {"name": "tasks-wall-1h", "match": {"channels": ["TASK"]}, "seconds": 3600},
)


def queued_email(enqueued_at: datetime = FRIDAY_1630, queue: str = "queue-ny") -> ContactEvent:
    return ContactEvent("QUEUED", "c-1", INSTANCE_ARN, "EMAIL", f"{INSTANCE_ARN}/queue/{queue}", enqueued_at)


@pytest.fixture
def calendars() -> FakeQueueCalendars:
    return FakeQueueCalendars(
        queues={"queue-ny": "hours-ny"},
        hours={"hours-ny": ("America/New_York", WEEKDAYS_NINE_TO_FIVE), "hours-closed": ("UTC", {})},
        closed={HOLIDAY},
    )


@pytest.fixture
def timers() -> InMemorySlaTimers:
    return InMemorySlaTimers()


Clock = Callable[[], datetime]


def service_with(
    timers: InMemorySlaTimers,
    calendars: FakeQueueCalendars,
    routing: RoutingRules,
    now: datetime = FRIDAY_1630,
) -> SlaTimerService:
    return SlaTimerService(
        timers, lambda: routing, INSTANCE_ID, clock=lambda: now, business_clock=BusinessClock(calendars, zone)
    )


# --- policies as data ---


def test_a_clock_is_wall_or_business_and_only_a_business_clock_names_hours() -> None:
    assert [policy.clock.value for policy in EMAILS_2_BUSINESS_HOURS.sla] == ["business", "wall"]
    with pytest.raises(RoutingRulesError) as raised:
        rules(
            {"name": "odd", "seconds": 60, "clock": "lunar"},
            {"name": "walled", "seconds": 60, "hoursOfOperationId": "hours-ny"},
            {"name": "empty", "seconds": 60, "clock": "business", "hoursOfOperationId": ""},
        )
    message = str(raised.value)
    assert "SLA policy #1 'odd': clock" in message
    assert "SLA policy #2 'walled': hoursOfOperationId" in message
    assert "SLA policy #3 'empty': hoursOfOperationId" in message
    named = rules({"name": "named", "seconds": 60, "clock": "business", "hoursOfOperationId": "hours-ny"})
    assert named.sla[0].hours_of_operation_id == "hours-ny"


# --- arming ---


def test_an_email_queued_friday_afternoon_before_a_holiday_is_due_tuesday_morning(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    changes = service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS).on_contact_event(queued_email())

    assert changes.outcome is TimerOutcome.ARMED
    breach_name, warning_name = timer_names("c-1")
    breach, warning = timers.armed[breach_name], timers.armed[warning_name]
    assert breach.fire_at == datetime(2026, 12, 8, 10, 30, tzinfo=NY)  # 15:30 UTC
    assert breach.fire_at == datetime(2026, 12, 8, 15, 30, tzinfo=UTC)
    assert warning.fire_at == datetime(2026, 12, 8, 10, 0, tzinfo=NY)  # 75% of 2 business hours
    detail = breach.event["detail"]
    assert detail["clock"] == "business"
    assert detail["hoursOfOperationId"] == "hours-ny"
    assert detail["rearms"] == 0
    assert datetime.fromisoformat(detail["enqueuedAt"]) == FRIDAY_1630
    assert datetime.fromisoformat(detail["breachedAt"]) == datetime(2026, 12, 8, 10, 30, tzinfo=NY)
    assert calendars.calls[0] == ("DescribeQueue", "queue-ny")


def test_a_wall_clock_policy_reads_no_calendar(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    task = ContactEvent("QUEUED", "t-1", INSTANCE_ARN, "TASK", f"{INSTANCE_ARN}/queue/queue-ny", FRIDAY_1630)
    service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS).on_contact_event(task)
    assert timers.armed[timer_names("t-1")[0]].fire_at == FRIDAY_1630 + timedelta(hours=1)
    assert "clock" not in timers.armed[timer_names("t-1")[0]].event["detail"]
    assert calendars.calls == []


def test_a_policy_naming_its_hours_skips_the_queue(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    named = rules({"name": "named", "seconds": 3600, "clock": "business", "hoursOfOperationId": "hours-ny"})
    service_with(timers, calendars, named).on_contact_event(queued_email(queue="queue-unknown"))
    assert timers.armed[timer_names("c-1")[0]].fire_at == datetime(2026, 12, 8, 9, 30, tzinfo=NY)
    assert all(call[0] != "DescribeQueue" for call in calendars.calls)


def test_a_calendar_without_open_time_arms_nothing(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    closed = rules(
        {"name": "closed", "seconds": 60, "clock": "business", "hoursOfOperationId": "hours-closed"}
    )
    changes = service_with(timers, calendars, closed).on_contact_event(queued_email())
    assert changes.outcome is TimerOutcome.NO_BUSINESS_HOURS
    assert timers.armed == {}


def test_a_calendar_that_cannot_be_read_is_raised_for_the_error_table(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    with pytest.raises(ConnectCallFailed) as raised:
        service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS).on_contact_event(
            queued_email(queue="queue-gone")
        )
    assert raised.value.kind is Failure.CALENDAR_NOT_FOUND
    assert timers.armed == {}


# --- a fired timer, re-checked against the hours as they are now ---


def fired_breach(timers: InMemorySlaTimers, name: str) -> tuple[BusinessTimer, dict[str, object]]:
    event = dict(timers.armed[name].event)
    business = BusinessTimer.of(SlaBreachDetail.model_validate(event["detail"]))
    assert business is not None
    return business, event


def test_a_holiday_added_after_arming_moves_the_breach_and_the_timer_is_rearmed_at_most_three_times(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    calendars.closed = set()
    service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS).on_contact_event(queued_email())
    breach_name = timer_names("c-1")[0]
    assert timers.armed[breach_name].fire_at == datetime(
        2026, 12, 7, 10, 30, tzinfo=NY
    )  # Monday, no holiday yet

    calendars.closed = {HOLIDAY, date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)}  # then, day by day
    monday = datetime(2026, 12, 7, 10, 30, tzinfo=NY)
    fired, event = fired_breach(timers, breach_name)
    names = {breach_name}
    for number, day in enumerate((11, 14, 15), start=1):
        calendars.closed.add(date(2026, 12, day))  # yet another closed day, added before each firing
        rearmed = service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS, now=monday).rearm_if_moved(
            fired, event
        )
        assert rearmed is not None
        assert rearmed.name not in names  # a name of its own
        names.add(rearmed.name)
        assert rearmed.event["detail"]["rearms"] == number
        assert timers.armed[rearmed.name] is rearmed
        fired, event = fired_breach(timers, rearmed.name)
        monday = rearmed.fire_at
    assert fired.rearms == MAX_REARMS
    calendars.closed.add(date(2026, 12, 16))
    assert (
        service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS, now=monday).rearm_if_moved(fired, event)
        is None
    )


def test_an_unchanged_calendar_lets_the_breach_act(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS).on_contact_event(queued_email())
    fired, event = fired_breach(timers, timer_names("c-1")[0])
    tuesday = datetime(2026, 12, 8, 10, 30, tzinfo=NY)
    assert (
        service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS, now=tuesday).rearm_if_moved(fired, event)
        is None
    )


def test_a_warning_is_rechecked_the_same_way(
    timers: InMemorySlaTimers, calendars: FakeQueueCalendars
) -> None:
    service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS).on_contact_event(queued_email())
    warning_name = timer_names("c-1")[1]
    event = dict(timers.armed[warning_name].event)
    fired = BusinessTimer.of(SlaWarningDetail.model_validate(event["detail"]))
    assert fired is not None
    assert fired.seconds == 5400
    calendars.closed.add(date(2026, 12, 8))
    now = datetime(2026, 12, 8, 10, 0, tzinfo=NY)
    rearmed = service_with(timers, calendars, EMAILS_2_BUSINESS_HOURS, now=now).rearm_if_moved(fired, event)
    assert rearmed is not None
    assert rearmed.fire_at == datetime(2026, 12, 9, 10, 0, tzinfo=NY)
    assert rearmed.event["detail-type"] == event["detail-type"]
    assert rearmed.event["detail"]["warnedAt"] == rearmed.fire_at.isoformat()


def test_a_wall_clock_breach_is_not_rechecked() -> None:
    detail = SlaBreachDetail.model_validate(
        {"contactId": "c-1", "slaPolicy": "p", "slaSeconds": 60, "breachedAt": "2026-12-04T10:00:00Z"}
    )
    assert BusinessTimer.of(detail) is None
