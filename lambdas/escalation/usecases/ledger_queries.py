"""Reading the escalation ledger for the agent desktop: who may read what (no boto3, over ports)."""

from escalation.domain.authorization import authorize
from escalation.domain.errors import EscalationError, EscalationRefused
from escalation.domain.ledger import ChainHistory, LedgerEntry, may_read_entry
from escalation.domain.model import Caller
from escalation.domain.policy import Refusal
from escalation.ports import ContactCenter, EscalationLedger
from escalation.usecases.contacts import describe_known_contact

_FORBIDDEN_ENTRY = "only a supervisor or the agent who asked for it may read this escalation"
_FORBIDDEN_CHAIN = "only a supervisor or the contact's current agent may read its escalations"


class EscalationNotFound(EscalationError):
    """No ledger entry has this escalation id."""


class LedgerQueries:
    def __init__(
        self, contact_center: ContactCenter, ledger: EscalationLedger, supervisor_group: str
    ) -> None:
        self._connect = contact_center
        self._ledger = ledger
        self._supervisor_group = supervisor_group

    def escalation(self, caller: Caller, escalation_id: str) -> LedgerEntry:
        """Raises EscalationNotFound, EscalationRefused (FORBIDDEN) or LedgerUnavailable."""
        entry = self._ledger.get(escalation_id)
        if entry is None:
            raise EscalationNotFound(escalation_id)
        if not may_read_entry(caller, entry, self._supervisor_group):
            raise EscalationRefused(Refusal.FORBIDDEN, _FORBIDDEN_ENTRY)
        return entry

    def chain_of(self, caller: Caller, contact_id: str) -> ChainHistory:
        """The escalations of the chain `contact_id` belongs to, oldest first.

        Raises EscalationRefused (CONTACT_NOT_FOUND, FORBIDDEN), ConnectCallFailed or LedgerUnavailable.
        """
        contact = describe_known_contact(self._connect, contact_id)
        try:
            # The same rule as for escalating: a supervisor, or the contact's current agent.
            authorize(caller, contact, self._supervisor_group)
        except EscalationRefused as refused:
            raise EscalationRefused(Refusal.FORBIDDEN, _FORBIDDEN_CHAIN) from refused
        chain_id = contact.initial_contact_id
        return ChainHistory.of(chain_id, self._ledger.chain(chain_id))
