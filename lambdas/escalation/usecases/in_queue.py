"""Escalating a contact where it waits (an `inQueue` target): UpdateContactRoutingData, exactly once.

A priority is a value: sending it again changes nothing. An age adjustment adds to the contact's
routing age and Connect takes no ClientToken for it, so whether an earlier attempt of this escalation
already took effect is read from DescribeContact against the value the PENDING ledger entry kept
(`queue_before`), never guessed. An escalation never worsens a contact's place: a priority the
contact already has, or better, is not sent.
"""

from dataclasses import dataclass
from enum import StrEnum

from escalation.domain.errors import ConnectCallFailed
from escalation.domain.ledger import LedgerEntry
from escalation.domain.model import Contact, QueuePlace, Target
from escalation.domain.policy import Failure
from escalation.domain.preflight import DEFAULT_QUEUE_PRIORITY, already_at_or_better
from escalation.ports import ContactCenter
from escalation.usecases.contacts import reread


class MoveOutcome(StrEnum):
    MOVED = "MOVED"  # Connect confirmed the change (now, or an earlier attempt of this escalation)
    ALREADY_THERE = "ALREADY_THERE"  # the contact already had the priority, or better: no call
    NOT_WAITING = "NOT_WAITING"  # picked up or ended before it could be moved


@dataclass(frozen=True)
class Move:
    outcome: MoveOutcome
    target: Target  # what the contact has now: the rule's target, or the better priority it had


def took_effect(contact: Contact, pending: LedgerEntry) -> bool:
    """Whether an earlier attempt of this escalation is visible on the contact now."""
    target, before = pending.target, pending.queue_before
    if target is None or before is None:
        return False
    if target.priority is not None:
        return contact.queue_priority is not None and contact.queue_priority <= target.priority
    if target.age_seconds is None:
        return False
    return (contact.queue_time_adjustment_seconds or 0) >= (
        before.age_adjustment_seconds or 0
    ) + target.age_seconds


class QueueMover:
    def __init__(self, contact_center: ContactCenter) -> None:
        self._connect = contact_center

    def move_up(self, contact: Contact, pending: LedgerEntry, *, resuming: bool) -> Move:
        """Raises ConnectCallFailed for a failure the error table decides (not a lost race)."""
        target = pending.target
        if target is None or target.transfers:
            raise ValueError("move_up needs a PENDING entry with an in-queue target")
        if resuming and took_effect(contact, pending):
            return Move(MoveOutcome.MOVED, target)
        if not contact.is_waiting:
            return Move(MoveOutcome.NOT_WAITING, target)
        if already_at_or_better(contact, target):
            current = contact.queue_priority if contact.queue_priority is not None else DEFAULT_QUEUE_PRIORITY
            return Move(MoveOutcome.ALREADY_THERE, Target.in_queue(priority=current))
        try:
            self._connect.update_routing(contact.contact_id, target)
        except ConnectCallFailed as failure:
            if failure.kind is Failure.RESOURCE_CONFLICT and not self._still_waiting(contact):
                return Move(MoveOutcome.NOT_WAITING, target)
            raise
        return Move(MoveOutcome.MOVED, target)

    def _still_waiting(self, contact: Contact) -> bool:
        now = reread(self._connect, contact)
        return now is None or now.is_waiting


def place_before(
    contact: Contact, entry: LedgerEntry, target: Target, *, resuming: bool
) -> QueuePlace | None:
    """What a PENDING entry keeps: for an in-queue target, the contact's values before the first
    attempt (an earlier attempt's, when resuming); nothing for a transfer."""
    if target.transfers:
        return None
    if resuming and entry.queue_before is not None:
        return entry.queue_before
    return contact.queue_place
