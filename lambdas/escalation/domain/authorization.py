"""Who may escalate a contact from the desktop: its current agent, or a supervisor."""

from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Caller, Contact, resource_id
from escalation.domain.policy import Refusal


def authorize(caller: Caller | None, contact: Contact, supervisor_group: str) -> None:
    if caller is not None:
        if supervisor_group in caller.groups:
            return
        if (
            caller.connect_user_id
            and contact.agent_id
            and resource_id(caller.connect_user_id) == resource_id(contact.agent_id)
        ):
            return
    raise EscalationRefused(
        Refusal.FORBIDDEN, "only the contact's current agent or a supervisor may escalate this contact"
    )
