"""The demo's business-hours step: an SLA that counts only the queue's open hours, holidays included.

The seeded queue `queue-email-ny` runs Monday-Friday 09:00-17:00 in New York. The step closes the
coming Monday with a holiday override (added as the administrator would; the function's IAM policy,
installed on the emulator, allows it no CreateHoursOfOperationOverride),
queues an email as of Friday 16:30 New York under a 2-business-hour policy, and reads the schedule the
handler armed: Tuesday 10:30 New York (30 minutes on Friday, none at the weekend or on the holiday, 90
on Tuesday). It then moves the local scheduler's clock to just before that instant (nothing fires) and
just after it (the breach fires and the email is escalated).
"""

from __future__ import annotations

import time as wall
from datetime import UTC, date, datetime, time, timedelta

from escalation.adapters.time_zones import zone
from escalation.domain.schedule_names import timer_names
from local.connect_emulator import OverrideSeed
from local.demo.harness import Scenario, step, wait_until
from local.demo.sla_steps import SCHEDULER_CLOCK
from local.scheduler_backend import at_time
from local.stack import BUSINESS_HOURS_ID, BUSINESS_HOURS_QUEUE, BUSINESS_HOURS_TIME_ZONE, INSTANCE_ID


def coming_friday_1630(now: datetime) -> datetime:
    """The first Friday 16:30 New York time from `now` on (today, if it is Friday before 16:30)."""
    new_york = zone(BUSINESS_HOURS_TIME_ZONE)
    local_now = now.astimezone(new_york)
    friday = datetime.combine(
        local_now.date() + timedelta(days=(4 - local_now.weekday()) % 7), time(16, 30), new_york
    )
    return friday if friday > local_now else friday + timedelta(days=7)


def _both(moment: datetime) -> str:
    local = moment.astimezone(zone(BUSINESS_HOURS_TIME_ZONE))
    return f"{local:%A %Y-%m-%d %H:%M} New York = {moment.astimezone(UTC):%A %H:%M} UTC"


class BusinessHoursSteps(Scenario):
    """An SLA on business hours: a Friday email due on Tuesday, past a holiday."""

    def _close(self, holiday: date) -> None:
        """A CLOSED override for the whole date, as the contact centre's administrator adds it."""
        day = holiday.isoformat()
        self.stack.connect.add_hours_override(
            OverrideSeed(INSTANCE_ID, BUSINESS_HOURS_ID, f"Holiday {day}", day, day, "CLOSED")
        )

    def _armed_at(self, name: str) -> datetime | None:
        scheduler = self.stack.scheduler
        if scheduler is None or name not in {s["Name"] for s in self.stack.schedules()}:
            return None
        schedule = scheduler.clients.scheduler.get_schedule(Name=name, GroupName=scheduler.group)
        due = at_time(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
        return None if due is None else datetime.fromtimestamp(due, UTC)

    def _scheduler_at(self, moment: datetime) -> None:
        SCHEDULER_CLOCK.offset = moment.timestamp() - wall.time()
        scheduler = self.stack.scheduler
        if scheduler is not None:
            scheduler.tick()
        self.demo.wait_for_bus()

    @step(
        "An email queued Friday 16:30 New York, 2 business hours, the coming Monday a holiday",
        "its timer at Tuesday 10:30 New York; nothing fires just before, one transfer just after",
    )
    def friday_email_is_due_tuesday(self) -> tuple[bool, str]:
        friday = coming_friday_1630(datetime.now(UTC))
        self._close(friday.date() + timedelta(days=3))
        expected = datetime.combine(
            friday.date() + timedelta(days=4), time(10, 30), zone(BUSINESS_HOURS_TIME_ZONE)
        )
        contact = self.stack.add_contact(
            "EMAIL", queue_id=BUSINESS_HOURS_QUEUE, enqueued_at=friday.timestamp()
        )
        self.stack.connect.flush_contact_events()
        breach_name = timer_names(contact)[0]
        wait_until(lambda: self._armed_at(breach_name) is not None)
        self.demo.wait_for_bus()
        armed = self._armed_at(breach_name)
        print(
            f"    queued {_both(friday)}; holiday {friday.date() + timedelta(days=3):%A %Y-%m-%d}", flush=True
        )
        print(f"    timer armed for {_both(armed) if armed else 'nothing'}", flush=True)
        try:
            self._scheduler_at(expected - timedelta(minutes=5))
            before = len(self.demo.transferred(contact)), self._armed_at(breach_name) is not None
            self._scheduler_at(expected + timedelta(seconds=90))
            wait_until(lambda: self._armed_at(breach_name) is None and bool(self.demo.transferred(contact)))
            self.demo.wait_for_bus()
        finally:
            SCHEDULER_CLOCK.offset = 0.0
        after = len(self.demo.transferred(contact))
        ok = armed == expected and before == (0, True) and after == 1
        return ok, (
            f"armed for {_both(armed) if armed else 'nothing'}; 5 min before: {before[0]} transfers "
            f"(timer still armed: {before[1]}); 90 s after: {after} transfer"
        )
