"""The names of a contact's SLA schedules: the same contact, the same names, so a repeat finds them."""

import hashlib

from escalation.contract import SLA_SCHEDULE_PREFIX, SLA_WARNING_SCHEDULE_PREFIX

_NAME_HASH_CHARS = 48  # prefix + 48 hex characters stays within Scheduler's 64


def schedule_name(prefix: str, contact_id: str) -> str:
    """The same name for the same contact, within Scheduler's 64 characters of [0-9a-zA-Z-_.]."""
    return prefix + hashlib.sha256(contact_id.encode()).hexdigest()[:_NAME_HASH_CHARS]


def timer_names(contact_id: str) -> tuple[str, str]:
    """The breach and warning schedule names of a contact."""
    return schedule_name(SLA_SCHEDULE_PREFIX, contact_id), schedule_name(
        SLA_WARNING_SCHEDULE_PREFIX, contact_id
    )
