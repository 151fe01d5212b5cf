"""Time zones from the shipped tzdata, and the calendar cache (per queue, per hours id and window)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from escalation.adapters.calendar_cache import CachedQueueCalendars
from escalation.adapters.time_zones import UnknownTimeZone, zone
from escalation.domain.business_hours import EffectiveDay, EffectiveHours, QueueHours
from tests.unit.fakes import FakeTime


def test_zones_come_from_the_tzdata_package_even_with_no_os_database(monkeypatch: pytest.MonkeyPatch) -> None:
    zone.cache_clear()
    monkeypatch.setattr(zoneinfo, "TZPATH", ())
    lord_howe = zone("Australia/Lord_Howe")
    assert lord_howe.key == "Australia/Lord_Howe"
    assert datetime(2026, 7, 1, tzinfo=lord_howe).utcoffset() == timedelta(hours=10, minutes=30)
    assert zone("Australia/Lord_Howe") is lord_howe  # read once
    assert datetime(2026, 7, 1, 12, tzinfo=zone("UTC")).astimezone(UTC).hour == 12


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "", "America//New_York"]
)
def test_a_name_tzdata_does_not_have_is_refused(name: str) -> None:
    with pytest.raises(UnknownTimeZone):
        zone(name)


class CountingCalendars:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def describe_queue(self, queue_id: str) -> QueueHours:
        self.calls.append(("DescribeQueue", queue_id))
        return QueueHours(queue_id, "Billing", "hours-1")

    def effective_hours(self, hours_id: str, first: date, last: date) -> EffectiveHours:
        self.calls.append(("GetEffectiveHoursOfOperations", hours_id, first.isoformat()))
        return EffectiveHours("UTC", (EffectiveDay(first, ((540, 1020),)),))


def test_each_queue_and_window_is_fetched_once_per_cache_period() -> None:
    inner, time = CountingCalendars(), FakeTime()
    cached = CachedQueueCalendars(inner, ttl_seconds=300, clock=time.clock)
    week = (date(2026, 12, 3), date(2026, 12, 9))
    for _ in range(3):
        assert cached.describe_queue("q-1").hours_of_operation_id == "hours-1"
        cached.effective_hours("hours-1", *week)
    cached.effective_hours("hours-1", date(2026, 12, 10), date(2026, 12, 16))
    assert len(inner.calls) == 3

    time.sleep(299)
    cached.describe_queue("q-1")
    assert len(inner.calls) == 3
    time.sleep(1)
    cached.describe_queue("q-1")
    cached.effective_hours("hours-1", *week)
    assert len(inner.calls) == 5


def test_a_zero_period_remembers_nothing_and_failures_are_never_remembered() -> None:
    inner = CountingCalendars()
    uncached = CachedQueueCalendars(inner, ttl_seconds=0, clock=FakeTime().clock)
    uncached.describe_queue("q-1")
    uncached.describe_queue("q-1")
    assert len(inner.calls) == 2

    failing = CachedQueueCalendars(inner, ttl_seconds=300, clock=FakeTime().clock)
    attempts = []

    def describe(queue_id: str) -> QueueHours:
        attempts.append(queue_id)
        if len(attempts) == 1:
            raise RuntimeError("Connect refused")
        return QueueHours(queue_id, None, "hours-1")

    inner.describe_queue = describe  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        failing.describe_queue("q-2")
    assert failing.describe_queue("q-2").hours_of_operation_id == "hours-1"
    assert failing.describe_queue("q-2").hours_of_operation_id == "hours-1"
    assert attempts == ["q-2", "q-2"]
