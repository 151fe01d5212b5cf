"""The rules every transfer must pass before TransferContact is called (Connect's own rules)."""

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Channel, Contact
from escalation.domain.policy import Refusal

TRANSFERABLE_CHANNELS = frozenset({Channel.TASK, Channel.EMAIL})
# Connect refuses the 12th transfer of a contact chain (ServiceQuotaExceededException).
MAX_TRANSFERS_PER_CONTACT = 11


def check_transferable(contact: Contact, confirmed_transfers: int, *, resuming: bool = False) -> None:
    """Raise EscalationRefused when Connect would refuse to transfer this contact.

    `confirmed_transfers`: the transfers of the contact's chain that the ledger records as done; a
    failed or refused attempt is not one. Connect's ServiceQuotaExceededException stays the final
    judge: this refuses only what the ledger itself proves would be the 12th.
    `resuming`: the ledger holds an unfinished attempt of this very escalation, whose transfer may have
    taken effect (and ended the contact): the caller replays it with the same ClientToken.
    """
    if contact.channel not in TRANSFERABLE_CHANNELS:
        raise EscalationRefused(
            Refusal.CHANNEL_NOT_TRANSFERABLE,
            f"only TASK and EMAIL contacts can be transferred; this contact is {contact.channel}",
        )
    if contact.ended and not resuming:
        raise EscalationRefused(Refusal.CONTACT_ENDED, "the contact has ended; only active contacts transfer")
    if confirmed_transfers >= MAX_TRANSFERS_PER_CONTACT:
        raise EscalationRefused(
            Refusal.TRANSFER_LIMIT_REACHED,
            f"the contact has been transferred {confirmed_transfers} times; "
            f"Connect allows {MAX_TRANSFERS_PER_CONTACT}",
        )
