"""The emulator's effective hours against the reference calendar, minute by minute (in process)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from local.connect_emulator.hours import effective_intervals
from local.connect_emulator.records import WEEKDAYS, DaySlice, HoursOfOperation, HoursOverride
from tests.calendar_reference import MINUTES_PER_DAY, Calendar, Interval, Override

FIRST = date(2026, 11, 30)  # a Monday
DAYS = 10

clock_minutes = st.one_of(st.integers(0, 47).map(lambda half_hours: half_hours * 30), st.integers(0, 1439))
day_hours = st.one_of(
    st.just(()),
    st.just(((0, 0),)),
    st.just(((22 * 60, 6 * 60),)),
    st.lists(st.tuples(clock_minutes, clock_minutes), max_size=2).map(tuple),
)
same_day = (
    st.tuples(clock_minutes, clock_minutes).map(lambda i: (min(i), max(i))).filter(lambda i: i[0] < i[1])
)
overrides = st.lists(
    st.builds(
        Override,
        day=st.integers(0, DAYS - 1).map(lambda offset: FIRST + timedelta(days=offset)),
        kind=st.sampled_from(["STANDARD", "OPEN", "CLOSED"]),
        slices=st.lists(same_day, max_size=2).map(tuple),
    ),
    max_size=3,
)


def emulated(calendar: Calendar) -> HoursOfOperation:
    """The same calendar as the emulator keeps it: a weekly config and one-date overrides."""
    config = tuple(
        DaySlice(WEEKDAYS[weekday], start, end)
        for weekday, day in enumerate(calendar.weekly)
        for start, end in day
    )
    hours = HoursOfOperation("hours-1", "Hours", "UTC", config)
    for number, override in enumerate(calendar.overrides):
        day_name = WEEKDAYS[override.day.weekday()]
        hours.overrides[str(number)] = HoursOverride(
            override_id=str(number),
            name=f"Override {number}",
            description=None,
            config=tuple(DaySlice(day_name, start, end) for start, end in override.slices),
            effective_from=override.day.isoformat(),
            effective_till=override.day.isoformat(),
            override_type=override.kind,
        )
    return hours


def connect_style(intervals: list[Interval]) -> tuple[Interval, ...]:
    return tuple((start, end % MINUTES_PER_DAY) for start, end in intervals)


@settings(max_examples=40, deadline=None)
@given(weekly=st.tuples(*(day_hours for _ in range(7))), dated=overrides)
def test_effective_hours_are_the_open_minutes_of_each_date(
    weekly: tuple[tuple[Interval, ...], ...], dated: list[Override]
) -> None:
    calendar = Calendar(weekly, tuple(dated))
    hours = emulated(calendar)
    for offset in range(DAYS):
        day = FIRST + timedelta(days=offset)
        opened, _ = effective_intervals(hours, day)
        assert connect_style(opened) == calendar.effective_day(day).intervals, day
