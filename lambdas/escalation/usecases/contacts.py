"""Reading a contact from Connect, shared by the use cases that need one (no boto3, over a port)."""

from escalation.domain.authorization import FORBIDDEN_MESSAGE, authorize, is_supervisor
from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.model import Caller, Contact
from escalation.domain.policy import Failure, Refusal
from escalation.ports import ContactCenter


def describe_known_contact(contact_center: ContactCenter, contact_id: str) -> Contact:
    """DescribeContact, where a contact Connect does not know is a refusal (CONTACT_NOT_FOUND)."""
    try:
        return contact_center.describe_contact(contact_id)
    except ConnectCallFailed as failure:
        if failure.kind in (Failure.CONTACT_NOT_FOUND, Failure.TARGET_NOT_FOUND):
            raise EscalationRefused(
                Refusal.CONTACT_NOT_FOUND, "no such contact in the configured Connect instance"
            ) from failure
        raise


def contact_for_caller(
    contact_center: ContactCenter,
    caller: Caller | None,
    contact_id: str,
    supervisor_group: str,
    known: Contact | None = None,
) -> Contact:
    """The contact (`known`, or described now), if `caller` may escalate it: its current agent or a
    supervisor. Only a supervisor learns that a contact does not exist (CONTACT_NOT_FOUND); anyone else
    gets the FORBIDDEN they would get for an existing contact that is not theirs."""
    try:
        contact = known or describe_known_contact(contact_center, contact_id)
    except EscalationRefused as refused:
        if refused.reason is Refusal.CONTACT_NOT_FOUND and not is_supervisor(caller, supervisor_group):
            raise EscalationRefused(Refusal.FORBIDDEN, FORBIDDEN_MESSAGE) from None
        raise
    authorize(caller, contact, supervisor_group)
    return contact
