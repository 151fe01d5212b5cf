"""A business calendar's reference semantics, minute by minute: the weekly hours (an end not after the
start runs past midnight; 00:00-00:00 the whole day) and date overrides (STANDARD replaces the date's
hours, OPEN adds to them, CLOSED removes from them; no slices: the whole date). Written independently of
the code it checks: the calculator's property test and the emulator's effective hours both use it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from escalation.domain.business_hours import EffectiveDay

MINUTES_PER_DAY = 1440
Interval = tuple[int, int]


@dataclass(frozen=True)
class Override:
    day: date
    kind: str  # STANDARD | OPEN | CLOSED
    slices: tuple[Interval, ...]  # same-day [start, end); none: the whole date


@dataclass(frozen=True)
class Calendar:
    weekly: tuple[tuple[Interval, ...], ...]  # by date.weekday(); an end not after its start: overnight
    overrides: tuple[Override, ...]

    def _weekly_open(self, day: date, minute: int) -> bool:
        for start, end in self.weekly[day.weekday()]:
            if start <= minute and ((end > start and minute < end) or end <= start):
                return True
        yesterday = (day - timedelta(days=1)).weekday()
        return any(end <= start and minute < end for start, end in self.weekly[yesterday])

    def is_open(self, day: date, minute: int) -> bool:
        applying = [o for o in self.overrides if o.day == day]
        inside = [any(s <= minute < e for s, e in o.slices) or not o.slices for o in applying]
        standard = [hit for o, hit in zip(applying, inside, strict=True) if o.kind == "STANDARD"]
        is_open = any(standard) if standard else self._weekly_open(day, minute)
        is_open = is_open or any(hit for o, hit in zip(applying, inside, strict=True) if o.kind == "OPEN")
        return is_open and not any(hit for o, hit in zip(applying, inside, strict=True) if o.kind == "CLOSED")

    def effective_day(self, day: date) -> EffectiveDay:
        """The date's open minutes as intervals, the way Connect answers (a run to midnight ends at 0)."""
        return _effective_day(self, day)


@functools.cache  # calendars are frozen: each date is scanned once per calendar
def _effective_day(calendar: Calendar, day: date) -> EffectiveDay:
    runs: list[Interval] = []
    for minute in range(MINUTES_PER_DAY):
        if calendar.is_open(day, minute):
            if runs and runs[-1][1] == minute:
                runs[-1] = (runs[-1][0], minute + 1)
            else:
                runs.append((minute, minute + 1))
    return EffectiveDay(day, tuple((s, e % MINUTES_PER_DAY) for s, e in runs))
