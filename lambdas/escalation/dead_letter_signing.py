"""Every dead-letter record leaves signed: the redrive replays only what this function wrote.

The MAC (record_mac.py) covers the record as sent, after any trimming. When no MAC can be had (KMS did
not answer), the record is still written, without one: the redrive refuses and keeps it, and an
operator reads it; losing the record would be worse than a record that cannot be replayed unread.
"""

from collections.abc import Mapping
from typing import Any

from escalation import observability
from escalation.ports import DeadLetters, MessageAuthenticator
from escalation.record_mac import MAC_FIELD, encode_mac, event_message, record_message


class MacUnavailable(Exception):
    """The MAC could not be computed (KMS refused or did not answer)."""


class SignedDeadLetters:
    def __init__(self, dead_letters: DeadLetters, authenticator: MessageAuthenticator) -> None:
        self._dead_letters = dead_letters
        self._authenticator = authenticator

    def send(self, record: Mapping[str, Any]) -> None:
        unsigned = {key: value for key, value in record.items() if key != MAC_FIELD}
        try:
            signed = {**unsigned, MAC_FIELD: encode_mac(self._authenticator.mac(record_message(unsigned)))}
        except MacUnavailable:
            observability.logger.exception(
                "Dead-letter record written without its MAC: a redrive will keep it"
            )
            signed = unsigned
        self._dead_letters.send(signed)


def event_mac(authenticator: MessageAuthenticator, event: Mapping[str, Any]) -> bytes | None:
    """The MAC of an event this function was invoked with (for a retry error), or None without KMS."""
    try:
        return authenticator.mac(event_message(event))
    except MacUnavailable:
        observability.logger.exception("Retry error without the event's MAC: a redrive will keep its record")
        return None
