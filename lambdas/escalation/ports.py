"""What the use case needs from the outside world. Adapters implement these; tests use fakes."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from escalation.domain.business_hours import EffectiveHours, QueueHours
from escalation.domain.ledger import EscalationEvent, LedgerEntry
from escalation.domain.model import Contact, EscalationResult, Target
from escalation.domain.timer_events import SlaTimer


@dataclass(frozen=True)
class TransferReceipt:
    new_contact_id: str | None
    new_contact_arn: str | None
    attempts: int


class ContactCenter(Protocol):
    """Amazon Connect.

    A call that still fails after botocore's retries (an error answer from Connect, or no answer at
    all) raises ConnectCallFailed, its `kind` classified for the error policy. Anything else, such as
    a target without an id or flow, propagates unchanged: it is a bug, answered by the 500 path.
    """

    def describe_contact(self, contact_id: str) -> Contact: ...

    def is_agent_available(self, user_id: str, channel: str) -> bool: ...

    def update_attributes(self, contact_id: str, attributes: Mapping[str, str]) -> None: ...

    def transfer(self, contact_id: str, target: Target, client_token: str) -> TransferReceipt: ...

    def update_routing(self, contact_id: str, target: Target) -> None:
        """Move a waiting contact up in its queue: `target` is IN_QUEUE (a priority or an age adjustment)."""

    def user_name(self, user_id: str) -> str | None:
        """The agent's name as people know it (DescribeUser): first and last name, else the username."""


class QueueCalendars(Protocol):
    """Amazon Connect's queues and their hours of operation (failures raise ConnectCallFailed)."""

    def describe_queue(self, queue_id: str) -> QueueHours: ...

    def effective_hours(self, hours_id: str, first: date, last: date) -> EffectiveHours:
        """The open intervals of each date from `first` to `last` (both included), overrides applied."""


class DeadLetters(Protocol):
    def send(self, record: Mapping[str, Any]) -> None:
        """Raises DeadLetterNotWritten when the queue did not take the record."""


class MessageAuthenticator(Protocol):
    """A keyed MAC only this function can make (KMS GenerateMac): dead-letter records carry it."""

    def mac(self, message: bytes) -> bytes: ...


class Alerts(Protocol):
    def publish(self, subject: str, alert: Mapping[str, Any]) -> None:
        """Raises AlertNotPublished when the topic did not take the alert."""


class AlertWindow(Protocol):
    """Remembers which alerts went out recently, so a repeat of the same failure is not paged twice.

    `about` names what the alert is about (a contact chain); a claim is taken before publishing and
    only kept once the alert went out, so a failed publish never silences the next try.
    """

    def first_in_window(self, about: str, error_code: str) -> bool:
        """True when no alert about this and this error code went out in the window (it is now claimed)."""

    def confirm(self, about: str, error_code: str) -> None:
        """The claimed alert went out: the claim holds for the rest of the window."""

    def release(self, about: str, error_code: str) -> None:
        """The claimed alert did not go out: the next try may publish it."""


class DeadLetterMarks(Protocol):
    """Which dead-letter records were written, so a replay of the same delivery writes none again."""

    def written(self, key: str) -> bool: ...

    def note_written(self, key: str) -> None: ...


class IdempotentRunner(Protocol):
    """Runs `operation` once per key; a repeat returns the first result, `replayed`. Failures are not
    remembered. The runner stores the result (its fingerprint included) in whatever form it keeps."""

    def run(self, key: str, operation: Callable[[], EscalationResult]) -> EscalationResult: ...


class EscalationLedger(Protocol):
    """The ledger of escalations per contact chain. A read or write that fails raises LedgerUnavailable."""

    def chain(self, chain_id: str) -> list[LedgerEntry]: ...

    def get(self, escalation_id: str) -> LedgerEntry | None: ...

    def save(self, entry: LedgerEntry) -> None:
        """Create the entry, or replace the stored entry of the same chain and escalation id."""


class EscalationEvents(Protocol):
    """Publishes what happened to an escalation. Never raises: a lost event must not fail an escalation."""

    def publish(self, event: EscalationEvent, entry: LedgerEntry) -> None: ...


class SlaTimers(Protocol):
    """One-time schedules that deliver an SLA timer's event to the handler (EventBridge Scheduler)."""

    def arm(self, timer: SlaTimer) -> bool:
        """Create the schedule; False when one of that name exists already (armed by an earlier event)."""

    def cancel(self, name: str) -> bool:
        """Delete the schedule; False when there is none (never armed, fired, or cancelled before)."""
