"""Connect's contact events, reduced to what the SLA timers need: which end a contact's wait.

Contact events are best-effort and unordered, so they only arm and cancel timers: whatever a timer
fires is checked against the contact as Connect describes it then, never against the events seen so far.
"""

from dataclasses import dataclass
from datetime import datetime

from escalation.contract import ContactEventType

# The ways a contact is created by a transfer: its previous contact has left that queue.
TRANSFER_METHODS = frozenset({"TRANSFER", "QUEUE_TRANSFER"})
_ENDS_WAIT = frozenset({ContactEventType.CONNECTED_TO_AGENT, ContactEventType.DISCONNECTED})


@dataclass(frozen=True)
class ContactEvent:
    """One Connect contact event, reduced to what the timers need."""

    event_type: str  # any of Connect's types; only ContactEventType's are acted on
    contact_id: str
    instance_arn: str
    channel: str
    queue: str | None = None  # the queue's ARN
    enqueued_at: datetime | None = None
    previous_contact_id: str | None = None
    initiation_method: str | None = None

    def waits_ended(self) -> bool:
        """This contact's wait is over: an agent took it or it ended."""
        return self.event_type in _ENDS_WAIT

    def transferred_from(self) -> str | None:
        """The contact this one was transferred from, which therefore left its queue."""
        created = self.event_type in (ContactEventType.INITIATED, ContactEventType.QUEUED)
        if (
            created
            and self.previous_contact_id
            and (self.initiation_method or "").upper() in TRANSFER_METHODS
        ):
            return self.previous_contact_id
        return None
