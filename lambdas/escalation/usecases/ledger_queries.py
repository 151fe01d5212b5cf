"""Reading the escalation ledger for the agent desktop: who may read what (no boto3, over ports).

Supervisors read everything and learn what does not exist (404). Anyone else reads the escalations they
asked for, and a chain only through a contact of it they handle now (its agent, the contact not ended);
for them an unknown escalation or contact is answered exactly as a forbidden one, so that no answer
tells whether something exists.
"""

from escalation.domain.authorization import authorize, is_supervisor
from escalation.domain.errors import EscalationError, EscalationRefused
from escalation.domain.ledger import ChainHistory, LedgerEntry, may_read_entry
from escalation.domain.model import Caller
from escalation.domain.policy import Refusal
from escalation.ports import ContactCenter, EscalationLedger
from escalation.usecases.contacts import describe_known_contact

FORBIDDEN_ENTRY = "only a supervisor or the agent who asked for it may read this escalation"
FORBIDDEN_CHAIN = (
    "only a supervisor or the agent now handling a contact of the chain may read its escalations"
)


class EscalationNotFound(EscalationError):
    """No ledger entry has this escalation id (told to supervisors only)."""


def forbidden_entry() -> EscalationRefused:
    return EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_ENTRY)


def forbidden_chain() -> EscalationRefused:
    return EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_CHAIN)


class LedgerQueries:
    def __init__(
        self, contact_center: ContactCenter, ledger: EscalationLedger, supervisor_group: str
    ) -> None:
        self._connect = contact_center
        self._ledger = ledger
        self._supervisor_group = supervisor_group

    def is_supervisor(self, caller: Caller) -> bool:
        return is_supervisor(caller, self._supervisor_group)

    def escalation(self, caller: Caller, escalation_id: str) -> LedgerEntry:
        """Raises EscalationNotFound (supervisors), EscalationRefused (FORBIDDEN) or LedgerUnavailable."""
        entry = self._ledger.get(escalation_id)
        if entry is None:
            if self.is_supervisor(caller):
                raise EscalationNotFound(escalation_id)
            raise forbidden_entry()
        if not may_read_entry(caller, entry, self._supervisor_group):
            raise forbidden_entry()
        return entry

    def chain_of(self, caller: Caller, contact_id: str) -> ChainHistory:
        """The escalations of the chain `contact_id` belongs to, oldest first.

        Raises EscalationRefused (CONTACT_NOT_FOUND to supervisors, FORBIDDEN), ConnectCallFailed or
        LedgerUnavailable.
        """
        try:
            contact = describe_known_contact(self._connect, contact_id)
        except EscalationRefused as refused:
            if refused.reason is Refusal.CONTACT_NOT_FOUND and not self.is_supervisor(caller):
                raise forbidden_chain() from None
            raise
        if not self.is_supervisor(caller):
            # The agent of this contact while it lasts: an agent whose contact ended or was
            # transferred away no longer reads the chain (later rungs, a supervisor's note).
            if contact.ended:
                raise forbidden_chain()
            try:
                authorize(caller, contact, self._supervisor_group)
            except EscalationRefused as refused:
                raise forbidden_chain() from refused
        chain_id = contact.initial_contact_id
        return ChainHistory.of(chain_id, self._ledger.chain(chain_id))
