"""The demo's SLA-timer steps: timers armed by Connect's own contact events, fired by the local scheduler.

`make demo` runs them (and the business-hours step) after the main scenario (`python -m local.demo
--without-sla-timers` leaves them out): the stack starts with SLA timers, a scheduler clock the steps
move past each deadline (`ShiftedClock`), and routing rules with an SLA policy on Tier 1 tasks and
one on the New York queue's emails (business hours).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escalation.contract import EnvVar
from local.connect_emulator import ContactAcceptance, EventDeliveryPlan
from local.demo.harness import Scenario, step, wait_until
from local.scheduler import ShiftedClock
from local.sla_wiring import rules_with_sla
from local.stack import BUSINESS_HOURS_QUEUE, INSTANCE_ID, ROUTING_RULES_FILE, StackOptions

SLA_QUEUE = "queue-tier1"
SLA_SECONDS = 300
SCHEDULER_CLOCK = ShiftedClock()
# Emails on the New York queue: 2 hours of its open time (the business-hours step, business_hours_steps.py).
BUSINESS_POLICY: dict[str, Any] = {
    "name": "ny-emails-2-business-hours",
    "match": {"queues": [BUSINESS_HOURS_QUEUE], "channels": ["EMAIL"]},
    "seconds": 2 * 3600,
    "clock": "business",
}


def sla_stack_options(run_dir: Path, handler_log: Path) -> StackOptions:
    """The demo's stack with SLA timers: the bundled rules plus one SLA policy, written to run_dir."""
    policy = {
        "name": "tier1-tasks",
        "match": {"queues": [SLA_QUEUE], "channels": ["TASK"]},
        "seconds": SLA_SECONDS,
    }
    rules = rules_with_sla(ROUTING_RULES_FILE, [policy, BUSINESS_POLICY], run_dir / "routing_rules_sla.json")
    return StackOptions(
        api_port=0,
        handler_log=handler_log,
        sla_timers=True,
        scheduler_clock=SCHEDULER_CLOCK,
        extra_env={EnvVar.ROUTING_RULES: str(rules)},
    )


class SlaTimerSteps(Scenario):
    """Timers armed by contact events and fired by the local scheduler."""

    def _schedule_names(self) -> set[str]:
        return {schedule["Name"] for schedule in self.stack.schedules()}

    def _queue_tasks(self, count: int) -> tuple[list[str], set[str]]:
        """Queue `count` tasks; returns them and the schedules they armed (waited for)."""
        before = self._schedule_names()
        contacts = [self.stack.add_contact("TASK", queue_id=SLA_QUEUE) for _ in range(count)]
        self.stack.connect.flush_contact_events()
        wait_until(lambda: len(self._schedule_names() - before) >= count)
        self.demo.wait_for_bus()
        return contacts, self._schedule_names() - before

    def _pass_deadline(self) -> None:
        SCHEDULER_CLOCK.advance(SLA_SECONDS + 120)
        wait_until(lambda: not self._schedule_names())
        self.demo.wait_for_bus()
        # Back to wall time: the next step's tasks are enqueued now, and a clock left ahead would fire
        # their schedules before their deadline (before the step even sees them armed).
        SCHEDULER_CLOCK.offset = 0.0

    @step(
        "A task queued with a short SLA escalates itself (contact event -> schedule -> breach)",
        "one schedule armed, then one transfer when the scheduler's clock passes the deadline",
    )
    def queued_task_escalates_itself(self) -> tuple[bool, str]:
        (contact,), armed = self._queue_tasks(1)
        before_deadline = len(self.demo.transferred(contact))
        self._pass_deadline()
        transfers = len(self.demo.transferred(contact))
        ok = len(armed) >= 1 and before_deadline == 0 and transfers == 1
        return ok, f"schedules armed {sorted(armed)}; transfers before {before_deadline}, after {transfers}"

    @step(
        "A task picked up in time is not escalated",
        "its schedule is deleted on CONNECTED_TO_AGENT; no transfer after the deadline",
    )
    def picked_up_task_is_not_escalated(self) -> tuple[bool, str]:
        (contact,), armed = self._queue_tasks(1)
        self.stack.connect.accept_contact(ContactAcceptance(INSTANCE_ID, contact))
        wait_until(lambda: not armed & self._schedule_names())
        self.demo.wait_for_bus()
        left = armed & self._schedule_names()
        self._pass_deadline()
        transfers = len(self.demo.transferred(contact))
        ok = len(armed) >= 1 and not left and transfers == 0
        return ok, f"schedules armed {len(armed)}, left after pickup {len(left)}; transfers {transfers}"

    @step("Contact events duplicated and reordered", "exactly one escalation per breached task")
    def duplicated_reordered_events_escalate_once(self) -> tuple[bool, str]:
        self.stack.connect.set_event_delivery(EventDeliveryPlan(duplicate=1.0, shuffle_window=4, seed=11))
        try:
            contacts, armed = self._queue_tasks(3)
            self._pass_deadline()
        finally:
            self.stack.connect.set_event_delivery(EventDeliveryPlan())
        counts = [len(self.demo.transferred(contact)) for contact in contacts]
        return len(armed) >= 3 and counts == [1, 1, 1], f"schedules armed {len(armed)}; transfers {counts}"
