"""Business hours: a queue's calendar as Connect gives it (effective open intervals per date, in the
hours' time zone) and the business-time deadlines computed from it. Pure: no clock, no I/O; the
calendar is read through the `fetch` function given.

An instant is open when its wall-clock time, in the hours' time zone, lies in an open interval of its
local date (or in the after-midnight part of the day before's overnight interval). So the hour a DST
change skips is never open, and the hour it repeats is open twice when its wall-clock times are open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

MINUTES_PER_DAY = 24 * 60
SECONDS_PER_DAY = 86_400
# GetEffectiveHoursOfOperations documents no limit on its date span: calls keep to 7 dates.
WINDOW_DAYS = 7
# No deadline within this many days of the enqueue time: no timer (the calendar has no open time).
SEARCH_DAYS = 90
# Wider than any UTC offset (-12h..+14h): a local time's UTC instant lies within this of it.
_OFFSET_MARGIN_SECONDS = 15 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

Span = tuple[float, float]  # [start, end) in epoch seconds (UTC)


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
class BusinessDeadlines:
    """A business clock's deadlines: when the open time since enqueue reaches the policy's seconds
    (and its warning's share of them), on the calendar `hours_id`."""

    hours_id: str
    breach: datetime | None  # None: not within SEARCH_DAYS (the calendar has too little open time)
    warning: datetime | None  # None when not asked for, or not within SEARCH_DAYS


@dataclass(frozen=True)
class EffectiveHours:
    """GetEffectiveHoursOfOperations' answer for a date range: the dates in order, and the time zone."""

    time_zone: str
    days: tuple[EffectiveDay, ...]


# ---- wall-clock intervals to UTC spans -------------------------------------------------------------


def _offset(zone: tzinfo, instant: float) -> float:
    offset = datetime.fromtimestamp(instant, zone).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def _local_seconds(day: date, minutes: int) -> int:
    """A wall-clock time as seconds since 1970-01-01 00:00 on the same wall clock."""
    return (day.toordinal() - _EPOCH_ORDINAL) * SECONDS_PER_DAY + minutes * 60


def _transition(zone: tzinfo, low: float, high: float) -> int:
    """The first whole second in (low, high] with `high`'s offset (the offset changes once between)."""
    after = _offset(zone, high)
    lo, hi = int(low), int(high)
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if _offset(zone, middle) == after:
            hi = middle
        else:
            lo = middle
    return hi


def wall_clock_spans(zone: tzinfo, start: int, end: int) -> list[Span]:
    """The UTC spans whose wall-clock time in `zone` lies in [start, end) (local seconds).

    Offsets change at most once near one interval (time zones change them months apart), so the
    answer is one span, or two around a DST change: before it with the old offset, after with the new.
    """
    if end <= start:
        return []
    low, high = start - _OFFSET_MARGIN_SECONDS, end + _OFFSET_MARGIN_SECONDS
    before, after = _offset(zone, low), _offset(zone, high)
    if before == after:
        return [(start - before, end - before)]
    change = _transition(zone, low, high)
    spans = [(start - before, min(end - before, change)), (max(start - after, change), end - after)]
    return [(s, e) for s, e in spans if e > s]


def first_instant_at(zone: tzinfo, local: int) -> float:
    """The first UTC instant whose wall-clock time in `zone` is `local` (local seconds) or later."""
    return wall_clock_spans(zone, local, local + SECONDS_PER_DAY)[0][0]


def open_spans(zone: tzinfo, days: Iterable[EffectiveDay]) -> list[Span]:
    """Every open span of these dates in UTC, sorted and merged."""
    spans: list[Span] = []
    for effective in days:
        for opens, closes in effective.intervals:
            minutes_open = closes - opens if closes > opens else closes + MINUTES_PER_DAY - opens
            start_local = _local_seconds(effective.day, opens)
            spans += wall_clock_spans(zone, start_local, start_local + minutes_open * 60)
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def deadline_after(spans: Sequence[Span], start: float, seconds: float) -> float | None:
    """The first instant at which the open time since `start` reaches `seconds` (None: not in `spans`).
    Started while closed, the clock starts at the next opening."""
    remaining = seconds
    for span_start, span_end in spans:
        if span_end <= start:
            continue
        opened = max(span_start, start)
        if span_end - opened >= remaining:
            return opened + remaining
        remaining -= span_end - opened
    return None


# ---- the search, one window of dates at a time ------------------------------------------------------


def search_windows(enqueued: float) -> Iterator[tuple[date, date]]:
    """The date windows (first, last; WINDOW_DAYS dates each) to fetch for a clock started at `enqueued`.

    They start two days before its UTC date (its local date is within a day of it, and the day before
    that may end with an overnight interval) and are aligned to fixed 7-day blocks, so contacts queued
    the same week ask for the same windows (the cache's key); they cover SEARCH_DAYS after it.
    """
    utc_day = datetime.fromtimestamp(enqueued, UTC).date()
    ordinal = (utc_day - timedelta(days=2)).toordinal()
    first = date.fromordinal(ordinal - ordinal % WINDOW_DAYS)
    last_needed = utc_day + timedelta(days=SEARCH_DAYS)
    while first <= last_needed:
        yield first, first + timedelta(days=WINDOW_DAYS - 1)
        first += timedelta(days=WINDOW_DAYS)


def business_deadlines(
    enqueued: float,
    amounts: Sequence[float],
    fetch: Callable[[date, date], EffectiveHours],
    zone_of: Callable[[str], tzinfo],
) -> tuple[float | None, ...]:
    """For each amount of open seconds, the instant it is reached counting from `enqueued` (None when
    not within SEARCH_DAYS). Windows are fetched in order and fetching stops once every deadline is
    known: a deadline counts only up to the last fetched date's end, as later dates may add open time."""
    days: dict[date, EffectiveDay] = {}
    found: tuple[float | None, ...] = tuple(None for _ in amounts)
    for first, last in search_windows(enqueued):
        hours = fetch(first, last)
        zone = zone_of(hours.time_zone)
        days.update((effective.day, effective) for effective in hours.days)
        spans = open_spans(zone, days.values())
        known_until = first_instant_at(zone, _local_seconds(last + timedelta(days=1), 0))
        found = tuple(
            deadline if deadline is not None and deadline <= known_until else None
            for deadline in (deadline_after(spans, enqueued, amount) for amount in amounts)
        )
        if all(deadline is not None for deadline in found):
            break
    return found


# ---- a fired business-clock timer, re-checked against the calendar as it is now ----------------------

# A contact's timer is re-armed at most this many times (a calendar edited again and again cannot hold
# an escalation back for ever).
MAX_REARMS = 3


def moved_later(armed_due: datetime, recomputed_due: datetime | None, now: datetime, rearms: int) -> bool:
    """Whether a fired timer is re-armed instead of acting: the deadline recomputed now is later than
    the one it was armed for, still ahead, and the contact has re-arms left. A calendar with no open
    time left (None) is not a later deadline: the timer acts."""
    return (
        recomputed_due is not None
        and recomputed_due > armed_due
        and recomputed_due > now
        and rearms < MAX_REARMS
    )
