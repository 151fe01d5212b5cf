"""The rules every transfer must pass before TransferContact is called (Connect's own rules)."""

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Channel, Contact
from escalation.domain.policy import Refusal

TRANSFERABLE_CHANNELS = frozenset({Channel.TASK, Channel.EMAIL})
# Connect refuses the 12th transfer of a contact chain (ServiceQuotaExceededException).
MAX_TRANSFERS_PER_CONTACT = 11


def check_transferable(contact: Contact, *, resuming: bool = False) -> None:
    """Raise EscalationRefused when Connect would refuse to transfer this contact.

    `resuming`: the contact's attributes already record this very escalation (an earlier attempt wrote
    them and then failed or crashed), so its transfer is already counted and, if the contact has ended,
    that attempt's transfer may have taken effect: the caller replays it with the same ClientToken.
    """
    if contact.channel not in TRANSFERABLE_CHANNELS:
        raise EscalationRefused(
            Refusal.CHANNEL_NOT_TRANSFERABLE,
            f"only TASK and EMAIL contacts can be transferred; this contact is {contact.channel}",
        )
    if contact.ended and not resuming:
        raise EscalationRefused(Refusal.CONTACT_ENDED, "the contact has ended; only active contacts transfer")
    transfers_before = contact.transfer_count - 1 if resuming else contact.transfer_count
    if transfers_before >= MAX_TRANSFERS_PER_CONTACT:
        raise EscalationRefused(
            Refusal.TRANSFER_LIMIT_REACHED,
            f"the contact has been transferred {contact.transfer_count} times; "
            f"Connect allows {MAX_TRANSFERS_PER_CONTACT}",
        )
