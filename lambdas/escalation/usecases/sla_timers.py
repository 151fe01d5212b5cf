"""The SLA timers' use case: arm and cancel them from contact events, and judge what a timer fires.

Pure Python over ports. Contact events are best-effort and unordered, so arming and cancelling are
idempotent and never decide an escalation: a timer that fires re-checks the contact first.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from escalation.contract import ContactEventType
from escalation.domain.business_hours import BusinessDeadlines, moved_later
from escalation.domain.contact_events import ContactEvent
from escalation.domain.routing import RoutingRules
from escalation.domain.schedule_names import timer_names
from escalation.domain.sla_policy import TIMED_CHANNELS, SlaClock, SlaPolicy, find_policy
from escalation.domain.timer_events import (
    BusinessTimer,
    SlaTimer,
    plan_timers,
    rearmed_timer,
    warning_seconds,
)
from escalation.ports import ContactCenter, SlaTimers
from escalation.usecases.business_clock import BusinessClock
from escalation.usecases.contacts import describe_known_contact


class TimerOutcome(StrEnum):
    ARMED = "ARMED"
    ALREADY_ARMED = "ALREADY_ARMED"
    CANCELLED = "CANCELLED"
    IGNORED = "IGNORED"  # no policy, another instance, or an event that changes no timer
    UNREADABLE = "UNREADABLE"  # a timestamp no real contact has (domain.contact_events.plausible_time)
    # A business clock whose calendar has no (enough) open time within 90 days: no timer.
    NO_BUSINESS_HOURS = "NO_BUSINESS_HOURS"


@dataclass(frozen=True)
class TimerChanges:
    outcome: TimerOutcome
    armed: int = 0
    cancelled: int = 0


def _cancelled(count: int) -> TimerChanges:
    return TimerChanges(TimerOutcome.CANCELLED if count else TimerOutcome.IGNORED, cancelled=count)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SlaTimerService:
    def __init__(  # noqa: PLR0913 - three ports and three keyword-only settings
        self,
        timers: SlaTimers,
        routing_rules: Callable[[], RoutingRules],
        instance_arn: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        business_clock: BusinessClock | None = None,
        timed_channels: frozenset[str] = TIMED_CHANNELS,
    ) -> None:
        """`instance_arn`: the configured instance's full ARN; an event naming any other is ignored.
        `business_clock`: the calendars of business-clock policies (required once a policy has one)."""
        self._timers = timers
        self._timed_channels = timed_channels
        self._routing_rules = routing_rules
        self._instance_arn = instance_arn
        self._clock = clock
        self._business_clock = business_clock

    def on_contact_event(self, event: ContactEvent) -> TimerChanges:
        # In full: the same instance id in another account, Region or partition is another instance.
        if event.instance_arn != self._instance_arn:
            return TimerChanges(TimerOutcome.IGNORED)
        if not event.readable_at(self._clock()):
            return TimerChanges(TimerOutcome.UNREADABLE)
        cancelled = 0
        previous = event.transferred_from()
        if previous is not None:
            cancelled += self._cancel(previous)
        if event.waits_ended():
            cancelled += self._cancel(event.contact_id)
        if event.event_type == ContactEventType.QUEUED:
            return self._arm(event, cancelled)
        return TimerChanges(
            TimerOutcome.CANCELLED if cancelled else TimerOutcome.IGNORED, cancelled=cancelled
        )

    def _arm(self, queued: ContactEvent, cancelled: int) -> TimerChanges:
        policy = find_policy(self._routing_rules().sla, queued.queue, queued.channel, self._timed_channels)
        if policy is None:
            return TimerChanges(
                TimerOutcome.CANCELLED if cancelled else TimerOutcome.IGNORED, cancelled=cancelled
            )
        now = self._clock()
        business = (
            self._business_deadlines(policy, queued, now) if policy.clock is SlaClock.BUSINESS else None
        )
        if business is not None and business.breach is None:
            return TimerChanges(TimerOutcome.NO_BUSINESS_HOURS, cancelled=cancelled)
        armed = sum(self._timers.arm(timer) for timer in plan_timers(policy, queued, now, business))
        outcome = TimerOutcome.ARMED if armed else TimerOutcome.ALREADY_ARMED
        return TimerChanges(outcome, armed=armed, cancelled=cancelled)

    def _business_deadlines(
        self, policy: SlaPolicy, queued: ContactEvent, now: datetime
    ) -> BusinessDeadlines:
        """Raises ConnectCallFailed when the calendar cannot be read."""
        if self._business_clock is None:
            raise RuntimeError("a business-clock SLA policy needs the service built with a BusinessClock")
        hours_id = self._business_clock.hours_id(policy.hours_of_operation_id, queued.queue)
        warn = warning_seconds(policy.seconds, policy.warn_at_percent) if policy.warn_at_percent else None
        return self._business_clock.deadlines(hours_id, queued.enqueued_at or now, policy.seconds, warn)

    def rearm_if_moved(self, fired: BusinessTimer, event: Mapping[str, Any]) -> SlaTimer | None:
        """A fired business-clock timer (its `event`), re-checked against the hours as they are now: the
        timer armed for a deadline that moved later, or None when it acts now. Raises ConnectCallFailed
        when the calendar cannot be read."""
        if self._business_clock is None:
            return None
        now = self._clock()
        recomputed = self._business_clock.deadlines(fired.hours_id, fired.enqueued_at, fired.seconds).breach
        if not moved_later(fired.armed_due, recomputed, now, fired.rearms):
            return None
        assert recomputed is not None  # moved_later says so
        timer = rearmed_timer(event, recomputed, now)
        self._timers.arm(timer)  # False: armed by an earlier try of this same event, which is as good
        return timer

    def _cancel(self, contact_id: str) -> int:
        return sum(self._timers.cancel(name) for name in timer_names(contact_id))


def timer_still_applies(contact_center: ContactCenter, contact_id: str) -> bool:
    """What a fired timer asks Connect: is the contact still waiting in a queue?

    Raises EscalationRefused (CONTACT_NOT_FOUND) or ConnectCallFailed like any DescribeContact.
    """
    return describe_known_contact(contact_center, contact_id).is_waiting
