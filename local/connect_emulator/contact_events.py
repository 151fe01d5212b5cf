"""Connect's contact events, as EventBridge delivers them, and how the emulator hands them out.

The state records an event when a contact is queued (created in a queue, or the new contact of a
transfer into a queue), connected to an agent, or disconnected (stopped, or transferred away). The
`ContactEventOutlet` passes them to a sink (the local bus) outside the state's lock. Connect's events
are best-effort and unordered; an `EventDeliveryPlan` makes the outlet act that out: each event is
delivered twice with probability `duplicate` (same event id, as an at-least-once redelivery), and with
`shuffle_window` N up to N events are held back and released in random order (`flush` releases all).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .records import Contact

Event = dict[str, Any]
EventSink = Callable[[Event], None]

# Connect's own names (escalation.contract holds the same two; the emulator runs without lambdas/).
CONTACT_EVENT_SOURCE = "aws.connect"
CONTACT_EVENT_DETAIL_TYPE = "Amazon Connect Contact Event"
QUEUED = "QUEUED"
CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"
DISCONNECTED = "DISCONNECTED"
QUEUE_TYPE = "STANDARD"


@dataclass(frozen=True)
class EventDeliveryPlan:
    """How contact events reach the sink: duplicate probability (0..1), reorder window, random seed."""

    duplicate: float = 0.0
    shuffle_window: int = 0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.duplicate <= 1.0:
            raise ValueError("duplicate is a probability within 0..1")
        if self.shuffle_window < 0:
            raise ValueError("shuffle_window must be >= 0")


@dataclass(frozen=True)
class EventSource:
    """Where events come from: the account, the region and the instance's ARN."""

    account_id: str
    region: str
    instance_arn: str


def iso_timestamp(epoch_seconds: float) -> str:
    """Connect's event timestamps: ISO 8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def contact_event(source: EventSource, contact: Contact, event_type: str, now: float) -> Event:
    """One contact event as EventBridge hands it to targets; fields the contact lacks are left out."""
    contact_arn = f"{source.instance_arn}/contact/{contact.contact_id}"
    detail: dict[str, Any] = {
        "eventType": event_type,
        "contactId": contact.contact_id,
        "initialContactId": contact.initial_contact_id,
        "channel": contact.channel,
        "instanceArn": source.instance_arn,
        "initiationMethod": contact.initiation_method,
        "initiationTimestamp": iso_timestamp(contact.initiation_timestamp),
    }
    if contact.previous_contact_id:
        detail["previousContactId"] = contact.previous_contact_id
    if contact.disconnect_timestamp is not None:
        detail["disconnectTimestamp"] = iso_timestamp(contact.disconnect_timestamp)
    if contact.queue_id is not None:
        queue_info: dict[str, str] = {
            "queueArn": f"{source.instance_arn}/queue/{contact.queue_id}",
            "queueType": QUEUE_TYPE,
        }
        if contact.enqueue_timestamp is not None:
            queue_info["enqueueTimestamp"] = iso_timestamp(contact.enqueue_timestamp)
        detail["queueInfo"] = queue_info
    if contact.agent_id is not None and contact.connected_to_agent_timestamp is not None:
        detail["agentInfo"] = {
            "agentArn": f"{source.instance_arn}/agent/{contact.agent_id}",
            "connectedToAgentTimestamp": iso_timestamp(contact.connected_to_agent_timestamp),
        }
    if contact.tags:
        detail["tags"] = dict(contact.tags)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": CONTACT_EVENT_DETAIL_TYPE,
        "source": CONTACT_EVENT_SOURCE,
        "account": source.account_id,
        "time": iso_timestamp(now).removesuffix("Z")[:19] + "Z",
        "region": source.region,
        "resources": [contact_arn],
        "detail": detail,
    }


class ContactEventOutlet:
    """Hands contact events to a sink as the current EventDeliveryPlan says (none: nothing delivered)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sink: EventSink | None = None
        self._plan = EventDeliveryPlan()
        self._random = random.Random()
        self._held: list[Event] = []
        self.delivered = 0

    def connect(self, sink: EventSink | None) -> None:
        with self._lock:
            self._sink = sink

    def configure(self, plan: EventDeliveryPlan) -> None:
        """Apply a plan; events held under the previous one are released first."""
        self.flush()
        with self._lock:
            self._plan = plan
            self._random = random.Random(plan.seed)

    def deliver(self, events: Sequence[Event]) -> None:
        with self._lock:
            if self._sink is None:
                return
            for event in events:
                copies = 2 if self._random.random() < self._plan.duplicate else 1
                self._held.extend([event] * copies)
            while len(self._held) > self._plan.shuffle_window:
                self._release(self._random.randrange(len(self._held)) if self._plan.shuffle_window else 0)

    def flush(self) -> int:
        """Release every held event, in random order; returns how many."""
        with self._lock:
            released = len(self._held)
            while self._held:
                self._release(self._random.randrange(len(self._held)))
            return released

    def _release(self, index: int) -> None:
        event = self._held.pop(index)
        if self._sink is not None:
            self._sink(event)
            self.delivered += 1
