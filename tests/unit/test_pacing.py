"""The TransferContact pacer: an environment's calls are spaced to its share of the quota."""

import pytest

from escalation.adapters.pacing import Pacer
from tests.unit.fakes import FakeTime


def test_the_first_call_goes_at_once_and_the_next_ones_are_spaced() -> None:
    time = FakeTime()
    pacer = Pacer(0.5, clock=time.clock, sleep=time.sleep)  # one call every 2 s
    assert pacer.acquire(max_wait_seconds=10) == 0
    assert pacer.acquire(max_wait_seconds=10) == pytest.approx(2.0)
    assert pacer.acquire(max_wait_seconds=10) == pytest.approx(2.0)
    assert time.now == pytest.approx(104.0)


def test_idle_time_is_not_saved_up_into_a_burst() -> None:
    time = FakeTime()
    pacer = Pacer(1.0, clock=time.clock, sleep=time.sleep)
    pacer.acquire(10)
    time.now += 60  # a quiet minute
    assert pacer.acquire(10) == 0
    assert pacer.acquire(10) == pytest.approx(1.0)


def test_a_caller_short_of_time_waits_only_what_it_has_and_goes_ahead() -> None:
    time = FakeTime()
    pacer = Pacer(0.25, clock=time.clock, sleep=time.sleep)  # every 4 s
    pacer.acquire(10)
    assert pacer.acquire(max_wait_seconds=1.5) == pytest.approx(1.5)
    # Its slot was still taken, so the next caller queues behind it.
    assert pacer.acquire(max_wait_seconds=100) == pytest.approx(4.0 + 4.0 - 1.5)


def test_a_negative_budget_never_sleeps() -> None:
    time = FakeTime()
    pacer = Pacer(1.0, clock=time.clock, sleep=time.sleep)
    pacer.acquire(1)
    assert pacer.acquire(-3) == 0
    assert time.slept == []


@pytest.mark.parametrize("rate", [0, -1])
def test_a_pacer_needs_a_positive_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(rate)
