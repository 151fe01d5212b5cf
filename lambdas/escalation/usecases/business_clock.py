"""Business-hours SLA clocks over ports: which calendar a contact's clock runs on, and its deadlines.

The calendar is the policy's hours of operation, else the contact's queue's (DescribeQueue). Effective
hours come from Connect through the port (cached by the composition root), in windows of 7 dates.
A calendar that cannot be read raises ConnectCallFailed, classified for the error table.
"""

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from escalation.domain.business_hours import BusinessDeadlines, business_deadlines
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.model import resource_id
from escalation.domain.policy import Failure
from escalation.ports import QueueCalendars


def _unreadable(operation: str, code: str, message: str) -> ConnectCallFailed:
    return ConnectCallFailed(Failure.CALENDAR_NOT_FOUND, operation, code, message[:500], attempts=1)


class BusinessClock:
    def __init__(self, calendars: QueueCalendars, zone_of: Callable[[str], tzinfo]) -> None:
        self._calendars = calendars
        self._zone_of = zone_of

    def hours_id(self, named: str | None, queue: str | None) -> str:
        """The calendar a clock runs on: `named` (a policy's hoursOfOperationId), else the queue's."""
        if named:
            return named
        if not queue:
            raise _unreadable("DescribeQueue", "NoQueue", "the contact event names no queue")
        hours_id = self._calendars.describe_queue(resource_id(queue)).hours_of_operation_id
        if not hours_id:
            raise _unreadable(
                "DescribeQueue", "NoHoursOfOperation", f"queue {queue} has no hours of operation"
            )
        return hours_id

    def _zone(self, name: str) -> tzinfo:
        try:
            return self._zone_of(name)
        except ValueError as error:  # an unknown or malformed name (UnknownTimeZone)
            raise _unreadable("GetEffectiveHoursOfOperations", "UnknownTimeZone", str(error)) from error

    def deadlines(
        self, hours_id: str, enqueued_at: datetime, seconds: float, warn_seconds: float | None = None
    ) -> BusinessDeadlines:
        """When `seconds` (and `warn_seconds`) of open time have passed since `enqueued_at`."""
        amounts = [seconds] if warn_seconds is None else [seconds, warn_seconds]
        found = business_deadlines(
            enqueued_at.timestamp(),
            amounts,
            lambda first, last: self._calendars.effective_hours(hours_id, first, last),
            self._zone,
        )
        instants = [None if at is None else datetime.fromtimestamp(at, UTC) for at in found]
        return BusinessDeadlines(hours_id, instants[0], instants[1] if len(instants) > 1 else None)
