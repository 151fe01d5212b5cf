"""The business-time calculator against a minute-by-minute reference, and named examples (DST, holidays)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.domain.business_hours import (
    SEARCH_DAYS,
    WINDOW_DAYS,
    EffectiveDay,
    EffectiveHours,
    business_deadlines,
    deadline_after,
    open_spans,
)
from tests.calendar_reference import MINUTES_PER_DAY, Calendar, Interval, Override

# Each zone with the dates of its 2026 DST changes (Lord Howe's shift is 30 minutes).
ZONES = {
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Europe/London": (date(2026, 3, 29), date(2026, 10, 25)),
    "Australia/Lord_Howe": (date(2026, 4, 5), date(2026, 10, 4)),
}


def unsplit(days: list[EffectiveDay]) -> list[EffectiveDay]:
    """The same hours with each run over midnight as one overnight interval on the date it starts.

    Only a run shorter than a day joins: an interval is two clock times, so `10:00-10:30` can only mean
    half an hour, never 24.5 hours (such a run stays split at midnight, as the emulator lists it)."""
    result = [EffectiveDay(d.day, d.intervals) for d in days]
    for index in range(len(result) - 1):
        today, tomorrow = result[index], result[index + 1]
        to_midnight = [i for i in today.intervals if i[1] == 0 and i[0] > 0]
        from_midnight = [i for i in tomorrow.intervals if i[0] == 0 and i[1] != 0]
        if to_midnight and from_midnight and from_midnight[0][1] < to_midnight[0][0]:
            joined = (to_midnight[0][0], from_midnight[0][1])
            result[index] = EffectiveDay(
                today.day, (*(i for i in today.intervals if i != to_midnight[0]), joined)
            )
            result[index + 1] = EffectiveDay(
                tomorrow.day, tuple(i for i in tomorrow.intervals if i != from_midnight[0])
            )
    return result


def brute_force_deadline(
    calendar: Calendar, zone: ZoneInfo, first: date, last: date, enqueued: int, seconds: int
) -> float | None:
    """Step one UTC minute at a time from `enqueued`, counting the open ones (dates outside
    first..last are closed), until `seconds` of open time."""
    needed, counted = seconds // 60, 0
    horizon = datetime.combine(last + timedelta(days=2), datetime.min.time(), UTC).timestamp()
    minute = enqueued
    while minute < horizon:
        local = datetime.fromtimestamp(minute, zone)
        if first <= local.date() <= last and calendar.is_open(local.date(), local.hour * 60 + local.minute):
            counted += 1
            if counted == needed:
                return float(minute + 60)
        minute += 60
    return None


# ---- strategies -------------------------------------------------------------------------------------

clock_minutes = st.one_of(st.integers(0, 47).map(lambda half_hours: half_hours * 30), st.integers(0, 1439))
intervals = st.tuples(clock_minutes, clock_minutes)
day_hours = st.one_of(
    st.just(()),  # closed
    st.just(((0, 0),)),  # 24 hours
    st.just(((22 * 60, 6 * 60),)),  # overnight
    st.just(((9 * 60, 17 * 60),)),
    st.lists(intervals, max_size=2).map(tuple),
)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Calendar, ZoneInfo, date, date, int, int]:
    name = draw(st.sampled_from(sorted(ZONES)))
    change = draw(st.sampled_from(ZONES[name]))
    first = change - timedelta(days=draw(st.integers(2, 5)))
    last = first + timedelta(days=9)
    same_day = (
        st.tuples(clock_minutes, clock_minutes).map(lambda i: (min(i), max(i))).filter(lambda i: i[0] < i[1])
    )
    overrides = draw(
        st.lists(
            st.builds(
                Override,
                day=st.integers(0, 9).map(lambda offset: first + timedelta(days=offset)),
                kind=st.sampled_from(["STANDARD", "OPEN", "CLOSED"]),
                slices=st.lists(same_day, max_size=2).map(tuple),
            ),
            max_size=3,
        )
    )
    calendar = Calendar(tuple(draw(day_hours) for _ in range(7)), tuple(overrides))
    start = int(datetime.combine(first + timedelta(days=2), datetime.min.time(), UTC).timestamp())
    enqueued = start + 60 * draw(st.integers(0, 4 * MINUTES_PER_DAY))  # before, inside, after intervals
    seconds = 60 * draw(st.integers(1, 3 * MINUTES_PER_DAY))
    return calendar, ZoneInfo(name), first, last, enqueued, seconds


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), overnight_unsplit=st.booleans())
def test_the_deadline_is_where_a_minute_by_minute_count_reaches_the_seconds(
    scenario: tuple[Calendar, ZoneInfo, date, date, int, int], overnight_unsplit: bool
) -> None:
    calendar, zone, first, last, enqueued, seconds = scenario
    days = [calendar.effective_day(first + timedelta(days=n)) for n in range((last - first).days + 1)]
    if overnight_unsplit:  # Connect may list an overnight interval on its start date only
        days = unsplit(days)

    computed = deadline_after(open_spans(zone, days), enqueued, seconds)

    assert computed == brute_force_deadline(calendar, zone, first, last, enqueued, seconds)


# ---- the windowed search ----------------------------------------------------------------------------


class CalendarSource:
    """GetEffectiveHoursOfOperations over a calendar, recording the windows asked for."""

    def __init__(self, calendar: Calendar, zone: str) -> None:
        self.calendar, self.zone = calendar, zone
        self.windows: list[tuple[date, date]] = []

    def __call__(self, first: date, last: date) -> EffectiveHours:
        self.windows.append((first, last))
        days = [
            self.calendar.effective_day(first + timedelta(days=n)) for n in range((last - first).days + 1)
        ]
        return EffectiveHours(self.zone, tuple(days))


WEEKDAYS_9_TO_5 = Calendar(tuple(((9 * 60, 17 * 60),) if weekday < 5 else () for weekday in range(7)), ())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    weekly=st.tuples(*(day_hours for _ in range(7))),
    zone=st.sampled_from(sorted(ZONES)),
    enqueued=st.integers(
        int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    ),
    hours=st.integers(1, 80),
)
def test_windows_of_seven_dates_stop_once_the_deadline_is_known_and_agree_with_one_pass(
    weekly: tuple[tuple[Interval, ...], ...], zone: str, enqueued: int, hours: int
) -> None:
    calendar = Calendar(weekly, ())
    source = CalendarSource(calendar, zone)
    warning, breach = business_deadlines(enqueued, [hours * 1800, hours * 3600], source, ZoneInfo)

    assert all((last - first).days + 1 <= WINDOW_DAYS for first, last in source.windows)
    assert all(
        b[0] == a[1] + timedelta(days=1) for a, b in zip(source.windows, source.windows[1:], strict=False)
    )
    local_day = datetime.fromtimestamp(enqueued, ZoneInfo(zone)).date()
    assert source.windows[0][0] < local_day  # the day before may end with an overnight interval
    first, last = source.windows[0][0], source.windows[-1][1]
    days = [calendar.effective_day(first + timedelta(days=n)) for n in range((last - first).days + 1)]
    spans = open_spans(ZoneInfo(zone), days)
    assert (warning, breach) == (
        deadline_after(spans, enqueued, hours * 1800),
        deadline_after(spans, enqueued, hours * 3600),
    )
    if breach is not None:  # no window fetched beyond the one that holds the deadline
        assert (
            len(source.windows) == 1
            or breach
            > datetime.combine(
                source.windows[-2][1] + timedelta(days=1), datetime.min.time(), ZoneInfo(zone)
            ).timestamp()
        )
    else:
        assert last >= datetime.fromtimestamp(enqueued, UTC).date() + timedelta(days=SEARCH_DAYS)


# ---- named examples ---------------------------------------------------------------------------------


def at(zone: str, *fields: int) -> float:
    return datetime(*fields, tzinfo=ZoneInfo(zone)).timestamp()  # type: ignore[misc]


def deadline(calendar: Calendar, zone: str, enqueued: float, seconds: float) -> float | None:
    return business_deadlines(enqueued, [seconds], CalendarSource(calendar, zone), ZoneInfo)[0]


def hours_every_day(start: int, end: int) -> Calendar:
    return Calendar(tuple(((start, end),) for _ in range(7)), ())


NY = "America/New_York"


def test_friday_afternoon_with_a_closed_monday_holiday_is_due_tuesday_morning() -> None:
    holiday = Calendar(WEEKDAYS_9_TO_5.weekly, (Override(date(2026, 12, 7), "CLOSED", ()),))
    due = deadline(holiday, NY, at(NY, 2026, 12, 4, 16, 30), 2 * 3600)
    assert due == at(NY, 2026, 12, 8, 10, 30)
    assert datetime.fromtimestamp(due, UTC) == datetime(2026, 12, 8, 15, 30, tzinfo=UTC)  # type: ignore[arg-type]


def test_without_the_holiday_the_same_email_is_due_monday() -> None:
    assert deadline(WEEKDAYS_9_TO_5, NY, at(NY, 2026, 12, 4, 16, 30), 2 * 3600) == at(NY, 2026, 12, 7, 10, 30)


def test_queued_while_closed_the_clock_starts_at_the_next_opening() -> None:
    london = "Europe/London"
    assert deadline(WEEKDAYS_9_TO_5, london, at(london, 2026, 6, 6, 11, 0), 3600) == at(
        london, 2026, 6, 8, 10, 0
    )


def test_open_time_is_elapsed_time_across_the_spring_forward_night() -> None:
    # Open around the clock: four hours after 23:00 EST is 04:00 EDT, not 03:00.
    always = hours_every_day(0, 0)
    assert deadline(always, NY, at(NY, 2026, 3, 7, 23, 0), 4 * 3600) == at(NY, 2026, 3, 8, 4, 0)


def test_the_skipped_hour_is_never_open_and_the_repeated_hour_is_open_twice() -> None:
    one_to_three = hours_every_day(60, 180)
    # 8 March: 01:00-02:00 EST, then 03:00 EDT (02:xx never happens): one open hour that night.
    assert deadline(one_to_three, NY, at(NY, 2026, 3, 8, 0, 0), 3600) == at(NY, 2026, 3, 8, 3, 0)
    assert deadline(one_to_three, NY, at(NY, 2026, 3, 8, 0, 0), 3600 + 60) == at(NY, 2026, 3, 9, 1, 1)
    # 1 November: 01:00-02:00 happens twice (EDT, then EST): three open hours that night.
    start = at(NY, 2026, 11, 1, 0, 0)
    assert deadline(one_to_three, NY, start, 3 * 3600) == at(NY, 2026, 11, 1, 3, 0)


def test_lord_howe_moves_its_clocks_by_thirty_minutes() -> None:
    lord_howe = "Australia/Lord_Howe"
    always = hours_every_day(0, 0)
    # 4 October 2026, 02:00 becomes 02:30: two hours after 01:00 is 03:30 on the wall clock.
    assert deadline(always, lord_howe, at(lord_howe, 2026, 10, 4, 1, 0), 2 * 3600) == at(
        lord_howe, 2026, 10, 4, 3, 30
    )
    two_to_three = hours_every_day(120, 180)
    assert deadline(two_to_three, lord_howe, at(lord_howe, 2026, 10, 4, 0, 0), 1800) == at(
        lord_howe, 2026, 10, 4, 3, 0
    )


def test_an_overnight_desk_counts_across_midnight() -> None:
    nights = hours_every_day(22 * 60, 6 * 60)
    assert deadline(nights, NY, at(NY, 2026, 12, 4, 21, 0), 3 * 3600) == at(NY, 2026, 12, 5, 1, 0)


def test_a_calendar_without_open_time_gives_up_after_ninety_days() -> None:
    closed = Calendar(tuple(() for _ in range(7)), ())
    source = CalendarSource(closed, NY)
    assert business_deadlines(at(NY, 2026, 12, 4, 9, 0), [60], source, ZoneInfo) == (None,)
    covered = (source.windows[-1][1] - source.windows[0][0]).days + 1
    assert SEARCH_DAYS <= covered <= SEARCH_DAYS + 2 * WINDOW_DAYS + 2


def test_a_deadline_found_in_the_first_window_fetches_it_alone() -> None:
    source = CalendarSource(WEEKDAYS_9_TO_5, NY)
    business_deadlines(at(NY, 2026, 12, 2, 10, 0), [1800, 3600], source, ZoneInfo)
    assert len(source.windows) == 1


@pytest.mark.parametrize("seconds", [1, 59.5, 3600.25])
def test_seconds_need_not_be_whole_minutes(seconds: float) -> None:
    enqueued = at(NY, 2026, 12, 2, 10, 0) + 0.5
    assert deadline(WEEKDAYS_9_TO_5, NY, enqueued, seconds) == enqueued + seconds
