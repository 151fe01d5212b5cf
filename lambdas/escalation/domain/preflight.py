"""The rules every escalation must pass before Connect is called (Connect's own rules).

A transfer (TransferContact) moves only active tasks and emails, at most 11 times per chain; an
in-place escalation (UpdateContactRoutingData) works on any channel, but only while the contact still
waits in its queue.
"""

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Channel, Contact, Target
from escalation.domain.policy import Refusal

TRANSFERABLE_CHANNELS = frozenset({Channel.TASK, Channel.EMAIL})
# Connect refuses the 12th transfer of a contact chain (ServiceQuotaExceededException).
MAX_TRANSFERS_PER_CONTACT = 11
# Connect's queue priority for a contact whose priority was never set (lower is served first).
DEFAULT_QUEUE_PRIORITY = 5


def check_active(contact: Contact, *, resuming: bool = False) -> None:
    """Raise CONTACT_ENDED for an ended contact, unless resuming an attempt that may have ended it."""
    if contact.ended and not resuming:
        raise EscalationRefused(Refusal.CONTACT_ENDED, "the contact has ended; only active contacts transfer")


def check_channel(contact: Contact) -> None:
    """Raise CHANNEL_NOT_SUPPORTED for a contact TransferContact cannot move (voice, chat)."""
    if contact.channel not in TRANSFERABLE_CHANNELS:
        raise EscalationRefused(
            Refusal.CHANNEL_NOT_SUPPORTED,
            f"only TASK and EMAIL contacts can be transferred; this contact is {contact.channel}: "
            "it can only be moved up in its queue while it waits, by an `inQueue` routing rule",
        )


def check_transferable(contact: Contact, confirmed_transfers: int, *, resuming: bool = False) -> None:
    """Raise EscalationRefused when Connect would refuse to transfer this contact.

    `confirmed_transfers`: the transfers of the contact's chain that the ledger records as done; a
    failed or refused attempt is not one. Connect's ServiceQuotaExceededException stays the final
    judge: this refuses only what the ledger itself proves would be the 12th.
    `resuming`: the ledger holds an unfinished attempt of this very escalation, whose transfer may have
    taken effect (and ended the contact): the caller replays it with the same ClientToken.
    """
    check_channel(contact)
    check_active(contact, resuming=resuming)
    if confirmed_transfers >= MAX_TRANSFERS_PER_CONTACT:
        raise EscalationRefused(
            Refusal.TRANSFER_LIMIT_REACHED,
            f"the contact has been transferred {confirmed_transfers} times; "
            f"Connect allows {MAX_TRANSFERS_PER_CONTACT}",
        )


def check_waiting(contact: Contact) -> None:
    """Raise CONTACT_ENDED or CONTACT_NOT_QUEUED unless the contact still waits in its queue."""
    check_active(contact)
    if not contact.is_waiting:
        raise EscalationRefused(
            Refusal.CONTACT_NOT_QUEUED,
            "the contact is no longer waiting in a queue (an agent has it): it cannot be moved up",
        )


def check_reachable(contact: Contact, target: Target, confirmed_transfers: int) -> None:
    """The checks for a new attempt towards `target`: a transfer's, or an in-place escalation's."""
    if target.transfers:
        check_transferable(contact, confirmed_transfers)
    else:
        check_waiting(contact)


def already_at_or_better(contact: Contact, target: Target) -> bool:
    """An in-queue priority the contact already has (or better): the call would not improve its place."""
    if target.priority is None:
        return False
    current = contact.queue_priority if contact.queue_priority is not None else DEFAULT_QUEUE_PRIORITY
    return current <= target.priority
