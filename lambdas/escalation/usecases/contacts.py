"""Reading a contact from Connect, shared by the use cases that need one (no boto3, over a port)."""

from escalation.domain.errors import ConnectCallFailed, EscalationRefused
from escalation.domain.model import Contact
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


def reread(contact_center: ContactCenter, contact: Contact) -> Contact | None:
    """The contact as Connect describes it now, after a call failed on it; None when Connect cannot say
    (the caller then keeps the original failure: it could not learn more)."""
    try:
        return contact_center.describe_contact(contact.contact_id)
    except ConnectCallFailed:
        return None
