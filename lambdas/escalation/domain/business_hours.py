"""Business hours: a queue's calendar as Connect gives it (effective open intervals per date, in the
hours' time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class QueueHours:
    """A queue as DescribeQueue describes it: what the SLA clock needs of it."""

    queue_id: str
    name: str | None
    hours_of_operation_id: str | None


@dataclass(frozen=True)
class EffectiveDay:
    """One date's open intervals, minutes since local midnight [start, end). An end not after its
    start runs past midnight (Connect's 00:00 end is midnight; 00:00-00:00 is the whole day)."""

    day: date
    intervals: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class EffectiveHours:
    """GetEffectiveHoursOfOperations' answer for a date range: the dates in order, and the time zone."""

    time_zone: str
    days: tuple[EffectiveDay, ...]
