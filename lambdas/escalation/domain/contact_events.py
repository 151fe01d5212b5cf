"""Connect's contact events, reduced to what the SLA timers need: which end a contact's wait.

Contact events are best-effort and unordered, so they only arm and cancel timers: whatever a timer
fires is checked against the contact as Connect describes it then, never against the events seen so far.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from escalation.contract import ContactEventType

# The ways a contact is created by a transfer: its previous contact has left that queue.
TRANSFER_METHODS = frozenset({"TRANSFER", "QUEUE_TRANSFER"})
_ENDS_WAIT = frozenset({ContactEventType.CONNECTED_TO_AGENT, ContactEventType.DISCONNECTED})
# A timestamp further ahead or behind than this is no contact's real one (a clock gone wrong, a forged
# event): the event is unreadable. It arms nothing, and year 9999 never reaches date arithmetic. Ahead:
# a month, not a day, because the local stack's business-hours runs queue contacts in coming weeks.
LATEST_AHEAD = timedelta(days=31)
EARLIEST_BEHIND = timedelta(days=365)


def plausible_time(at: datetime | None, now: datetime) -> bool:
    """`at` is absent or within [now - EARLIEST_BEHIND, now + LATEST_AHEAD] (no arithmetic on `at`)."""
    return at is None or now - EARLIEST_BEHIND <= at <= now + LATEST_AHEAD


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

    def readable_at(self, now: datetime) -> bool:
        """Every timestamp it carries is plausible at `now` (plausible_time)."""
        return plausible_time(self.enqueued_at, now)

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
