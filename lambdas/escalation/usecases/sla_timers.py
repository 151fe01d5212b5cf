"""The SLA timers' use case: arm and cancel them from contact events, and judge what a timer fires.

Pure Python over ports. Contact events are best-effort and unordered, so arming and cancelling are
idempotent and never decide an escalation: a timer that fires re-checks the contact first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from escalation.contract import ContactEventType
from escalation.domain.contact_events import ContactEvent
from escalation.domain.model import resource_id
from escalation.domain.routing import RoutingRules
from escalation.domain.schedule_names import timer_names
from escalation.domain.sla_policy import find_policy
from escalation.domain.timer_events import plan_timers
from escalation.ports import ContactCenter, SlaTimers
from escalation.usecases.contacts import describe_known_contact


class TimerOutcome(StrEnum):
    ARMED = "ARMED"
    ALREADY_ARMED = "ALREADY_ARMED"
    CANCELLED = "CANCELLED"
    IGNORED = "IGNORED"  # no policy, another instance, or an event that changes no timer


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
    def __init__(
        self,
        timers: SlaTimers,
        routing_rules: Callable[[], RoutingRules],
        instance_id: str,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._timers = timers
        self._routing_rules = routing_rules
        self._instance_id = instance_id
        self._clock = clock

    def on_contact_event(self, event: ContactEvent) -> TimerChanges:
        if resource_id(event.instance_arn) != self._instance_id:
            return TimerChanges(TimerOutcome.IGNORED)
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
        policy = find_policy(self._routing_rules().sla, queued.queue, queued.channel)
        if policy is None:
            return TimerChanges(
                TimerOutcome.CANCELLED if cancelled else TimerOutcome.IGNORED, cancelled=cancelled
            )
        armed = sum(self._timers.arm(timer) for timer in plan_timers(policy, queued, self._clock()))
        outcome = TimerOutcome.ARMED if armed else TimerOutcome.ALREADY_ARMED
        return TimerChanges(outcome, armed=armed, cancelled=cancelled)

    def _cancel(self, contact_id: str) -> int:
        return sum(self._timers.cancel(name) for name in timer_names(contact_id))


def timer_still_applies(contact_center: ContactCenter, contact_id: str) -> bool:
    """What a fired timer asks Connect: is the contact still waiting in a queue?

    Raises EscalationRefused (CONTACT_NOT_FOUND) or ConnectCallFailed like any DescribeContact.
    """
    return describe_known_contact(contact_center, contact_id).is_waiting
